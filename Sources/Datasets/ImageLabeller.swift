import Numerics

/// Anything that labels images: images in, class probabilities out, and on the way the
/// activations of a named layer. The interpretation stage sees the network it explains
/// only through this protocol, so it does not depend on how (or by whom) the network was
/// built: the CNN cnn-inte trains implements it, and so will an imported model.
public protocol ImageLabeller: AnyObject {
    /// The classes the probabilities are over.
    var classCount: Int { get }
    /// The layers whose activations can be read, in order.
    var layerNames: [String] { get }

    /// The activations of `layer` (one row per image, flattened) and the softmax
    /// probabilities (one row per image), in one pass, advancing `progress` by the images
    /// done. Throws when the images do not fit the labeller's input or the layer is unknown.
    func featuresAndProbabilities(layer: String, images: ImageSet, progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix)

    /// The same for a share of a pass over `passImages` images that starts at a multiple
    /// of `inferenceBatch` in it: computed in the batches the whole pass takes, so that the
    /// share's activations are, bit for bit, the whole pass's (a cluster's shards split
    /// passes this way).
    func featuresAndProbabilities(layer: String, images: ImageSet, shareOfPassOver passImages: Int,
                                  progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix)

    /// Images one inference batch takes; shares of a pass start at multiples of it.
    var inferenceBatch: Int { get }
}

extension ImageLabeller {
    /// A labeller whose results do not depend on its batches: a share is computed alone.
    public func featuresAndProbabilities(layer: String, images: ImageSet, shareOfPassOver passImages: Int,
                                         progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix) {
        try featuresAndProbabilities(layer: layer, images: images, progress: progress)
    }

    public var inferenceBatch: Int { 1 }
}

extension ImageLabeller {
    /// The same without progress.
    public func featuresAndProbabilities(layer: String, images: ImageSet) throws -> (features: Matrix, probabilities: Matrix) {
        try featuresAndProbabilities(layer: layer, images: images, progress: nil)
    }
}

extension ImageLabeller {
    /// The predicted class of each image (the first of the most probable on a tie) with
    /// the activations of `layer`.
    public func label(_ images: ImageSet, layer: String) throws -> (features: Matrix, predictions: [Int]) {
        let (features, probabilities) = try featuresAndProbabilities(layer: layer, images: images)
        return (features, probabilities.argmaxRows())
    }
}

extension Matrix {
    /// The column of the largest value in each row; the first one on a tie.
    public func argmaxRows() -> [Int] {
        (0..<rows).map { r in
            var best = 0
            for c in 1..<max(columns, 1) where values[r * columns + c] > values[r * columns + best] { best = c }
            return best
        }
    }
}
