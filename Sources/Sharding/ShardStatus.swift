import Foundation

/// A stage of a sharded run as its folder shows it (`cnn-inte status`): shards done with
/// the plan's settings, running (a temporary folder of a live attempt), failed (the last
/// attempt's error), and the rest to do.
public struct ShardStatus: Equatable, Sendable {
    public struct Failure: Equatable, Sendable {
        public var stage: String
        public var index: Int
        public var message: String
    }

    public var stage: String
    public var shards: Int
    public var done: Int
    public var running: Int
    public var failed: [Failure]
    /// The largest peak memory of the done shards' jobs (MiB), where recorded: what
    /// `--sbatch --mem` must at least give the stage.
    public var peakMiB: Double?
    public var toDo: Int { shards - done - running - failed.count }

    /// Every stage of `plan`, in order.
    public static func of(_ plan: ShardPlan, folder: ShardFolder) -> [ShardStatus] {
        let fingerprint = plan.fingerprint
        return plan.stages.map { stage, shards in
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.stage(stage))) ?? []
            var status = ShardStatus(stage: stage, shards: shards, done: 0, running: 0, failed: [])
            for index in 0..<shards {
                let name = String(format: "%05d", index)
                if let record = folder.record(stage, index), record.key.plan == fingerprint {
                    status.done += 1
                    if let peak = record.peakMiB { status.peakMiB = max(status.peakMiB ?? 0, peak) }
                } else if entries.contains(where: { $0.hasPrefix(name + ".partial-") && isLive($0) }) {
                    status.running += 1
                } else if let message = folder.failure(stage, index) {
                    status.failed.append(Failure(stage: stage, index: index, message: message))
                }
            }
            return status
        }
    }

    /// Whether the attempt that made a temporary folder (`<index>.partial-<host>-<pid>`)
    /// may still be at work: on another host it cannot be told, so yes; here, if its process is.
    static func isLive(_ name: String) -> Bool {
        let tail = name.split(separator: "-", omittingEmptySubsequences: false)
        guard let pid = tail.last.flatMap({ Int32($0) }) else { return true }
        let host = name.dropFirst(name.distance(from: name.startIndex, to: name.range(of: ".partial-")!.upperBound))
            .dropLast(String(pid).count + 1)
        return host != ProcessInfo.processInfo.hostName || kill(pid, 0) == 0
    }

    /// One line per stage, aligned.
    public static func lines(_ stages: [ShardStatus]) -> [String] {
        let width = stages.map(\.stage.count).max() ?? 0
        return stages.map { s in
            s.stage.padding(toLength: width, withPad: " ", startingAt: 0)
                + "  \(s.done)/\(s.shards) done, \(s.running) running, \(s.failed.count) failed, \(s.toDo) to do"
                + (s.peakMiB.map { String(format: "; peak memory %.0f MiB", $0) } ?? "")
        }
    }
}
