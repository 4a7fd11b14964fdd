import Foundation
import XCTest

/// `interpret` and `explain` end to end on a toy data set and a toy network.
final class InterpretCommandTests: XCTestCase {
    static var folder: String!

    /// One trained toy model shared by the tests (training is the slow part).
    override class func setUp() {
        folder = NSTemporaryDirectory() + "cnn-inte-interpret-" + UUID().uuidString
        try! writeToyDataFolder(folder + "/data", train: 120, test: 24)
        let result = try! CLIProcess.run(["train", "--data", folder + "/data", "--architecture", toyLayers, "--epochs", "10",
                                          "--batch-size", "10", "--learning-rate", "0.01", "--no-augment", "--quiet",
                                          "--output", folder + "/out"])
        precondition(result.status == 0, result.stderr)
    }

    override class func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    var folder: String { Self.folder }

    func interpret(_ extra: [String] = [], output: String? = nil) throws -> CLIResult {
        if let output, output != folder + "/out" {
            try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try? FileManager.default.copyItem(atPath: folder + "/out/model", toPath: output + "/model")
        }
        return try CLIProcess.run(["interpret", "--data", folder + "/data", "--k1", "2", "--k2", "2", "--trees", "5",
                                   "--augment-copies", "1", "--layer", "fc", "--quiet", "--output", output ?? folder + "/out"] + extra)
    }

    func testWritesArtifactsAndExplains() throws {
        let result = try interpret()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("fidelity "), result.stdout)
        let artifacts = folder + "/out/interpretation"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: artifacts).sorted(),
                       [".cnn-inte.json", "classes.json", "clusters.json", "images.json", "instances.csv", "interpretation.safetensors", "map.csv",
                        "neighbours.csv", "results.json", "units.json"])
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: artifacts + "/results.json"))) as! [String: Any]
        for key in ["cnn_test_accuracy", "inte_test_accuracy", "fidelity", "n_test", "global_forest", "configuration", "timings_seconds"] {
            XCTAssertNotNil(results[key], key)
        }
        XCTAssertEqual(results["n_test"] as? Int, 24)
        let csv = try String(contentsOfFile: artifacts + "/instances.csv", encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 25)

        let explain = try CLIProcess.run(["explain", "--index", "3", "--output", folder + "/out"])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        let lines = explain.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("test #3  true label: south-east"), explain.stdout)
        XCTAssertEqual(String(lines[1]), "  -> fc (16 units)")
        XCTAssertTrue(lines[2].hasPrefix("  -> level-1 cluster "), explain.stdout)
        XCTAssertTrue(lines[3].hasPrefix("  -> level-2 cluster "), explain.stdout)
        XCTAssertTrue(lines[5].hasPrefix("  -> CNN-INTE: "), explain.stdout)

        let outOfRange = try CLIProcess.run(["explain", "--index", "24", "--output", folder + "/out"])
        XCTAssertEqual(outOfRange.status, 64)
        XCTAssertEqual(outOfRange.stderr, "cnn-inte: error: --index 24 is out of range: the test set has 24 instances (0...23)\n")
    }

    func testSameSeedGivesIdenticalArtifacts() throws {
        let a = folder + "/seed-a", b = folder + "/seed-b"
        XCTAssertEqual(try interpret(["--seed", "7"], output: a).status, 0)
        XCTAssertEqual(try interpret(["--seed", "7"], output: b).status, 0)
        for name in ["instances.csv", "clusters.json", "interpretation.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a + "/interpretation/" + name)),
                           try Data(contentsOf: URL(fileURLWithPath: b + "/interpretation/" + name)), name)
        }
        func withoutTimings(_ path: String) throws -> NSDictionary {
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            object["timings_seconds"] = nil
            var configuration = object["configuration"] as! [String: Any]
            configuration["model"] = nil  // names the output folder
            var provenance = configuration["model_provenance"] as! [String: Any]
            (provenance["file"], provenance["description"]) = (nil, nil)  // so do these
            configuration["model_provenance"] = provenance
            object["configuration"] = configuration
            return object as NSDictionary
        }
        XCTAssertEqual(try withoutTimings(a + "/interpretation/results.json"), try withoutTimings(b + "/interpretation/results.json"))
    }

    func testExactSplitsAreRecordedAndExplained() throws {
        let output = folder + "/exact"
        let result = try interpret(["--splits", "exact"], output: output)
        XCTAssertEqual(result.status, 0, result.stderr)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/interpretation/results.json"))) as! [String: Any]
        XCTAssertEqual((results["configuration"] as? [String: Any])?["splits"] as? String, "exact")
        let explain = try CLIProcess.run(["explain", "--index", "3", "--output", output])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(explain.stdout.contains("  -> CNN-INTE: "), explain.stdout)
        let bad = try interpret(["--splits", "sorted"], output: output)
        XCTAssertEqual(bad.status, 64)
    }

    func testBadOptionsAndMissingArtifacts() throws {
        for (arguments, message) in [
            (["--k1", "0"], "--k1 must be at least 1 (got 0)"),
            (["--trees", "0"], "--trees must be at least 1 (got 0)"),
            (["--layer", "nope"], "--layer: unknown layer 'nope'; the model has c1, p1, fc, out"),
        ] {
            let result = try interpret(arguments, output: folder + "/bad")
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let tooMany = try interpret(["--k1", "500"], output: folder + "/bad")
        XCTAssertEqual(tooMany.status, 64)
        XCTAssertEqual(tooMany.stderr, "cnn-inte: error: --k1 500 is larger than the 120 training images to cluster\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/bad/interpretation"), "no partial output")

        let missing = try CLIProcess.run(["explain", "--index", "0", "--output", folder + "/nothing"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "cnn-inte: error: \(folder)/nothing/interpretation/results.json: missing; run 'cnn-inte interpret' first\n")
        let noModel = try CLIProcess.run(["interpret", "--data", folder + "/data", "--output", folder + "/nothing"])
        XCTAssertEqual(noModel.status, 1)
        XCTAssertEqual(noModel.stderr, "cnn-inte: error: \(folder)/nothing/model/model.safetensors: no model here; run 'cnn-inte train' first\n")
    }
}

