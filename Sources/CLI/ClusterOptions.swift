import ArgumentParser
import Datasets
import Foundation
import Numerics
import OutputFolders
import Sharding

/// How a run goes past one machine: `--slurm` submits it as job arrays, `--plan` only
/// writes what a scheduler runs. Shared by `run` and `interpret`.
struct ClusterOptions: ParsableArguments {
    enum Scheduler: String, ExpressibleByArgument, CaseIterable { case slurm, kubernetes }

    @Flag(help: "Run as Slurm jobs over the shared --output folder: write the job scripts under <output>/shards, submit them with sbatch and return (see 'cnn-inte status').")
    var slurm = false

    @Flag(help: "With --slurm: wait until the last job ends; fail naming the stage, shard and log of what failed.")
    var wait = false

    @Option(parsing: .unconditional, help: ArgumentHelp("With --slurm or --plan: shards of the activation stage (default: about 10,000 images each).", valueName: "N"))
    var shards: Int?

    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp("With --slurm: an option passed to every sbatch as given, e.g. --sbatch=--partition=gpu --sbatch=--time=2:00:00 (repeat it).",
                                                        valueName: "OPTION"))
    var sbatch: [String] = []

    @Option(help: ArgumentHelp("Write the shard plan and the scheduler's files without submitting: slurm (batch scripts) or kubernetes (Indexed Job manifests).",
                               valueName: "SCHEDULER"))
    var plan: Scheduler?

    @Option(help: ArgumentHelp("With --plan kubernetes: the container image holding cnn-inte.", valueName: "IMAGE"))
    var image: String?

    @Option(name: .customLong("volume-claim"), help: ArgumentHelp("With --plan kubernetes: the PersistentVolumeClaim of the shared folder, mounted where the folder is here.", valueName: "CLAIM"))
    var volumeClaim: String?

    /// Whether the run is to be split into shards.
    var sharded: Bool { slurm || plan != nil }

    func validate() throws {
        if slurm && plan != nil { throw ValidationError("--slurm submits and --plan only writes the plan; give one of them") }
        if !slurm && (wait || !sbatch.isEmpty) { throw ValidationError("--wait and --sbatch go with --slurm") }
        if !sharded && shards != nil { throw ValidationError("--shards goes with --slurm or --plan") }
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1 (got \(shards))") }
        if plan != .kubernetes && (image != nil || volumeClaim != nil) {
            throw ValidationError("--image and --volume-claim go with --plan kubernetes")
        }
        if plan == .kubernetes && (image == nil || volumeClaim == nil) {
            throw ValidationError("--plan kubernetes needs --image (holding cnn-inte) and --volume-claim (the shared folder)")
        }
    }
}

/// Launches a sharded run from a command's resolved settings.
enum ClusterLaunch {
    static func launch(_ request: ShardedRun.Request, options: ClusterOptions, modelSHA256: String?, progress: ProgressSink) throws {
        let folder = ShardFolder(output: request.output)
        // One launcher at a time, and the folder's checks; released before any job needs it.
        var (plan, pending): (ShardPlan, [String: [Int]])
        do {
            let output = try OutputFolder(writing: request.output)
            try ShardFolders.claim(folder)
            plan = try ShardedRun.plan(request)
            try plan.write(to: folder)
            pending = ShardedRun.pending(plan, folder: folder, data: request.data, modelSHA256: modelSHA256)
            withExtendedLifetime(output) {}
        }
        let counts = plan.stages.map { "\($0.name) \(pending[$0.name]?.count ?? 0)/\($0.shards)" }.joined(separator: ", ")
        switch options.plan {
        case .slurm:
            let launcher = SlurmLauncher(options: options.sbatch)
            try launcher.writeScripts(plan, folder: folder)
            print("plan: \(folder.planPath) (shards to do: \(counts)); batch scripts in \(folder.root)/jobs; run each stage's shards in order with 'cnn-inte shard STAGE --output \(Shell.quote(request.output)) --index I'")
        case .kubernetes:
            let path = try KubernetesPlan.write(plan, folder: folder, image: options.image!, volumeClaim: options.volumeClaim!)
            print("plan: \(folder.planPath) (shards to do: \(counts)); Indexed Jobs in \(path): apply them one after another (kubectl apply -f, then kubectl wait --for=condition=complete)")
        case nil:
            let launcher = SlurmLauncher(options: options.sbatch)
            let submitted = try launcher.submit(plan, folder: folder, pending: pending)
            if submitted.isEmpty { print("nothing to do: every shard of \(folder.root) is done"); return }
            for s in submitted { print("submitted \(s.stage): job \(s.jobID) (\(s.shards.count.counted("shard")))") }
            print("follow it with: cnn-inte status --output \(Shell.quote(request.output))   (logs in \(folder.logs))")
            if options.wait { try wait(submitted, launcher: launcher, plan: plan, folder: folder, progress: progress) }
        }
    }

    /// Blocks until every submitted job left the queue, saying on `progress` how many
    /// shards of each stage are done whenever that changes; throws what stopped the run.
    static func wait(_ submitted: [Submission], launcher: SlurmLauncher, plan: ShardPlan, folder: ShardFolder,
                     progress: ProgressSink) throws {
        let started = DispatchTime.now().uptimeNanoseconds
        var said = ""
        while try launcher.anyQueued(submitted.map(\.jobID)) {
            let line = ShardStatus.of(plan, folder: folder).map { "\($0.stage) \($0.done)/\($0.shards)" }.joined(separator: ", ")
            if line != said {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                progress.line(String(format: "slurm: %@ done (%.0f s)", line, seconds))
                said = line
            }
            usleep(1_000_000)
        }
        if let failure = ShardedRun.outcome(plan, folder: folder, submitted: submitted) { throw failure }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        print(String(format: "done: results in %@ (%.0f s after submission)", plan.output, seconds))
    }
}
