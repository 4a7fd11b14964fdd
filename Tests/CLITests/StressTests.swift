import Datasets
import Foundation
import Numerics
import OutputFolders
import XCTest

/// Runs that overlap or die: two runs into one folder at once, and runs killed at
/// random points by SIGINT, SIGTERM and SIGKILL. Afterwards the folder holds one
/// complete result, old or new, never a mix; no process is left drawing; and after the
/// next run no staging folder is left.
final class StressTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnn-inte-stress-" + UUID().uuidString
        try writeToyDataFolder(folder + "/data", train: 120, test: 24)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    var output: String { folder + "/out" }

    func arguments(seed: Int) -> [String] {
        ["run", "--data", folder + "/data", "--output", output, "--seed", "\(seed)", "--jobs", "2", "--quiet"]
            + HardeningTests.train + HardeningTests.interpret
    }

    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = CLIProcess.executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = Pipe()
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func sha(_ path: String) -> String? { FileManager.default.contents(atPath: path).map { SHA256.hex($0) } }

    /// The folder holds one complete result: every result folder's files are exactly
    /// those its manifest lists, the interpretation is of the model beside it, and the
    /// report was drawn from both. Returns the model's fingerprint (which result it is).
    @discardableResult
    func assertOneCompleteResult(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let fm = FileManager.default
        XCTAssertFalse(fm.fileExists(atPath: output + "/.cnn-inte.commit"), "no commit left half done", file: file, line: line)
        for name in ["model", "interpretation", "report", "pdf"] {
            let manifest = try XCTUnwrap(Manifest.read(output + "/" + name), "\(name) has no manifest", file: file, line: line)
            var listed: [String] = []
            let walker = try XCTUnwrap(fm.enumerator(atPath: output + "/" + name))
            while let path = walker.nextObject() as? String {
                if walker.fileAttributes?[.type] as? FileAttributeType != .typeDirectory && path != Manifest.fileName { listed.append(path) }
            }
            XCTAssertEqual(listed.sorted(), manifest.files, "\(name) is not complete", file: file, line: line)
        }
        let model = try XCTUnwrap(sha(output + "/model/model.safetensors"), file: file, line: line)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/interpretation/results.json"))) as! [String: Any]
        XCTAssertEqual((results["configuration"] as? [String: Any])?["model_fingerprint"] as? String, model,
                       "the interpretation is of another model", file: file, line: line)
        let sources = Manifest.read(output + "/report")?.sources
        XCTAssertEqual(sources?["model"], model, "the report is of another model", file: file, line: line)
        XCTAssertEqual(sources?["interpretation"], sha(output + "/interpretation/interpretation.safetensors"),
                       "the report is of another interpretation", file: file, line: line)
        return model
    }

    /// Processes still running whose command line names the output folder (workers).
    func strays() -> [String] {
        let me = getpid()
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), pid != me,
                  let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { return nil }
            let command = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return command.contains(output) ? "\(pid): \(command)" : nil
        }
    }

    func waitForNoStrays(file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(5)
        while !strays().isEmpty && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(strays(), [], "processes left running", file: file, line: line)
    }

    func testTwoRunsIntoOneFolderAtOnce() throws {
        let first = try start(arguments(seed: 1))
        let second = try start(arguments(seed: 2))
        first.waitUntilExit()
        second.waitUntilExit()
        let statuses = [first.terminationStatus, second.terminationStatus]
        XCTAssertTrue(statuses.contains(0), "\(statuses)")
        for (process, status) in zip([first, second], statuses) where status != 0 {
            let message = String(decoding: (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(status, 1)
            XCTAssertTrue(message.hasPrefix("cnn-inte: error: \(output): is being written by another cnn-inte (process "), message)
        }
        try assertOneCompleteResult()
        waitForNoStrays()
    }

    func testRunsKilledAtRandomPointsLeaveTheOldOrTheNewResult() throws {
        XCTAssertEqual(try CLIProcess.run(arguments(seed: 1)).status, 0)
        var results = [try assertOneCompleteResult()]
        var rng = SplitMix64(seed: 42)
        let signals = [SIGINT, SIGTERM, SIGKILL]
        for round in 0..<10 {
            let process = try start(arguments(seed: round + 2))
            usleep(UInt32(50_000 + rng.nextInt(below: 1_200_000)))
            kill(process.processIdentifier, signals[round % 3])
            process.waitUntilExit()
            waitForNoStrays()
            // A reader finishes a commit a SIGKILL cut short (and does nothing otherwise).
            _ = try CLIProcess.run(["explain", "--index", "0", "--output", output])
            let model = try assertOneCompleteResult()
            if !results.contains(model) { results.append(model) }
        }
        print("distinct complete results seen: \(results.count)")
        // The next run cleans whatever the dead ones left, and completes.
        XCTAssertEqual(try CLIProcess.run(arguments(seed: 99)).status, 0)
        try assertOneCompleteResult()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(),
                       ["interpretation", "model", "pdf", "report"], "no staging folder or lock left")
    }
}