extension InterpretCommandTests {
    /// --layers interprets each layer the same way; layers.json and the report's layers
    /// page compare them; the first is the one explained in full.
    func testLayersCompared() throws {
        let output = folder + "/layers"
        let result = try interpret(["--layers", "p1,fc"], output: output)
        XCTAssertEqual(result.status, 0, result.stderr)
        let data = try Data(contentsOf: URL(fileURLWithPath: output + "/interpretation/layers.json"))
        let layers = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertEqual(layers.map { $0["layer"] as? String }, ["p1", "fc"])
        XCTAssertEqual(layers.map { $0["width"] as? Int }, [4 * 3 * 3, 16])
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/interpretation/results.json"))) as! [String: Any]
        XCTAssertEqual((results["configuration"] as? [String: Any])?["layer"] as? String, "p1")
        XCTAssertEqual(layers[0]["fidelity"] as? Double, results["fidelity"] as? Double)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output + "/interpretation/.layer-scratch"))
        let report = try CLIProcess.run(["report", "--quiet", "--output", output])
        XCTAssertEqual(report.status, 0, report.stderr)
        let page = try String(contentsOfFile: output + "/report/layers.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<td><b>p1</b></td><td>36</td>"), page)
        XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/report/figures/layers.png"))
        XCTAssertTrue(try String(contentsOfFile: output + "/report/index.html", encoding: .utf8).contains("<a href=\"layers.html\">"))

        let unknown = try interpret(["--layers", "p1,nope"], output: output)
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.hasPrefix("cnn-inte: error: --layers: unknown layer 'nope'; the model has "), unknown.stderr)
        let one = try interpret(["--layers", "p1"], output: output)
        XCTAssertEqual(one.status, 64)
        XCTAssertTrue(one.stderr.contains("--layers takes two or more layer names"), one.stderr)
    }
}
