import Datasets
import Foundation
import Numerics

/// One of the CNN passes an interpretation makes over a fixed set of images, named so that
/// the pass (or a share of it) can be computed elsewhere and read back: on a cluster, each
/// shard of the activation stage computes some of them (`Sharding`), and the interpretation
/// then reads them instead of running the network again.
public enum ActivationPass: Hashable, Codable, Sendable, CustomStringConvertible {
    /// The training images, in order.
    case train
    /// The test images, in order.
    case test
    /// The CNN-labelled augmented copies of training images `chunk * chunkSize ..<` (at
    /// most `chunkSize` of them), `copies` of each, as `Augmentation` makes them.
    case augmented(chunk: Int)
    /// The one fresh augmented copy of calibration images `chunk * chunkSize ..<`
    /// (`CredibilityCalibration`).
    case calibration(chunk: Int)

    /// Source images augmented at once: their copies are made, labelled, routed and binned
    /// together, from a seed derived from the chunk's first image.
    public static let chunkSize = 2_000

    public var description: String {
        switch self {
        case .train: return "train"
        case .test: return "test"
        case let .augmented(chunk): return "augmented-\(chunk)"
        case let .calibration(chunk): return "calibration-\(chunk)"
        }
    }
}

/// Where the interpretation's CNN passes come from. `LiveActivations` runs the network;
/// a cluster's shards are read back by a source of the `Sharding` module. Either gives,
/// for the same pass, the same bits.
public protocol ActivationSource {
    /// The activations of the interpreted layer and the CNN's probabilities for the images
    /// of `pass`; `images` makes them, for a source that must compute them.
    func activations(_ pass: ActivationPass, images: () throws -> ImageSet,
                     progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix)
}

/// The passes computed here, by the network being explained.
public struct LiveActivations: ActivationSource {
    public let labeller: ImageLabeller
    public let layer: String

    public init(labeller: ImageLabeller, layer: String) {
        self.labeller = labeller
        self.layer = layer
    }

    public func activations(_ pass: ActivationPass, images: () throws -> ImageSet,
                            progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix) {
        try labeller.featuresAndProbabilities(layer: layer, images: try images(), progress: progress)
    }
}
