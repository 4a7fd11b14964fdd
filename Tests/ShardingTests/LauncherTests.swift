import Datasets
import Foundation
import Interpretation
@testable import Sharding
import XCTest

/// What the launchers write, as exact strings.
final class LauncherTests: XCTestCase {
    func plan(threads: Int? = 2, report: Bool = true) -> ShardPlan {
        ShardPlan(job: .interpret, output: "runs/a b", workingDirectory: "/home/me/work", data: DataSelection(), 
                  model: .imported(file: "/m/r.onnx", preprocessing: .init(), output: .auto), training: nil,
                  interpretation: InterpretationConfiguration(), report: report ? .init() : nil, threads: threads,
                  program: "/opt/cnn-inte/bin/cnn-inte", programID: "build-id:ab", activationShards: 3, batch: 100)
    }

    func testStagesInOrder() {
        XCTAssertEqual(plan().stages.map(\.name), ["activations", "clusters", "forests", "interpret", "diagrams", "report"])
        XCTAssertEqual(plan().stages.map(\.shards), [3, 1, 1, 1, 1, 1])
        XCTAssertEqual(plan(report: false).stages.map(\.name), ["activations", "clusters", "forests", "interpret"])
    }

    func testForestShardsFromThePool() {
        XCTAssertEqual(ForestShards.count(k1: 2, points: 720, shards: 4), 1)  // a small pool is not split
        XCTAssertEqual(ForestShards.count(k1: 10, points: 120_000, shards: 8), 1)
        XCTAssertEqual(ForestShards.count(k1: 40, points: 250_000, shards: nil), 2)
        XCTAssertEqual(ForestShards.count(k1: 10, points: 1_281_167, shards: nil), 10)  // one per level-1 cluster at most
        XCTAssertEqual(ForestShards.count(k1: 40, points: 1_281_167, shards: 4), 4)
        // Fashion-MNIST's ten level-1 clusters in 8 shards: the two largest (8, then 0) alone.
        let sizes = [9808, 5700, 3757, 2884, 6516, 2890, 5678, 6744, 14034, 1989]
        XCTAssertEqual((0..<8).map { ForestShards.clusters(ofShard: $0, of: 8, sizes: sizes) },
                       [[8], [0], [7], [4], [1], [6], [2, 9], [3, 5]])
        XCTAssertEqual(ForestShards.clusters(ofShard: 2, of: 3, sizes: [5, 5]), [])
    }

    func testTheSlurmScriptRunsTheShardFromTheRunsFolder() {
        let folder = ShardFolder(output: "/home/me/work/runs/a b")
        XCTAssertEqual(SlurmLauncher.script(stage: "activations", plan: plan(), folder: folder), """
            #!/bin/bash
            #SBATCH --cpus-per-task=2
            # Written by cnn-inte; cnn-inte status --output 'runs/a b' shows the run.
            cd /home/me/work || exit 1
            exec /opt/cnn-inte/bin/cnn-inte shard activations --output 'runs/a b'

            """)
        XCTAssertEqual(SlurmLauncher.arguments(stage: "activations", sharded: true, folder: folder),
                       ["--job-name=cnn-inte-activations", "--output=/home/me/work/runs/a b/shards/logs/activations-%5a.log"])
        XCTAssertEqual(SlurmLauncher.arguments(stage: "report", sharded: false, folder: folder).last,
                       "--output=/home/me/work/runs/a b/shards/logs/report-00000.log")
        XCTAssertFalse(SlurmLauncher.script(stage: "interpret", plan: plan(threads: nil), folder: folder).contains("cpus-per-task"))
        // Drawing is one thread: a diagram shard asks for one core whatever --threads says.
        XCTAssertTrue(SlurmLauncher.script(stage: "diagrams", plan: plan(), folder: folder).contains("#SBATCH --cpus-per-task=1\n"))
    }

    func testArrayRangesAndShellQuoting() {
        XCTAssertEqual(SlurmLauncher.ranges([0, 1, 2, 3, 5, 7, 8]), "0-3,5,7-8")
        XCTAssertEqual(SlurmLauncher.ranges([4]), "4")
        XCTAssertEqual(Shell.quote("/a/b-c_1.x"), "/a/b-c_1.x")
        XCTAssertEqual(Shell.quote("it's $HOME"), "'it'\\''s $HOME'")
        XCTAssertEqual(Shell.quote(""), "''")
    }

