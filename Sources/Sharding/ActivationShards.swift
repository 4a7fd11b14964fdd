import Datasets
import Foundation
import Interpretation
import Numerics

/// The activation stage: each shard runs the network over its pieces of the
/// interpretation's passes (`ActivationLayout`) and keeps the interpreted layer's
/// activations and the CNN's probabilities as `.npy` files.
public enum ActivationShards {
    public static let stage = "activations"

    /// The images of `pass` that `piece` covers, made as the interpretation makes them;
    /// `calibrationSources` gives the training images the calibration copies are made of.
    static func images(of piece: ActivationPiece, dataset: Dataset, configuration: InterpretationConfiguration,
                       calibrationSources: () -> PickedImages) -> ImageSet {
        let whole: ImageSet
        switch piece.pass {
        case .train: whole = dataset.train.images
        case .test: whole = dataset.test.images
        case let .augmented(chunk):
            let copies = configuration.effectiveAugmentCopies(trainingImages: dataset.train.count)
            whole = InterpretationRun.augmentedChunk(chunk, of: PickedImages(dataset.train.images), copies: copies, seed: configuration.augmentationSeed)
        case let .calibration(chunk):
            whole = InterpretationRun.augmentedChunk(chunk, of: calibrationSources(), copies: 1,
                                                     seed: CredibilityCalibration.seed(configuration))
        }
        precondition(whole.count == piece.passImages, "ActivationShards: pass \(piece.pass) has \(whole.count) images, the plan \(piece.passImages)")
        if piece.start == 0 && piece.count == whole.count { return whole }
        return whole.images(at: Array(piece.start..<(piece.start + piece.count)))
    }

    /// Computes `pieces` into `folder`, advancing `progress` by images.
    public static func compute(_ pieces: [ActivationPiece], dataset: Dataset, labeller: ImageLabeller,
                               configuration: InterpretationConfiguration, into folder: String, progress: ProgressMeter?) throws {
        // Picked once per shard, however many calibration chunks it holds: past the cap,
        // picking shuffles every training image's index.
        var picked: PickedImages?
        func calibrationSources() -> PickedImages {
            if picked == nil {
                picked = CredibilityCalibration.calibrationImages(dataset.train.images, seed: CredibilityCalibration.seed(configuration))
            }
            return picked!
        }
        for piece in pieces {
            let share = images(of: piece, dataset: dataset, configuration: configuration, calibrationSources: calibrationSources)
            let (features, probabilities) = try labeller.featuresAndProbabilities(
                layer: configuration.layer, images: share, shareOfPassOver: piece.passImages, progress: progress)
            try NPY.write(features, to: (folder as NSString).appendingPathComponent(piece.featuresName))
            try NPY.write(probabilities, to: (folder as NSString).appendingPathComponent(piece.probabilitiesName))
        }
    }
}

/// The interpretation's passes read back from the activation stage's shards; a pass the
/// layout does not hold (boundary blends, other layers) is computed by `fallback`.
public struct ShardedActivations: ActivationSource {
    public let folder: ShardFolder
    public let layout: [[ActivationPiece]]
    public let fallback: ActivationSource

    public init(folder: ShardFolder, layout: [[ActivationPiece]], fallback: ActivationSource) {
        (self.folder, self.layout, self.fallback) = (folder, layout, fallback)
    }

    public func activations(_ pass: ActivationPass, images: () throws -> ImageSet,
                            progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix) {
        let pieces = layout.enumerated().flatMap { shard, pieces in pieces.filter { $0.pass == pass }.map { (shard, $0) } }
            .sorted { $0.1.start < $1.1.start }
        guard !pieces.isEmpty else { return try fallback.activations(pass, images: images, progress: progress) }
        var features: [Float] = [], probabilities: [Float] = []
        var (rows, width, classes) = (0, 0, 0)
        for (shard, piece) in pieces {
            guard piece.start == rows else {
                throw ShardError.layout("pass \(pass): the shards hold images from \(piece.start), expected \(rows)")
            }
            let base = folder.shard(ActivationShards.stage, shard) as NSString
            let f = try read(base.appendingPathComponent(piece.featuresName), rows: piece.count)
            let p = try read(base.appendingPathComponent(piece.probabilitiesName), rows: piece.count)
            (width, classes) = (f.columns, p.columns)
            features += f.values
            probabilities += p.values
            rows += piece.count
            progress?.advance(by: piece.count)
        }
        return (Matrix(rows: rows, columns: width, values: features), Matrix(rows: rows, columns: classes, values: probabilities))
    }

    private func read(_ path: String, rows: Int) throws -> Matrix {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, problem: "is missing (its shard is not done)")
        }
        let matrix: Matrix
        do { matrix = try NPY.decode([UInt8](data)) } catch { throw FileError(path: path, problem: "\(error)") }
        guard matrix.rows == rows else { throw FileError(path: path, problem: "holds \(matrix.rows) rows, its shard plan \(rows)") }
        return matrix
    }
}

/// A sharded run that cannot go on, said in one line.
public enum ShardError: Error, CustomStringConvertible {
    case layout(String)
    case notDone(stage: String, shards: [Int], folder: String)
    case failed(stage: String, index: Int, message: String, log: String)
    case changed(String)

    public var description: String {
        switch self {
        case let .layout(message): return "shards: \(message)"
        case let .notDone(stage, shards, folder):
            let list = shards.prefix(10).map(String.init).joined(separator: ", ") + (shards.count > 10 ? ", ..." : "")
            return "\(folder): stage \(stage) has \(shards.count) shard\(shards.count == 1 ? "" : "s") not done (\(list)); submit the run again to finish them"
        case let .failed(stage, index, message, log): return "stage \(stage), shard \(index) failed: \(message) (log: \(log))"
        case let .changed(message): return message
        }
    }
}
