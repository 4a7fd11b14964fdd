import Foundation
import Datasets
import Numerics
import XCTest

/// A network trained here, exported as ONNX and explained again through --model: the same
/// predictions, so the same interpretation; and the options' misuse.
final class ModelImportTests: XCTestCase {
    func testExportThenRunWithModelGivesTheSameInterpretation() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-import-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeToyDataFolder(folder + "/data", train: 120, test: 24)
        let interpret = ["--layer", "fc", "--k1", "2", "--k2", "2", "--trees", "5", "--augment-copies", "1", "--seed", "3", "--quiet"]
        let trained = try CLIProcess.run(["run", "--data", folder + "/data", "--architecture", toyLayers, "--epochs", "3", "--batch-size", "10",
                                          "--learning-rate", "0.01", "--output", folder + "/own"] + interpret)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let export = try CLIProcess.run(["export", "--onnx", folder + "/toy.onnx", "--output", folder + "/own"])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.stdout.hasSuffix("written to \(folder)/toy.onnx (ONNX opset 13)\n"), export.stdout)
        let again = try CLIProcess.run(["export", "--onnx", folder + "/toy.onnx", "--output", folder + "/own"])
        XCTAssertEqual(again.status, 64)
        XCTAssertTrue(again.stderr.contains("toy.onnx exists; cnn-inte will not replace it"), again.stderr)

        let imported = try CLIProcess.run(["run", "--model", folder + "/toy.onnx", "--data", folder + "/data", "--output", folder + "/imported"]
                                          + interpret)
        XCTAssertEqual(imported.status, 0, imported.stderr)
        func results(_ name: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)/interpretation/results.json"))) as! [String: Any]
        }
        let own = try results("own"), other = try results("imported")
        for key in ["cnn_test_accuracy", "inte_test_accuracy", "fidelity"] {
            XCTAssertEqual(own[key] as? Double, other[key] as? Double, key)
        }
        let instances = { (name: String) in try String(contentsOfFile: "\(folder)/\(name)/interpretation/instances.csv", encoding: .utf8) }
        XCTAssertEqual(try instances("own"), try instances("imported"))
        let model = (other["configuration"] as? [String: Any])?["model"] as? String
        XCTAssertEqual(model, "\(folder)/toy.onnx (ONNX; input byte x 0.003921569; output logits)")
        // The report reads which file it was, typed, not from that display string.
        let provenance = (other["configuration"] as? [String: Any])?["model_provenance"] as? [String: Any]
        XCTAssertEqual(provenance?["kind"] as? String, "imported")
        XCTAssertEqual(provenance?["file"] as? String, "\(folder)/toy.onnx")
        XCTAssertEqual(provenance?["sha256"] as? String, SHA256.hex(try Data(contentsOf: URL(fileURLWithPath: folder + "/toy.onnx"))))
        let ownProvenance = (own["configuration"] as? [String: Any])?["model_provenance"] as? [String: Any]
        XCTAssertEqual(ownProvenance?["kind"] as? String, "trained")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/imported/report/index.html"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/imported/model"), "no training, no model folder")

        // explain and report --model: the artifacts must be of that model.
        let explained = try CLIProcess.run(["explain", "--index", "0", "--model", folder + "/toy.onnx", "--output", folder + "/imported"])
        XCTAssertEqual(explained.status, 0, explained.stderr)
        let another = InspectCommandTests.fixtures + "/tiny-cnn.onnx"
        for command in [["explain", "--index", "0"], ["report", "--quiet"]] {
            let refused = try CLIProcess.run(command + ["--model", another, "--output", folder + "/imported"])
            XCTAssertEqual(refused.status, 1, refused.stderr)
            XCTAssertEqual(refused.stderr, "cnn-inte: error: \(folder)/imported/interpretation/results.json: was made with \(folder)/toy.onnx (ONNX; input byte x 0.003921569; output logits), not with \(another) (their SHA-256 differ)\n")
        }
    }

    func testModelOptionsNeedAModelAndSenseValues() throws {
        for (arguments, message) in [(["interpret", "--mean", "0.5"], "give --model too"),
                                     (["interpret", "--model", "m.onnx", "--std", "0,1"], "--std values must be positive"),
                                     (["interpret", "--model", "m.onnx", "--mean", "a,b"], "--mean takes numbers separated by commas"),
                                     (["features", "--model", "m.onnx", "--input-scale", "-1", "--npy", "f.npy"], "--input-scale must be positive")] {
            let result = try CLIProcess.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
