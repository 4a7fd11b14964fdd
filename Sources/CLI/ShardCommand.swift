import ArgumentParser
import Foundation
import Numerics
import Sharding

/// `cnn-inte shard STAGE`: one shard of a sharded run, as a job array task runs it.
struct ShardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard",
        abstract: "Run one shard of a run planned with --slurm or --plan (what each job runs).",
        discussion: """
            The stages, in order: \(Stage.all.joined(separator: ", ")) (decode and data only for an image folder; train only when the run trains its network; diagrams and report only for 'run').
            The index is --index, else SLURM_ARRAY_TASK_ID (Slurm job arrays), else JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs).
            A shard already done with the same settings and inputs is skipped; one from other settings is redone.
            """)

    @ArgumentParser.Argument(help: ArgumentHelp("The stage.", valueName: "STAGE")) var stage: String
    @Option(parsing: .unconditional, help: "The shard (default: from the scheduler's environment; 0 for a stage of one shard).") var index: Int?
    @Option(help: ArgumentHelp("The run's folder, as given to --slurm or --plan.", valueName: "DIR")) var output = "Output"
    @OptionGroup var progress: OutputOptions

    func validate() throws {
        guard Stage.all.contains(stage) else {
            throw ValidationError("unknown stage '\(stage)'; the stages are \(Stage.all.joined(separator: ", "))")
        }
    }

    func run() throws {
        let folder = ShardFolder(output: output)
        let plan = try ShardPlan.read(folder)
        try ShardedRun.checkProgram(plan)
        // The plan's relative paths (data, model, --output) are the submitting shell's: a
        // pod, which starts elsewhere, takes them from there too when that folder exists.
        if plan.workingDirectory != FileManager.default.currentDirectoryPath,
           FileManager.default.fileExists(atPath: plan.workingDirectory) {
            FileManager.default.changeCurrentDirectoryPath(plan.workingDirectory)
        }
        guard let shards = plan.stages.first(where: { $0.name == stage })?.shards else {
            throw UsageError("shard \(stage): this run has no \(stage) stage; its stages are \(plan.stages.map(\.name).joined(separator: ", "))")
        }
        let index = try ShardIndex.resolve(index, count: shards, stage: stage)
        if let threads = plan.threads { Parallel.threads = threads }
        let started = DispatchTime.now().uptimeNanoseconds
        let ran = try ShardStages.run(stage, index: index, plan: plan, folder: folder, progress: progress.progress)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        print(ran ? String(format: "shard %@ %d: done in %.1f s, peak memory %.0f MiB", stage, index, seconds, Memory.peakResidentMiB())
                  : "shard \(stage) \(index): already done")
    }
}
