import Datasets
import CSupport
import Foundation
import Interpretation
import Network
import Numerics
import Report

/// A run split into shards: the plan made from the user's settings, which shards are still
/// to do, and what a finished (or failed) run says. The launchers (`SlurmLauncher`,
/// `KubernetesPlan`) submit or write what this decides.
public enum ShardedRun {
    /// What the user asked for, resolved and checked by the command.
    public struct Request {
        public var job: ShardPlan.Job
        public var output: String
        /// The data, as far as the launcher looks at it (an image folder is only listed).
        public var data: DataShape
        public var model: ModelSpec
        public var training: TrainingRun.Configuration?
        public var interpretation: InterpretationConfiguration
        public var report: ReportRun.Configuration?
        public var threads: Int?
        /// `--shards`; nil: from the data (`ActivationLayout.imagesPerShard`).
        public var shards: Int?
        /// The network's inference batch (pieces of a pass start at its multiples).
        public var batch: Int

        public init(job: ShardPlan.Job, output: String, data: DataShape, model: ModelSpec, training: TrainingRun.Configuration?,
                    interpretation: InterpretationConfiguration, report: ReportRun.Configuration?, threads: Int?, shards: Int?, batch: Int) {
            (self.job, self.output, self.data, self.model, self.training) = (job, output, data, model, training)
            (self.interpretation, self.report, self.threads, self.shards, self.batch) = (interpretation, report, threads, shards, batch)
        }
    }

    /// The program running now and what identifies its build: the GNU build ID the linker
    /// wrote (read from memory), else the SHA-256 of the file. Every job must run it.
    public static func program() throws -> (path: String, id: String) {
        let path = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var id = [UInt8](repeating: 0, count: 64)
        let length = Int(cnninte_build_id(&id, Int32(id.count)))
        if length > 0 { return (path, "build-id:" + id.prefix(length).map { String(format: "%02x", $0) }.joined()) }
        guard let bytes = FileManager.default.contents(atPath: path) else { throw FileError(path: path, problem: "cannot be read") }
        return (path, "sha256:" + SHA256.hex(bytes))
    }

    /// The plan of `request`.
    public static func plan(_ request: Request) throws -> ShardPlan {
        let data = request.data
        let (path, id) = try program()
        var plan = ShardPlan(job: request.job, output: request.output, workingDirectory: FileManager.default.currentDirectoryPath,
                             data: data.selection, model: request.model, training: request.training, interpretation: request.interpretation,
                             report: request.report, threads: request.threads, program: path, programID: id,
                             activationShards: 0, batch: request.batch,
                             diagramShards: diagramShards(classes: data.classCount, testImages: data.testImages, shards: request.shards))
        if data.listing != nil {
            plan.imagePieces = DataShards.layout(trainImages: data.trainImages, testImages: data.testImages, shards: request.shards)
        }
        // As many shards as the layout of the listed sizes fills (`--shards`, or from the data).
        let passes = ShardPlan.passes(request.interpretation, trainImages: data.trainImages, testImages: data.testImages)
        plan.activationShards = ActivationLayout.plan(passes, batch: request.batch, shards: request.shards).count
        let points = data.trainImages * (1 + request.interpretation.effectiveAugmentCopies(trainingImages: data.trainImages))
        plan.forestShards = ForestShards.count(k1: request.interpretation.k1, points: points, shards: request.shards)
        if request.interpretation.neighbours > 0 {
            plan.neighbourShards = NeighbourShards.layout(testImages: data.testImages, shards: request.shards).count
        }
        return plan
    }

    /// Test instances a diagram shard draws when no --shards is given (about a minute of
    /// drawing at 96 dpi on one core; docs/CLUSTER.md).
    public static let instancesPerDiagramShard = 1_000

    /// The report's diagram shards: one or more booklet classes each, so at most the number
    /// of classes; `shards`, else about `instancesPerDiagramShard` test instances each.
    static func diagramShards(classes: Int, testImages: Int, shards: Int?) -> Int {
        max(1, min(classes, shards ?? (testImages + instancesPerDiagramShard - 1) / instancesPerDiagramShard))
    }

    /// The shards of each stage still to do. A stage after one with work to do is redone
    /// whole only where its own shards are not done with the key they will have; when the
    /// network is still to be trained, that key is unknown, and everything after is to do.
    public static func pending(_ plan: ShardPlan, folder: ShardFolder, data shape: DataShape, modelSHA256: String?) -> [String: [Int]] {
        var pending: [String: [Int]] = [:]
        var fingerprint = shape.fingerprint
        if let listing = shape.listing {
            // An image folder: its decode shards from the folder as listed now, the data
            // stage from them; the data's fingerprint only once both are done.
            pending[Stage.decode] = DataShards.pendingDecodes(plan, folder: folder, listed: listing)
            fingerprint = pending[Stage.decode]!.isEmpty ? DataShards.fingerprint(plan, folder: folder) : nil
            pending[Stage.data] = fingerprint == nil ? [0] : []
        }
        guard let data = fingerprint else {
            for (stage, shards) in plan.stages where pending[stage] == nil { pending[stage] = Array(0..<shards) }
            return pending
        }
        var key: ShardKey? = modelSHA256.map { ShardStages.key(plan, data: data, model: $0) }
        if plan.training != nil {
            if let record = folder.record(Stage.train, 0), record.key == ShardStages.trainKey(plan, data: data),
               let weights = record.files["model/" + ModelStore.weightsName] {
                key = ShardStages.key(plan, data: data, model: weights)
                pending[Stage.train] = []
            } else {
                pending[Stage.train] = [0]
                key = nil
            }
        }
        for (stage, shards) in plan.stages where pending[stage] == nil {
            pending[stage] = (0..<shards).filter { index in key.map { !folder.isDone(stage, index, key: $0) } ?? true }
        }
        return pending
    }

    /// After the jobs ended: nil when the run finished, else what stopped it, naming the
    /// stage, the shard and its log (the first failed or unfinished shard in stage order).
    public static func outcome(_ plan: ShardPlan, folder: ShardFolder, submitted: [Submission]) -> ShardError? {
        let last = plan.stages.last!.name
        if let record = folder.record(last, 0), record.key.plan == plan.fingerprint, folder.failure(last, 0) == nil { return nil }
        for submission in submitted {
            for index in submission.shards {
                if let message = folder.failure(submission.stage, index) {
                    return .failed(stage: submission.stage, index: index, message: message, log: folder.log(submission.stage, index))
                }
            }
        }
        for submission in submitted {
            for index in submission.shards where folder.record(submission.stage, index) == nil {
                return .failed(stage: submission.stage, index: index,
                               message: "did not finish (cancelled, out of time or killed)", log: folder.log(submission.stage, index))
            }
        }
        return .failed(stage: last, index: 0, message: "did not finish", log: folder.log(last, 0))
    }
}

extension ShardedRun {
    /// Refuses to run a shard with another build than the one that planned the run: its
    /// results could differ from the other shards'.
    public static func checkProgram(_ plan: ShardPlan) throws {
        let (path, id) = try program()
        guard id == plan.programID else {
            throw ShardError.changed("\(path) is another build of cnn-inte than the one that planned this run (\(plan.program)); submit the run again with this one")
        }
    }
}
