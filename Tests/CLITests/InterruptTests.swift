import Datasets
import Foundation
import Numerics
@testable import OutputFolders
import XCTest

/// Ctrl-C (SIGINT) and SIGTERM in the middle of a run: one line saying what was kept, the
/// previous result untouched, no staging folder and no lock left, and the process ended
/// by the signal.
final class InterruptTests: XCTestCase {
    var folder: String!
    var output: String { folder + "/out" }

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnn-inte-interrupt-" + UUID().uuidString
        try writeToyDataFolder(folder + "/data", train: 120, test: 24)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func arguments(seed: Int) -> [String] {
        ["run", "--data", folder + "/data", "--output", output, "--seed", "\(seed)", "--jobs", "2", "--quiet"]
            + HardeningTests.train + HardeningTests.interpret
    }

    /// Every file under `output` with its SHA-256, as "path sha" lines.
    func snapshot() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: output) else { return [] }
        var lines: [String] = []
        while let path = walker.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: output + "/" + path) { lines.append(path + " " + SHA256.hex(data)) }
        }
        return lines.sorted()
    }

    /// Starts a run, waits until it is writing its staging folders, sends `signalNumber`,
    /// and returns how it ended and what it printed on stderr.
    func interrupt(_ signalNumber: Int32, seed: Int) throws -> (reason: Process.TerminationReason, status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = CLIProcess.executable
        process.arguments = arguments(seed: seed)
        let err = Pipe()
        (process.standardOutput, process.standardError, process.standardInput) = (FileHandle.nullDevice, err, FileHandle.nullDevice)
        try process.run()
        let staging = ".model.partial-\(process.processIdentifier)"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: output + "/" + staging) && process.isRunning && Date() < deadline { usleep(2_000) }
        XCTAssertTrue(process.isRunning, "the run ended before it could be interrupted")
        usleep(100_000)  // into the training
        kill(process.processIdentifier, signalNumber)
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationReason, process.terminationStatus, message)
    }

    func testInterruptedRunKeepsThePreviousResultAndCleansUp() throws {
        XCTAssertEqual(try CLIProcess.run(arguments(seed: 1)).status, 0)
        let before = snapshot()
        XCTAssertFalse(before.isEmpty)
        for (signalNumber, name) in [(SIGINT, "interrupted (Ctrl-C)"), (SIGTERM, "terminated (SIGTERM)")] {
            let ended = try interrupt(signalNumber, seed: 2)
            XCTAssertEqual(ended.reason, .uncaughtSignal, ended.stderr)
            XCTAssertEqual(ended.status, signalNumber)
            XCTAssertEqual(ended.stderr, "cnn-inte: \(name): \(output)/interpretation, \(output)/model, \(output)/pdf and \(output)/report left as they were (the previous result); staging folders and lock removed\n")
            XCTAssertEqual(snapshot(), before, "the previous result changed")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(), ["interpretation", "model", "pdf", "report"],
                           "a staging folder or the lock is left")
        }
    }

    func testInterruptedFirstRunLeavesNothing() throws {
        let ended = try interrupt(SIGINT, seed: 1)
        XCTAssertEqual(ended.status, SIGINT)
        XCTAssertEqual(ended.stderr, "cnn-inte: interrupted (Ctrl-C): \(output)/interpretation, \(output)/model, \(output)/pdf and \(output)/report not written; staging folders and lock removed\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output), [])
    }

    /// The summary line's wording for a run that had already put a folder in place.
    func testSummaryNamesWhatThisRunWrote() {
        XCTAssertEqual(Interruption.summary(signal: SIGTERM, staged: [], written: ["/o/model"]),
                       "terminated (SIGTERM): /o/model written by this run; staging folders and lock removed")
    }
}
