import Foundation
import XCTest

/// Two whole runs (train, interpret, report) with the same seed and thread count give
/// byte-identical results (timings and the output path aside), instances and diagrams.
final class DeterminismTests: XCTestCase {
    func testSameSeedAndThreadsGiveIdenticalRuns() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-determinism-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeToyDataFolder(folder + "/data", train: 120, test: 24)
        for name in ["a", "b"] {
            let result = try CLIProcess.run(["run", "--data", folder + "/data", "--architecture", toyLayers, "--epochs", "3",
                                             "--batch-size", "10", "--learning-rate", "0.01", "--layer", "fc", "--k1", "2", "--k2", "2",
                                             "--trees", "5", "--augment-copies", "1", "--seed", "11", "--threads", "2", "--jobs", "2",
                                             "--quiet", "--output", folder + "/" + name])
            XCTAssertEqual(result.status, 0, result.stderr)
        }
        XCTAssertEqual(try comparableResults(folder + "/a"), try comparableResults(folder + "/b"))
        var compared = ["model/model.safetensors", "interpretation/instances.csv", "interpretation/clusters.json",
                        "interpretation/interpretation.safetensors", "report/data.js", "report/diagrams/tree.dot"]
        compared += (0..<24).flatMap { ["report/diagrams/\($0).dot", "report/diagrams/\($0).txt", "report/diagrams/\($0).svg"] }
        for path in compared {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/a/\(path)")),
                           try Data(contentsOf: URL(fileURLWithPath: "\(folder)/b/\(path)")), path)
        }
    }
}
