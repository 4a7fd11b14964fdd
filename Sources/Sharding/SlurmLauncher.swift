import Foundation
import Numerics
import OutputFolders

/// One stage submitted: its Slurm job (an array when it has several shards) and the shards
/// it runs.
public struct Submission: Equatable, Sendable {
    public var stage: String
    public var jobID: String
    public var shards: [Int]
}

/// Submits a plan's stages to Slurm: one batch script per stage under
/// `<output>/shards/jobs/`, the sharded ones as job arrays over the shards still to do,
/// each stage after the ones before it (`--dependency=afterok`, and
/// `--kill-on-invalid-dep=yes` so a failed shard cancels what waits on it instead of
/// leaving it pending forever). Does not schedule anything itself.
public struct SlurmLauncher {
    /// `sbatch`, `squeue` and `scancel` (their paths, for tests).
    public var sbatch = "sbatch"
    public var squeue = "squeue"
    /// Options passed to every `sbatch` as given (`--sbatch`: partition, time, account...).
    public var options: [String] = []

    public init(options: [String] = []) { self.options = options }

    /// The batch script of `stage`: it runs the stage's shard from the run's folder. Its
    /// name and logs are given on `sbatch`'s command line (`arguments`), where no quoting
    /// of a `#SBATCH` line can go wrong.
    public static func script(stage: String, plan: ShardPlan, folder: ShardFolder) -> String {
        var lines = ["#!/bin/bash"]
        if let cores = Stage.cores(stage, plan: plan) { lines.append("#SBATCH --cpus-per-task=\(cores)") }
        lines.append("# Written by cnn-inte; cnn-inte status --output \(Shell.quote(plan.output)) shows the run.")
        lines.append("cd \(Shell.quote(plan.workingDirectory)) || exit 1")
        lines.append("exec \(Shell.quote(plan.program)) shard \(stage) --output \(Shell.quote(plan.output))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `sbatch`'s own arguments for `stage`: its name and its shards' logs.
    static func arguments(stage: String, sharded: Bool, folder: ShardFolder) -> [String] {
        let log = (folder.logs as NSString).appendingPathComponent(sharded ? "\(stage)-%5a.log" : "\(stage)-00000.log")
        return ["--job-name=cnn-inte-\(stage)", "--output=\(log)"]
    }

    /// Writes the scripts and submits the stages that have shards to do (`pending`, by
    /// stage), in order, each depending on the last one submitted before it.
    public func submit(_ plan: ShardPlan, folder: ShardFolder, pending: [String: [Int]]) throws -> [Submission] {
        try writeScripts(plan, folder: folder)
        var submitted: [Submission] = []
        for (stage, shards) in plan.stages {
            guard let todo = pending[stage], !todo.isEmpty else { continue }
            let path = Self.scriptPath(stage, folder: folder)
            var arguments = ["--parsable", "--kill-on-invalid-dep=yes"] + Self.arguments(stage: stage, sharded: shards > 1, folder: folder)
            if shards > 1 { arguments.append("--array=" + Self.ranges(todo)) }
            if let last = submitted.last { arguments.append("--dependency=afterok:\(last.jobID)") }
            arguments += options + [path]
            let output = try Self.command(sbatch, arguments)
            // --parsable prints "<id>" or "<id>;<cluster>".
            guard let id = output.split(separator: ";").first.map(String.init), Int(id) != nil else {
                throw ShardError.changed("sbatch: unexpected answer '\(output)' for stage \(stage)")
            }
            submitted.append(Submission(stage: stage, jobID: id, shards: todo))
        }
        return submitted
    }

    /// Each stage's batch script, and the logs' folder.
    public func writeScripts(_ plan: ShardPlan, folder: ShardFolder) throws {
        try Folders.make(folder.logs)
        for (stage, _) in plan.stages {
            try FileWriting.atomically(Data(Self.script(stage: stage, plan: plan, folder: folder).utf8), to: Self.scriptPath(stage, folder: folder))
        }
    }

    static func scriptPath(_ stage: String, folder: ShardFolder) -> String {
        ((folder.root as NSString).appendingPathComponent("jobs") as NSString).appendingPathComponent("\(stage).sbatch")
    }

    /// "0-3,5,7-8" for [0, 1, 2, 3, 5, 7, 8].
    static func ranges(_ indices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let sorted = indices.sorted()
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count, sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Whether any of `jobs` is still queued or running.
    public func anyQueued(_ jobs: [String]) throws -> Bool {
        guard !jobs.isEmpty else { return false }
        let output = try Self.command(squeue, ["-h", "-o", "%i", "-t", "PENDING,RUNNING,SUSPENDED,COMPLETING,CONFIGURING,REQUEUED,RESIZING",
                                                  "-j", jobs.joined(separator: ",")], allowFailure: true)
        return !output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// Runs a Slurm command; its standard output, trimmed. A failure throws its stderr.
    static func command(_ program: String, _ arguments: [String], allowFailure: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError) = (out, err)
        do { try process.run() } catch { throw ShardError.changed("\(program): cannot be started (\(error))") }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus != 0 && !allowFailure {
            let message = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ShardError.changed("\(program) failed (status \(process.terminationStatus)): \(message.isEmpty ? "no message" : message)")
        }
        return String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Quoting for the job scripts.
public enum Shell {
    /// `text` as one word of a POSIX shell.
    public static func quote(_ text: String) -> String {
        if !text.isEmpty, text.allSatisfy({ $0.isLetter && $0.isASCII || $0.isNumber || "/._-=:,+@".contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
