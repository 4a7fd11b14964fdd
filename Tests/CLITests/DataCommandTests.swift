import Foundation
import XCTest

final class DataCommandTests: XCTestCase {
    func testDataInfoOnTheEmbeddedSample() throws {
        let result = try CLIProcess.run(["data", "info"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("data set:   mnist5k"))
        XCTAssertTrue(result.stdout.contains("images:     28x28 grey-scale, 10 classes"))
        XCTAssertTrue(result.stdout.contains("train:      4000 images (0: 400, 1: 400, 2: 400, 3: 400, 4: 400, 5: 400, 6: 400, 7: 400, 8: 400, 9: 400)"))
        XCTAssertTrue(result.stdout.contains("test:       1000 images (0: 100, 1: 100, 2: 100, 3: 100, 4: 100, 5: 100, 6: 100, 7: 100, 8: 100, 9: 100)"))
        XCTAssertEqual(result.stdout.components(separatedBy: "matches SHA256SUMS").count - 1, 4)
        XCTAssertEqual(result.stderr, "")
    }

    func testDataInfoJSON() throws {
        let result = try CLIProcess.run(["data", "info", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((object["train"] as! [String: Any])["images"] as? Int, 4000)
        XCTAssertEqual((object["test"] as! [String: Any])["perClass"] as? [Int], [Int](repeating: 100, count: 10))
        XCTAssertEqual(object["rows"] as? Int, 28)
    }

    func testUnknownDataFolderIsAUsageError() throws {
        let result = try CLIProcess.run(["data", "info", "--data", "/nonexistent/mnist"])
        XCTAssertEqual(result.status, 64)
        XCTAssertEqual(result.stderr, "cnn-inte: error: /nonexistent/mnist: no such data folder\n")
        XCTAssertEqual(result.stdout, "")
    }

    func testCorruptFileThroughTheCLINamesTheFileAndExits1() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            FileManager.default.createFile(atPath: folder + "/" + name + ".gz", contents: Data("garbage".utf8))
        }
        let result = try CLIProcess.run(["data", "info", "--data", folder])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "cnn-inte: error: \(folder)/train-images-idx3-ubyte.gz: named .gz but is not gzip data\n")
    }

    func testUnknownOptionExits64() throws {
        let result = try CLIProcess.run(["data", "info", "--bogus"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("Unknown option '--bogus'"), result.stderr)
    }
}
