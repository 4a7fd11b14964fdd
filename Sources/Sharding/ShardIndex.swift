import Foundation
import Numerics

/// Which shard of a stage a process runs: `--index`, or the index the scheduler put in
/// the environment. Slurm job arrays set `SLURM_ARRAY_TASK_ID`; Kubernetes Indexed Jobs
/// set `JOB_COMPLETION_INDEX`. Both count from 0 here (the launcher submits `--array`
/// with the shards' own numbers).
public enum ShardIndex {
    /// The environment variables read, in this order.
    public static let variables = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]

    /// `given`, else the first of `variables` set, else 0 for a stage of one shard; a usage
    /// error when none is, or when the value is not a number in `0..<count`.
    public static func resolve(_ given: Int?, count: Int, stage: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        let (value, source): (Int?, String)
        if let given {
            (value, source) = (given, "--index")
        } else if let name = variables.first(where: { environment[$0] != nil }) {
            (value, source) = (Int(environment[name]!.trimmingCharacters(in: .whitespaces)), name)
            if value == nil { throw UsageError("\(name) is '\(environment[name]!)', not a shard index") }
        } else if count == 1 {
            (value, source) = (0, "the index")
        } else {
            throw UsageError("shard \(stage): give --index, or run it as a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)")
        }
        guard let value, (0..<count).contains(value) else {
            throw UsageError("\(source) \(value.map(String.init) ?? "?"): stage \(stage) has shards 0 to \(count - 1)")
        }
        return value
    }
}
