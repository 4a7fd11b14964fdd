import Foundation
import Numerics
import Sharding
import XCTest

final class ShardFolderTests: XCTestCase {
    var output: String!
    var folder: ShardFolder { ShardFolder(output: output) }
    let key = ShardKey(plan: "plan-1", inputs: ["data": "d", "model": "m"])

    override func setUpWithError() throws { output = NSTemporaryDirectory() + "cnn-inte-shardfolder-" + UUID().uuidString }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: output) }

    func testAShardIsWrittenWholeWithItsRecordAndSkippedWhenDone() throws {
        XCTAssertTrue(try folder.produce("activations", 3, key: key) { out in
            try Data("abc".utf8).write(to: URL(fileURLWithPath: out + "/a.bin"))
            // Nothing is in place while the shard works.
            XCTAssertFalse(FileManager.default.fileExists(atPath: self.folder.shard("activations", 3)))
        })
        let record = try XCTUnwrap(folder.record("activations", 3))
        XCTAssertEqual(record.key, key)
        XCTAssertEqual(record.files, ["a.bin": SHA256.hex(Array("abc".utf8))])
        XCTAssertTrue(folder.shard("activations", 3).hasSuffix("shards/activations/00003"))
        XCTAssertFalse(try folder.produce("activations", 3, key: key) { _ in XCTFail("done: not run again") })
        // Other settings or inputs: redone, and the old files go, with what a killed
        // attempt on another node left.
        try FileManager.default.createDirectory(atPath: folder.shard("activations", 3) + ".partial-node7-4242", withIntermediateDirectories: false)
        let other = ShardKey(plan: "plan-2", inputs: key.inputs)
        XCTAssertTrue(try folder.produce("activations", 3, key: other) { out in
            try Data("xyz".utf8).write(to: URL(fileURLWithPath: out + "/b.bin"))
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.shard("activations", 3)).sorted(), ["b.bin", "done.json"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.stage("activations")), ["00003"])
    }

    func testAFailedShardLeavesItsErrorAndNoFiles() throws {
        struct Broken: Error, CustomStringConvertible { var description: String { "disk\nfull" } }
        XCTAssertThrowsError(try folder.produce("activations", 0, key: key) { out in
            try Data("half".utf8).write(to: URL(fileURLWithPath: out + "/a.bin"))
            throw Broken()
        })
        XCTAssertNil(folder.record("activations", 0))
        XCTAssertEqual(folder.failure("activations", 0), "disk full")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.stage("activations")), ["00000.failed"])
        // The next attempt clears the failure.
        try folder.produce("activations", 0, key: key) { _ in }
        XCTAssertNil(folder.failure("activations", 0))
        XCTAssertNotNil(folder.record("activations", 0))
    }

    func testTheShardsFolderIsClaimedOnlyWhenOurs() throws {
        try ShardFolders.claim(folder)
        try ShardFolders.claim(folder)  // ours: again is fine
        let user = NSTemporaryDirectory() + "cnn-inte-usershards-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: user) }
        try FileManager.default.createDirectory(atPath: user + "/shards", withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: user + "/shards/notes.txt"))
        XCTAssertThrowsError(try ShardFolders.claim(ShardFolder(output: user))) {
            XCTAssertTrue("\($0)".contains("/shards: exists and was not written by cnn-inte"), "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: user + "/shards"), ["notes.txt"])
    }
}

final class ShardIndexTests: XCTestCase {
    func testTheIndexComesFromTheOptionThenSlurmThenKubernetes() throws {
        XCTAssertEqual(try ShardIndex.resolve(2, count: 4, stage: "s", environment: ["SLURM_ARRAY_TASK_ID": "1"]), 2)
        XCTAssertEqual(try ShardIndex.resolve(nil, count: 4, stage: "s", environment: ["SLURM_ARRAY_TASK_ID": "1", "JOB_COMPLETION_INDEX": "3"]), 1)
        XCTAssertEqual(try ShardIndex.resolve(nil, count: 4, stage: "s", environment: ["JOB_COMPLETION_INDEX": "3"]), 3)
        XCTAssertEqual(try ShardIndex.resolve(nil, count: 1, stage: "s", environment: [:]), 0)
    }

    func testBadIndicesAreUsageErrorsNamingTheirSource() {
        func message(_ given: Int?, _ environment: [String: String]) -> String {
            do { _ = try ShardIndex.resolve(given, count: 4, stage: "activations", environment: environment); return "" } catch {
                XCTAssertTrue(error is UsageError)
                return "\(error)"
            }
        }
        XCTAssertEqual(message(4, [:]), "--index 4: stage activations has shards 0 to 3")
        XCTAssertEqual(message(nil, ["SLURM_ARRAY_TASK_ID": "x"]), "SLURM_ARRAY_TASK_ID is 'x', not a shard index")
        XCTAssertEqual(message(nil, ["JOB_COMPLETION_INDEX": "9"]), "JOB_COMPLETION_INDEX 9: stage activations has shards 0 to 3")
        XCTAssertTrue(message(nil, [:]).hasPrefix("shard activations: give --index"))
    }
}
