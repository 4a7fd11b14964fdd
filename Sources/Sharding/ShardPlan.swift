import Datasets
import Foundation
import Interpretation
import Network
import Numerics
import OutputFolders
import ONNX
import Report

/// The network a sharded run explains, as its shards load it.
public enum ModelSpec: Codable, Equatable, Sendable {
    /// The user's ONNX file (`--model`) and how its input is prepared.
    case imported(file: String, preprocessing: InputPreprocessing, output: ModelOutput)
    /// A model cnn-inte trained: read from `folder`, recorded in the results as
    /// `weights` (where it ends up: `<output>/model/model.safetensors`).
    case trained(folder: String, weights: String)
}

/// Everything a sharded run's jobs need, written once by the launcher to
/// `<output>/shards/plan.json`: each job is then `cnn-inte shard STAGE --output DIR`
/// with its index, and reads its settings here, typed.
public struct ShardPlan: Codable, Equatable, Sendable {
    /// What the run makes: `run` (with or without training) or `interpret`.
    public enum Job: String, Codable, Sendable { case run, interpret }

    public var job: Job
    /// `--output` as given, and the folder relative paths are taken from.
    public var output: String
    public var workingDirectory: String
    public var data: DataSelection
    public var model: ModelSpec
    /// Set when the run trains its network (the `train` stage).
    public var training: TrainingRun.Configuration?
    public var interpretation: InterpretationConfiguration
    /// The report drawn at the end (`run`); nil: none (`interpret`).
    public var report: ReportRun.Configuration?
    /// `--threads`; nil: the cores the scheduler gives each task.
    public var threads: Int?
    /// The program every job runs, and its build (`ShardedRun.program`; a job refuses
    /// another build).
    public var program: String
    public var programID: String
    /// The decode stage's shards, for an image folder (`DataShards`); empty for data read
    /// whole by every job (IDX files, CIFAR batches, the embedded sample: seconds to load).
    public var imagePieces: [[ImagePiece]] = []
    /// The activation stage's shard count, and the network's inference batch its pieces
    /// are cut at (`activations(trainImages:testImages:)`).
    public var activationShards: Int
    public var batch: Int
    /// The neighbours stage's shard count (0: no such stage, `--neighbours 0`).
    public var neighbourShards: Int = 0
    /// The forest stage's shard count (`ForestShards`; the level-1 clusters are dealt out
    /// to them by size).
    public var forestShards: Int = 1
    /// The report's diagram shards: booklet classes c with c mod count == shard.
    public var diagramShards: Int = 1

    /// Whether the images are decoded in shards (an image folder) rather than by each job.
    public var decodesImages: Bool { !imagePieces.isEmpty }

    /// The stages in order, with their shard counts.
    public var stages: [(name: String, shards: Int)] {
        var stages: [(String, Int)] = []
        if decodesImages { stages += [(Stage.decode, imagePieces.count), (Stage.data, 1)] }
        if training != nil { stages.append((Stage.train, 1)) }
        stages.append((Stage.activations, activationShards))
        if neighbourShards > 0 { stages.append((Stage.neighbours, neighbourShards)) }
        stages += [(Stage.clusters, 1), (Stage.forests, forestShards), (Stage.interpret, 1)]
        if report != nil { stages += [(Stage.diagrams, diagramShards), (Stage.report, 1)] }
        return stages
    }

    /// SHA-256 of the plan's settings: a shard done under another fingerprint is redone.
    public var fingerprint: String {
        var copy = self
        copy.workingDirectory = ""  // where it was submitted from does not change a result
        return SHA256.hex((try? JSONEncoder.sorted.encode(copy)) ?? Data())
    }

    /// The activation stage's pieces for data of these sizes, `activationShards` lists
    /// (some maybe empty). Computed by each job from the data it loads, so images left out
    /// by `--skip-bad-images` while decoding cannot shift them.
    public func activations(trainImages: Int, testImages: Int) -> [[ActivationPiece]] {
        let layout = ActivationLayout.plan(Self.passes(interpretation, trainImages: trainImages, testImages: testImages),
                                           batch: batch, shards: activationShards)
        return layout + Array(repeating: [], count: max(0, activationShards - layout.count))
    }

    /// The CNN passes of an interpretation with these settings over data of these sizes.
    static func passes(_ interpretation: InterpretationConfiguration, trainImages: Int, testImages: Int) -> [(ActivationPass, Int)] {
        ActivationLayout.passes(trainImages: trainImages, testImages: testImages,
                                copies: interpretation.effectiveAugmentCopies(trainingImages: trainImages),
                                calibrationImages: min(trainImages, CredibilityCalibration.calibrationCap))
    }

    public func write(to folder: ShardFolder) throws {
        try FileWriting.atomically(try JSONEncoder.pretty.encode(self), to: folder.planPath)
    }

    public static func read(_ folder: ShardFolder) throws -> ShardPlan {
        guard let data = FileManager.default.contents(atPath: folder.planPath) else {
            throw FileError(path: folder.planPath, problem: "is missing: submit the run with --slurm (or --plan) first")
        }
        do { return try JSONDecoder().decode(ShardPlan.self, from: data) } catch {
            throw FileError(path: folder.planPath, problem: "is not a shard plan of this version (\(error)); submit the run again")
        }
    }
}

/// The stages' names, as the `shard` command and the job scripts name them.
public enum Stage {
    public static let decode = "decode"
    public static let data = "data"
    public static let train = "train"
    public static let activations = ActivationShards.stage
    public static let neighbours = NeighbourShards.stage
    public static let clusters = ForestShards.clustersStage
    public static let forests = ForestShards.stage
    public static let interpret = "interpret"
    public static let diagrams = "diagrams"
    public static let report = "report"
    public static let all = [decode, data, train, activations, neighbours, clusters, forests, interpret, diagrams, report]

    /// The cores a job of `stage` asks the scheduler for: `--threads` for the stages that
    /// compute in parallel; one for the report's, which draw with Graphviz on one thread
    /// (so a node runs as many diagram shards at once as it has cores).
    public static func cores(_ stage: String, plan: ShardPlan) -> Int? {
        stage == diagrams || stage == report ? 1 : plan.threads
    }
}

/// Writes a file whole or not at all.
enum FileWriting {
    static func atomically(_ data: Data, to path: String) throws {
        do {
            try Folders.make((path as NSString).deletingLastPathComponent)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FileError(path: path, problem: "cannot be written (\(FileError.reason(error)))")
        }
    }
}