    func testAKubernetesIndexedJobPerStage() {
        let plan = plan()
        let name = "cnn-inte-activations-" + plan.fingerprint.prefix(10)
        XCTAssertEqual(KubernetesPlan.manifest(stage: "activations", shards: 3, plan: plan, image: "reg/cnn-inte:1", volumeClaim: "shared"), """
            # cnn-inte stage activations: 3 shards; apply after the stage before it completed.
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: \(name)
            spec:
              completionMode: Indexed
              completions: 3
              parallelism: 3
              backoffLimit: 6
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - name: cnn-inte
                    image: "reg/cnn-inte:1"
                    command: ["cnn-inte", "shard", "activations", "--output", "/home/me/work/runs/a b"]
                    resources:
                      requests:
                        cpu: "2"
                    volumeMounts:
                    - name: shared
                      mountPath: "/home/me/work/runs/a b"
                  volumes:
                  - name: shared
                    persistentVolumeClaim:
                      claimName: "shared"

            """)
        XCTAssertEqual(KubernetesPlan.yaml("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"")
    }

    func testTheFingerprintIgnoresWhereTheRunWasSubmittedFrom() {
        var moved = plan()
        moved.workingDirectory = "/elsewhere"
        XCTAssertEqual(moved.fingerprint, plan().fingerprint)
        var other = plan()
        other.interpretation.seed = 99
        XCTAssertNotEqual(other.fingerprint, plan().fingerprint)
    }

    func testStatusCountsEachStage() throws {
        let output = NSTemporaryDirectory() + "cnn-inte-status-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: output) }
        let folder = ShardFolder(output: output)
        let plan = plan()
        let key = ShardKey(plan: plan.fingerprint, inputs: [:])
        try folder.produce("activations", 0, key: key) { _ in }
        try folder.produce("activations", 1, key: ShardKey(plan: "old", inputs: [:])) { _ in }  // another plan's: to do
        struct Failed: Error {}
        _ = try? folder.produce("activations", 2, key: key) { _ in throw Failed() }
        let status = ShardStatus.of(plan, folder: folder)
        // The done shard's job's peak memory, as its record holds it.
        let peak = try XCTUnwrap(folder.record("activations", 0)?.peakMiB)
        XCTAssertEqual(status[0].peakMiB, peak)
        XCTAssertGreaterThan(peak, 1)
        XCTAssertEqual(ShardStatus.lines(status), [String(format: "activations  1/3 done, 0 running, 1 failed, 1 to do; peak memory %.0f MiB", peak),
                                                   "clusters     0/1 done, 0 running, 0 failed, 1 to do",
                                                   "forests      0/1 done, 0 running, 0 failed, 1 to do",
                                                   "interpret    0/1 done, 0 running, 0 failed, 1 to do",
                                                   "diagrams     0/1 done, 0 running, 0 failed, 1 to do",
                                                   "report       0/1 done, 0 running, 0 failed, 1 to do"])
        XCTAssertEqual(status[0].failed.map(\.index), [2])
    }

    /// After the jobs: the first failed shard by stage order with its log, else the first
    /// that never finished, else nothing when the last stage is done.
    func testTheOutcomeNamesTheStageShardAndLog() throws {
        let output = NSTemporaryDirectory() + "cnn-inte-outcome-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: output) }
        let folder = ShardFolder(output: output)
        let plan = plan()
        let key = ShardKey(plan: plan.fingerprint, inputs: [:])
        let submitted = [Submission(stage: "activations", jobID: "7", shards: [0, 1, 2]), Submission(stage: "interpret", jobID: "8", shards: [0]),
                         Submission(stage: "diagrams", jobID: "9", shards: [0]), Submission(stage: "report", jobID: "10", shards: [0])]
        try folder.produce("activations", 0, key: key) { _ in }
        XCTAssertEqual(ShardedRun.outcome(plan, folder: folder, submitted: submitted)?.description,
                       "stage activations, shard 1 failed: did not finish (cancelled, out of time or killed) (log: \(output)/shards/logs/activations-00001.log)")
        struct Full: Error, CustomStringConvertible { var description: String { "disk full" } }
        _ = try? folder.produce("activations", 2, key: key) { _ in throw Full() }
        XCTAssertEqual(ShardedRun.outcome(plan, folder: folder, submitted: submitted)?.description,
                       "stage activations, shard 2 failed: disk full (log: \(output)/shards/logs/activations-00002.log)")
        try folder.produce("report", 0, key: key) { _ in }
        XCTAssertNil(ShardedRun.outcome(plan, folder: folder, submitted: submitted))
    }
}
