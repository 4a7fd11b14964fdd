import Datasets
import Foundation
import TestSupport
import XCTest

/// A run split into shards gives the one-process run's results: run stage by stage as a
/// Kubernetes Indexed Job would (`JOB_COMPLETION_INDEX`), and on a real Slurm cluster
/// (`--slurm --wait`), including a cancelled array task finished by submitting again.
final class ClusterTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnn-inte-cluster-" + UUID().uuidString
        try writeToyDataFolder(folder + "/data", train: 240, test: 24)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    /// The toy run of `DeterminismTests`, with a pool large enough for several shards.
    var runArguments: [String] {
        ["run", "--data", folder + "/data", "--architecture", toyLayers, "--epochs", "2", "--batch-size", "10", "--learning-rate", "0.01",
         "--layer", "fc", "--k1", "2", "--k2", "2", "--trees", "5", "--augment-copies", "2", "--seed", "11", "--threads", "2",
         "--jobs", "2", "--quiet"]
    }

    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> CLIResult {
        var env = ProcessInfo.processInfo.environment
        for name in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] { env[name] = nil }
        env.merge(environment ?? [:]) { _, new in new }
        return try CLIProcess.run(arguments, environment: env)
    }

    /// The files a sharded run must give byte for byte, and results.json but for timings.
    func assertSameResults(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var compared = ["model/model.safetensors", "interpretation/instances.csv", "interpretation/clusters.json",
                        "interpretation/interpretation.safetensors", "interpretation/units.json", "interpretation/neighbours.csv",
                        "report/data.js", "report/diagrams/tree.dot"]
        compared += (0..<24).flatMap { ["report/diagrams/\($0).dot", "report/diagrams/\($0).txt", "report/diagrams/\($0).svg",
                                        "report/diagrams/\($0).png", "report/instances/\($0).html"] }
        // The charts, drawn by the last job in a process that drew no instance: their text
        // once came out with other pixels there.
        let figures = try FileManager.default.contentsOfDirectory(atPath: "\(a)/report/figures").sorted()
        XCTAssertEqual(figures, try FileManager.default.contentsOfDirectory(atPath: "\(b)/report/figures").sorted(), file: file, line: line)
        XCTAssertFalse(figures.isEmpty, file: file, line: line)
        compared += figures.map { "report/figures/" + $0 } + ["report/index.html"]
        for path in compared {
            XCTAssertEqual(FileManager.default.contents(atPath: "\(a)/\(path)"), FileManager.default.contents(atPath: "\(b)/\(path)"),
                           path, file: file, line: line)
        }
        XCTAssertEqual(try comparableResults(a), try comparableResults(b), file: file, line: line)
    }

    /// The plan's stages and their shard counts (a run that trains, with a report).
    func stages(_ output: String) throws -> [(String, Int)] {
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/shards/plan.json"))) as! [String: Any]
        let decodes = (plan["imagePieces"] as? [Any])?.count ?? 0
        return (decodes > 0 ? [("decode", decodes), ("data", 1)] : [])
            + [("train", 1), ("activations", plan["activationShards"] as! Int), ("neighbours", plan["neighbourShards"] as! Int),
               ("clusters", 1), ("forests", plan["forestShards"] as! Int), ("interpret", 1),
               ("diagrams", plan["diagramShards"] as! Int), ("report", 1)]
    }

    /// Runs every stage's shards one after another, as Kubernetes Indexed Jobs would
    /// (`JOB_COMPLETION_INDEX`), each expected to succeed.
    func runEveryShard(_ output: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for (stage, shards) in try stages(output) {
            for index in 0..<shards {
                let result = try run(["shard", stage, "--output", output, "--quiet"], environment: ["JOB_COMPLETION_INDEX": "\(index)"])
                XCTAssertEqual(result.status, 0, "\(stage) \(index): \(result.stderr)", file: file, line: line)
            }
        }
    }

    /// The toy images as a folder of PNGs (train/ and test/, a folder per class), 8 or 10
    /// pixels wide (`--resize 6x6` brings them to one size); north-east, the first class
    /// in the folder's order, grey and the others in colour, so the shard that decodes only
    /// the first class's files decodes grey.
    func writeImageFolder(_ path: String) throws {
        for (split, count, seed) in [("train", 240, UInt64(1)), ("test", 24, 2)] {
            let (images, labels) = ToyData.split(count: count, seed: seed)
            for i in 0..<count {
                let label = Int(labels[i]), grey = label == 1, columns = i % 3 == 0 ? 10 : 8
                let pixels = (0..<(6 * columns)).flatMap { p -> [UInt8] in
                    let v = images.image(i)[images.image(i).startIndex + (p / columns) * 6 + (p % columns) * 6 / columns]
                    return grey ? [v] : [v, v / 2, 255 - v]
                }
                let file = "\(path)/\(split)/\(ToyData.classNames[label])/\(String(format: "%03d", i)).png"
                try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(ImageEncoder.encode(pixels, rows: 6, columns: columns, channels: grey ? 1 : 3, format: .png)!)
                    .write(to: URL(fileURLWithPath: file))
            }
        }
    }

    /// An image folder is decoded once, in shards, and every later job maps it: the same
    /// results as one process, grey shards converted as a one-process load converts them;
    /// a file changed after the run re-decodes its shard only.
    func testAnImageFolderDecodedInShardsGivesTheOneProcessRun() throws {
        try writeImageFolder(folder + "/images")
        let arguments = runArguments.map { $0 == folder + "/data" ? folder + "/images" : $0 } + ["--resize", "6x6"]
        let one = try run(arguments + ["--output", folder + "/one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let sharded = folder + "/sharded"
        let planned = try run(arguments + ["--plan", "slurm", "--shards", "5", "--output", sharded])
        XCTAssertEqual(planned.status, 0, planned.stderr)
        XCTAssertTrue(planned.stdout.contains("shards to do: decode 5/5, data 1/1, train 1/1, activations 5/5"), planned.stdout)
        let early = try run(["shard", "train", "--output", sharded])
        XCTAssertTrue(early.stderr.contains("stage data has 1 shard not done (0)"), early.stderr)
        try runEveryShard(sharded)
        // Shard 0 holds only grey files: converted to RGB when the pieces were put together.
        XCTAssertTrue(FileManager.default.fileExists(atPath: sharded + "/shards/data/00000/converted/train-0.pixels"))
        try assertSameResults(folder + "/one", sharded)
        XCTAssertEqual(FileManager.default.contents(atPath: folder + "/one/interpretation/images.json"),
                       FileManager.default.contents(atPath: sharded + "/interpretation/images.json"))

        // One test file replaced: its decode shard (the last) and everything after it are to do.
        let changed = folder + "/images/test/south-east/023.png"
        try Data(contentsOf: URL(fileURLWithPath: folder + "/images/test/south-east/019.png")).write(to: URL(fileURLWithPath: changed))
        let again = try run(arguments + ["--plan", "slurm", "--shards", "5", "--output", sharded])
        XCTAssertTrue(again.stdout.contains("shards to do: decode 1/5, data 1/1, train 1/1, activations 5/5"), again.stdout)

        // Interpreting the trained model again, sharded: on its own data (as recorded with
        // it), planned without decoding; on the folder prepared otherwise, refused.
        let interpret = ["interpret", "--data", folder + "/images", "--layer", "fc", "--k1", "2", "--k2", "2", "--trees", "5",
                         "--seed", "11", "--threads", "2", "--quiet", "--output", sharded, "--plan", "slurm"]
        let planned2 = try run(interpret + ["--resize", "6x6"])
        XCTAssertEqual(planned2.status, 0, planned2.stderr)
        XCTAssertTrue(planned2.stdout.contains("shards to do: decode 1/1, data 1/1, activations"), planned2.stdout)
        let other = try run(interpret + ["--resize", "7x7"])
        XCTAssertEqual(other.status, 64, other.stderr)
        XCTAssertTrue(other.stderr.contains("was trained on 'images'"), other.stderr)
    }

    func testShardsRunOneAfterAnotherAsIndexedJobsGiveTheOneProcessRun() throws {
        let one = try run(runArguments + ["--output", folder + "/one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let sharded = folder + "/sharded"
        let planned = try run(runArguments + ["--plan", "slurm", "--shards", "4", "--output", sharded])
        XCTAssertEqual(planned.status, 0, planned.stderr)
        XCTAssertTrue(planned.stdout.contains("shards to do: train 1/1, activations 4/4, neighbours 1/1, clusters 1/1, forests 1/1, interpret 1/1, diagrams 4/4, report 1/1"), planned.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: sharded + "/shards/jobs/activations.sbatch"))
        // The toy pool (720 points) gets one forest shard; two, as a pool of 200,000 points
        // would get, must gather into the same forests.
        let planPath = sharded + "/shards/plan.json"
        var plan = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: planPath))) as! [String: Any]
        plan["forestShards"] = 2
        try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: planPath))
        // A stage before the one it needs is refused, naming what is missing.
        let early = try run(["shard", "interpret", "--output", sharded])
        XCTAssertEqual(early.status, 1)
        XCTAssertTrue(early.stderr.contains("stage train has 1 shard not done (0)"), early.stderr)
        try runEveryShard(sharded)
        try assertSameResults(folder + "/one", sharded)
        let status = try run(["status", "--output", sharded])
        XCTAssertTrue(status.stdout.hasPrefix("train        1/1 done, 0 running, 0 failed, 0 to do; peak memory "), status.stdout)
        // Again: every shard is done, nothing is redone.
        let again = try run(["shard", "activations", "--output", sharded, "--index", "2"])
        XCTAssertEqual(again.stdout, "shard activations 2: already done\n")
    }

    func testClusterOptionsAreCheckedBeforeAnythingIsWritten() throws {
        let output = folder + "/out"
        for (arguments, message) in [(["--shards", "0", "--slurm"], "--shards must be at least 1 (got 0)"),
                                     (["--wait"], "--wait and --sbatch go with --slurm"),
                                     (["--shards", "3"], "--shards goes with --slurm or --plan"),
                                     (["--slurm", "--plan", "slurm"], "--slurm submits and --plan only writes the plan"),
                                     (["--plan", "kubernetes"], "--plan kubernetes needs --image"),
                                     (["--plan", "nomad"], "--plan")] {
            let result = try run(runArguments + arguments + ["--output", output])
            XCTAssertEqual(result.status, 64, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message) && result.stderr.split(separator: "\n").count == 1, result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        let stage = try run(["shard", "forest", "--output", output])
        XCTAssertEqual(stage.status, 64)
        XCTAssertTrue(stage.stderr.contains("unknown stage 'forest'; the stages are decode, data, train, activations, neighbours, clusters, forests, interpret, diagrams, report"), stage.stderr)
        let status = try run(["status", "--output", output])
        XCTAssertEqual(status.status, 1)
        XCTAssertTrue(status.stderr.contains("/out/shards/plan.json: is missing"), status.stderr)
        // A folder named shards that is the user's is never written into.
        try FileManager.default.createDirectory(atPath: output + "/shards", withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: output + "/shards/notes.txt"))
        let refused = try run(runArguments + ["--plan", "slurm", "--output", output])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("/out/shards: exists and was not written by cnn-inte"), refused.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(), ["shards"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output + "/shards"), ["notes.txt"])
    }

    /// Whether a Slurm cluster answers here; CI starts one (.ci/start-slurm) and must not skip.
    func requireSlurm() throws {
        let sinfo = Process()
        sinfo.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sinfo.arguments = ["sinfo", "-h", "-o", "%t"]
        let out = Pipe()
        (sinfo.standardOutput, sinfo.standardError) = (out, FileHandle.nullDevice)
        var up = false
        if (try? sinfo.run()) != nil {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            sinfo.waitUntilExit()
            up = sinfo.terminationStatus == 0 && ["idle", "mix", "alloc"].contains { text.contains($0) }
        }
        if up { return }
        if ProcessInfo.processInfo.environment["CNN_INTE_REQUIRE_SLURM"] == "1" {
            XCTFail("CNN_INTE_REQUIRE_SLURM=1 but no Slurm cluster answers sinfo (.ci/start-slurm starts one)")
        }
        throw XCTSkip("needs a Slurm cluster (sbatch, sinfo): sudo bash .ci/start-slurm starts a one-node one")
    }

    func testSlurmRunEqualsTheOneProcessRunAndACancelledShardIsFinishedBySubmittingAgain() throws {
        try requireSlurm()
        let one = try run(runArguments + ["--output", folder + "/one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let slurm = try run(runArguments + ["--slurm", "--wait", "--shards", "4", "--output", folder + "/slurm"])
        XCTAssertEqual(slurm.status, 0, slurm.stderr)
        XCTAssertTrue(slurm.stdout.contains("submitted activations: job "), slurm.stdout)
        try assertSameResults(folder + "/one", folder + "/slurm")

        // A second run (another seed, the images as a folder of PNGs, decoded by the jobs)
        // whose activation task 2 is cancelled: the run stops.
        try writeImageFolder(folder + "/images")
        let second = runArguments.map { $0 == "11" ? "12" : $0 == folder + "/data" ? folder + "/images" : $0 }
            + ["--resize", "6x6", "--slurm", "--shards", "4", "--output", folder + "/second"]
        let submitted = try run(second)
        XCTAssertEqual(submitted.status, 0, submitted.stderr)
        let line = try XCTUnwrap(submitted.stdout.split(separator: "\n").first { $0.hasPrefix("submitted activations: job ") })
        let job = String(line.dropFirst("submitted activations: job ".count).prefix { $0.isNumber })
        let cancel = Process()
        cancel.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cancel.arguments = ["scancel", "\(job)_2"]
        try cancel.run()
        cancel.waitUntilExit()
        XCTAssertEqual(cancel.terminationStatus, 0)
        // Wait for what is left of it to leave the queue.
        while queued(job) { usleep(500_000) }
        let stopped = try run(["status", "--output", folder + "/second"]).stdout
        XCTAssertTrue(stopped.contains("activations  3/4 done"), stopped)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/second/report"))
        let records = try doneRecords(folder + "/second")
        // Submitting the same command again runs shard 2 and what follows, nothing else.
        let again = try run(second + ["--wait"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(["decode", "data", "train"].contains { again.stdout.contains("submitted \($0):") }, again.stdout)
        XCTAssertTrue(again.stdout.contains("submitted activations: job ") && again.stdout.contains("(1 shard)"), again.stdout)
        for (path, bytes) in records { XCTAssertEqual(FileManager.default.contents(atPath: path), bytes, "\(path) was redone") }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/second/report/index.html"))
        let done = try run(second)
        XCTAssertTrue(done.stdout.hasPrefix("nothing to do"), done.stdout)
    }

    /// Whether Slurm still has any job pending or running (the run's, on a test cluster).
    func queued(_ job: String) -> Bool {
        let squeue = Process()
        squeue.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        squeue.arguments = ["squeue", "-h", "-o", "%i", "-t", "PENDING,RUNNING,COMPLETING,CONFIGURING"]
        let out = Pipe()
        (squeue.standardOutput, squeue.standardError) = (out, FileHandle.nullDevice)
        guard (try? squeue.run()) != nil else { return false }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        squeue.waitUntilExit()
        return !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// Every done record of a run's shards, by path.
    func doneRecords(_ output: String) throws -> [String: Data] {
        var records: [String: Data] = [:]
        for path in FileManager.default.enumerator(atPath: output + "/shards")?.compactMap({ $0 as? String }) ?? [] where path.hasSuffix("done.json") {
            records[output + "/shards/" + path] = FileManager.default.contents(atPath: output + "/shards/" + path)
        }
        return records
    }
}
