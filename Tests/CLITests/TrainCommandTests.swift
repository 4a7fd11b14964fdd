import Datasets
import Foundation
import TestSupport
import XCTest

/// A tiny data set folder on disk: 6x6 images, class k has a blob in quadrant k.
func writeToyDataFolder(_ folder: String, train: Int = 80, test: Int = 20) throws {
    try ToyData.writeFolder(folder, train: train, test: test)
}

let toyLayers = "c1:conv(4,3,relu),p1:maxpool(2),fc:dense(16,relu),out:dense(4)"

final class TrainCommandTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnn-inte-train-" + UUID().uuidString
        try writeToyDataFolder(folder + "/data")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func train(_ extra: [String] = []) throws -> CLIResult {
        try CLIProcess.run(["train", "--data", folder + "/data", "--architecture", toyLayers, "--epochs", "15",
                            "--batch-size", "10", "--learning-rate", "0.01", "--no-augment",
                            "--output", folder + "/out"] + extra)
    }

    func testTrainWritesModelFilesAndASummary() throws {
        let result = try train()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("test accuracy 100.00% (20/20) after 15 epochs"), result.stdout)
        XCTAssertTrue(result.stderr.contains("train: epoch 15 done"), result.stderr)
        let model = folder + "/out/model"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: model).sorted(), [".cnn-inte.json", "model.json", "model.safetensors"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/out").sorted(), ["model"], "no staging folder or lock left")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model + "/model.json"))) as! [String: Any]
        XCTAssertEqual((json["metrics"] as! [String: Any])["test_accuracy"] as? Double, 1.0)
        XCTAssertEqual((json["metrics"] as! [String: Any])["history"].map { ($0 as! [Any]).count }, 15)
        XCTAssertEqual((json["data"] as! [String: Any])["classNames"] as? [String], ["north-west", "north-east", "south-west", "south-east"])
        XCTAssertEqual(json["seed"] as? Int, 1)

        // --quiet silences progress; the same seed gives the same weights.
        let again = try CLIProcess.run(["train", "--data", folder + "/data", "--architecture", toyLayers, "--epochs", "15",
                                        "--batch-size", "10", "--learning-rate", "0.01", "--no-augment", "--quiet",
                                        "--output", folder + "/again"])
        XCTAssertEqual(again.stderr, "")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: model + "/model.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: folder + "/again/model/model.safetensors")))

        // Features of the trained model as .npy.
        let npy = try CLIProcess.run(["features", "--data", folder + "/data", "--output", folder + "/out", "--layer", "p1",
                                      "--npy", folder + "/p1.npy"])
        XCTAssertEqual(npy.status, 0, npy.stderr)
        // Fast enough for no status line in a log: the stage's closing line alone.
        XCTAssertTrue(npy.stderr.hasPrefix("features: p1 activations of the test images: 20 images in "), npy.stderr)
        XCTAssertTrue(npy.stderr.hasSuffix(" images/s\n") && npy.stderr.filter { $0 == "\n" }.count == 1, npy.stderr)
        XCTAssertEqual(npy.stdout, "20 x 36 activations of p1 written to \(folder!)/p1.npy\n")
        let quiet = try CLIProcess.run(["features", "--data", folder + "/data", "--output", folder + "/out", "--layer", "p1",
                                        "--npy", folder + "/p1.npy", "--quiet"])
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/p1.npy")))
        XCTAssertEqual(Array(bytes.prefix(6)), [0x93] + Array("NUMPY".utf8))
        XCTAssertEqual(bytes.count, 128 + 20 * 3 * 3 * 4 * 4)
        XCTAssertTrue(String(decoding: bytes[10..<128], as: UTF8.self).contains("'shape': (20, 36)"))
    }

    func testUsageErrorsExit64WithOneLine() throws {
        for (arguments, message) in [
            (["--epochs", "0"], "--epochs must be at least 1 (got 0)"),
            (["--batch-size", "0"], "--batch-size must be at least 1 (got 0)"),
            (["--learning-rate", "0"], "--learning-rate must be a positive number"),
            (["--threads", "0"], "--threads must be at least 1"),
            (["--validation-split", "1.5"], "--validation-split must be in [0, 1)"),
        ] {
            let result = try train(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let wrongWidth = try CLIProcess.run(["train", "--data", folder + "/data", "--architecture", "fc:dense(8,relu),out:dense(3)",
                                             "--output", folder + "/out"])
        XCTAssertEqual(wrongWidth.status, 64)
        XCTAssertEqual(wrongWidth.stderr, "cnn-inte: error: --architecture: the last layer has 3 outputs but the data has 4 classes\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
    }

    func testOutputThatIsAFileFailsBeforeTraining() throws {
        FileManager.default.createFile(atPath: folder + "/taken", contents: Data("x".utf8))
        let result = try CLIProcess.run(["train", "--data", folder + "/data", "--architecture", toyLayers,
                                         "--output", folder + "/taken"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "cnn-inte: error: \(folder!)/taken: is a file; --output takes a folder\n")
    }

    func testCorruptModelFileIsRefusedByName() throws {
        XCTAssertEqual(try train().status, 0)
        let path = folder + "/out/model/model.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        let result = try CLIProcess.run(["features", "--data", folder + "/data", "--output", folder + "/out", "--npy", folder + "/x.npy"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("cnn-inte: error: \(path): truncated"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.npy"))
    }

    func testRunTrainsInterpretsAndSummarises() throws {
        let result = try CLIProcess.run(["run", "--data", folder + "/data", "--architecture", toyLayers, "--epochs", "10",
                                         "--batch-size", "10", "--learning-rate", "0.01", "--no-augment", "--layer", "fc",
                                         "--k1", "2", "--k2", "2", "--trees", "5", "--augment-copies", "1",
                                         "--output", folder + "/run"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 10, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("CNN test accuracy       100.00%"), result.stdout)
        XCTAssertTrue(lines[1].hasPrefix("CNN-INTE test accuracy  "), result.stdout)
        XCTAssertTrue(lines[2].hasPrefix("fidelity to the CNN     "), result.stdout)
        XCTAssertEqual(lines[3], "open the report \(folder!)/run/report/index.html", result.stdout)
        // Every stage's seconds, in the order they ran.
        let stages = try XCTUnwrap(lines.first { $0.hasPrefix("stages          ") }, result.stdout)
        let order = ["training ", "activations (train) ", "activations (test) ", "augmented copies ", "report ", "activations at "]
        let positions = order.map { stages.range(of: $0)?.lowerBound }
        XCTAssertFalse(positions.contains(nil), stages)
        XCTAssertEqual(positions.compactMap { $0 }, positions.compactMap { $0 }.sorted(), stages)
        XCTAssertTrue(lines.contains { $0.hasPrefix("peak memory     ") && $0.hasSuffix(" MiB") }, result.stdout)
        // results.json holds them too, the report's seconds added once it was drawn.
        let timings = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/run/interpretation/results.json"))) as? [String: Any])?["timings_seconds"] as? [String: Double])
        for key in ["training", "activations_train", "activations_test", "activations_images_per_s", "augmented_copies", "clustering",
                    "forests", "credibility", "report"] {
            XCTAssertNotNil(timings[key], key)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/run").sorted(), ["interpretation", "model", "pdf", "report"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/run/report/instances/19.html"))
        XCTAssertTrue(result.stderr.contains("interpret: two-level k-means"), result.stderr)
        XCTAssertTrue(result.stderr.contains("report: HTML: 6 cluster pages written"), result.stderr)
    }
}
