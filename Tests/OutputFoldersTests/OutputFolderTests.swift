import Foundation
import XCTest
import Numerics
@testable import OutputFolders

/// What opening an output folder cleans, and what it never touches.
final class OutputFolderTests: XCTestCase {
    func testOpeningRemovesWhatDeadRunsLeftAndNothingElse() throws {
        let root = NSTemporaryDirectory() + "cnn-inte-output-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        func folder(_ name: String, files: [String: String]) throws {
            try fm.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
            for (file, text) in files { try text.write(toFile: root + "/" + name + "/" + file, atomically: false, encoding: .utf8) }
        }
        // Left by runs killed at different moments:
        try folder(".model.partial-99991", files: ["model.json": "{}"])                              // marked
        try Manifest(kind: "model", files: nil).write(into: root + "/.model.partial-99991")
        try folder(".report.partial-99992.new", files: [:])                                         // killed before the marker
        try folder(".pdf.partial-99993.new", files: [Manifest.fileName: "{\"ki"])                    // during it
        try folder(".interpretation.partial-99994.old", files: ["x": "y"])                           // aside during a commit
        try "{\"mo".write(toFile: root + "/" + OutputFolder.journalName + ".partial", atomically: false, encoding: .utf8)  // before the journal was in place
        // Not ours: kept.
        try folder(".model.partial-99995", files: ["taxes.pdf": "mine"])                             // no marker
        try folder(".report.partial-99996.new", files: ["taxes.pdf": "mine"])                        // more than a marker
        try folder("photos", files: ["a.jpg": "mine"])
        let output = try OutputFolder(writing: root)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: root).sorted(),
                       [".cnn-inte.lock", ".model.partial-99995", ".report.partial-99996.new", "photos"])
        // A staging folder is made whole, marker first, under its own name.
        let staged = try output.stage(["model"])
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: staged[0].path), [Manifest.fileName])
        XCTAssertFalse(fm.fileExists(atPath: staged[0].path + ".new"))
        staged[0].discard()
        // The writer done, nothing of its own is left: the lock goes with it.
        withExtendedLifetime(output) {}
    }

    func testLockIsRemovedWhenTheWriterIsDone() throws {
        let root = NSTemporaryDirectory() + "cnn-inte-lock-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        var first: OutputFolder? = try OutputFolder(writing: root)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/.cnn-inte.lock"))
        XCTAssertThrowsError(try OutputFolder(writing: root)) { error in
            XCTAssertTrue("\(error)".contains("is being written by another cnn-inte (process \(getpid()))"), "\(error)")
        }
        _ = first
        first = nil
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [])
        // A lock taken again after it was removed is a lock.
        let second = try OutputFolder(writing: root)
        XCTAssertThrowsError(try OutputFolder(writing: root))
        withExtendedLifetime(second) {}
    }
}
