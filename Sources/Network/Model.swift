import Datasets
import Foundation
import Numerics

/// A CNN: the layers of an `Architecture` with their weights.
public final class Model {
    public let architecture: Architecture
    public let layers: [Layer]

    /// Builds the layers and initialises the weights from `seed`: He-normal for layers
    /// followed by ReLU, Glorot-uniform for the rest, zero biases.
    public init(architecture: Architecture, seed: UInt64) throws {
        try architecture.validate(classes: nil)
        self.architecture = architecture
        var shape = architecture.input
        var layers: [Layer] = []
        let root = SplitMix64(seed: seed)
        for (index, spec) in architecture.layers.enumerated() {
            let layer: Layer
            switch spec.kind {
            case .conv:
                layer = Conv2D(name: spec.name, inputShape: shape, outputChannels: spec.units!,
                               kernelSize: spec.size!, activation: spec.activation ?? .none)
            case .maxpool:
                layer = MaxPool2D(name: spec.name, inputShape: shape, size: spec.size!)
            case .dense:
                layer = Dense(name: spec.name, inputShape: shape, outputs: spec.units!, activation: spec.activation ?? .none)
            case .dropout:
                layer = Dropout(name: spec.name, inputShape: shape, rate: spec.rate!, seed: root.derived(UInt64(1000 + index)).state)
            }
            var rng = root.derived(UInt64(index))
            for parameter in layer.parameters where parameter.name.hasSuffix(".weight") {
                let s = parameter.value.shape
                let fanIn = s.dropLast().reduce(1, *), fanOut = s.last!
                let relu = (spec.activation ?? .none) == .relu
                for i in 0..<parameter.value.count {
                    if relu {
                        parameter.value[i] = Float(rng.nextGaussian() * (2.0 / Double(fanIn)).squareRoot())
                    } else {
                        let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
                        parameter.value[i] = Float((rng.nextUnit() * 2 - 1) * limit)
                    }
                }
            }
            layers.append(layer)
            shape = layer.outputShape
        }
        self.layers = layers
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
    public var classCount: Int { layers.last!.outputShape[0] }
    public var layerNames: [String] { layers.map(\.name) }

    /// Reseeds the dropout masks (each training run starts its own stream).
    public func reseedDropout(_ seed: UInt64) {
        for (index, layer) in layers.enumerated() {
            if let dropout = layer as? Dropout { dropout.generator = SplitMix64(seed: seed).derived(UInt64(index)) }
        }
    }

    /// Runs the network; returns the logits `[N, classes]` (owned by the last layer).
    /// With `stopAt`, returns that layer's output instead.
    @discardableResult
    public func forward(_ input: Tensor, training: Bool, stopAt: String? = nil) -> Tensor {
        var x = input
        for layer in layers {
            x = layer.forward(x, training: training)
            if layer.name == stopAt { break }
        }
        return x
    }

    /// Backpropagates `gradLogits` through every layer, filling each parameter's gradient.
    public func backward(_ gradLogits: Tensor) {
        var g = gradLogits
        for (index, layer) in layers.enumerated().reversed() {
            guard let next = layer.backward(g, needInputGradient: index > 0) else { break }
            g = next
        }
    }

    /// Converts images `[start, start + count)` to the input tensor: pixels / 255, NHWC.
    public static func fill(_ tensor: Tensor, from images: ImageSet, indices: ArraySlice<Int>) {
        let pixels = images.pixelsPerImage
        tensor.resize([indices.count, images.rows, images.columns, 1])
        images.pixels.withUnsafeBufferPointer { source in
            let target = tensor.pointer
            for (slot, index) in indices.enumerated() {
                let from = source.baseAddress! + index * pixels
                let to = target + slot * pixels
                for p in 0..<pixels { to[p] = Float(from[p]) * (1 / 255) }
            }
        }
    }

    /// Activations of layer `name` for every image, flattened per image (NHWC order for
    /// convolutional layers). Batched; the GEMMs and im2col use every core.
    public func features(layer name: String, images: ImageSet, batchSize: Int = 100) throws -> Matrix {
        try forwardPass(layer: name, images: images, batchSize: batchSize, probabilities: false).features
    }

    /// Throws unless `images` are what the network takes: every path that hands the
    /// network images goes through here, so a wrong size cannot read past a buffer.
    public func checkInput(_ images: ImageSet) throws {
        let input = architecture.input
        guard images.rows == input[0], images.columns == input[1], input[2] == 1 else {
            throw UsageError("the model takes \(input[0])x\(input[1])x\(input[2]) images but the data has \(images.rows)x\(images.columns)x1")
        }
    }

    /// The activations of layer `name` and, when `wanted`, the softmax probabilities, in
    /// one forward pass.
    func forwardPass(layer name: String, images: ImageSet, batchSize: Int = 100,
                     probabilities wanted: Bool) throws -> (features: Matrix, probabilities: Matrix) {
        try checkInput(images)
        guard let layer = layers.first(where: { $0.name == name }) else {
            throw UsageError("--layer: unknown layer '\(name)'; the model has \(layerNames.joined(separator: ", "))")
        }
        let width = layer.outputShape.reduce(1, *)
        let classes = classCount
        var values = [Float](repeating: 0, count: images.count * width)
        var probabilities = [Float](repeating: 0, count: wanted ? images.count * classes : 0)
        let input = Tensor(shape: [0])
        var start = 0
        while start < images.count {
            let end = min(start + batchSize, images.count)
            Model.fill(input, from: images, indices: ArraySlice(start..<end))
            var x = input
            for current in layers {
                x = current.forward(x, training: false)
                if current.name == name {
                    values.withUnsafeMutableBufferPointer { buffer in
                        (buffer.baseAddress! + start * width).update(from: x.pointer, count: (end - start) * width)
                    }
                    if !wanted { break }
                }
            }
            if wanted {
                probabilities.withUnsafeMutableBufferPointer { buffer in
                    for row in 0..<(end - start) {
                        let p = SoftmaxCrossEntropy.probabilities(x.pointer + row * classes, classes: classes)
                        for c in 0..<classes { buffer[(start + row) * classes + c] = p[c] }
                    }
                }
            }
            start = end
        }
        return (Matrix(rows: images.count, columns: width, values: values),
                Matrix(rows: wanted ? images.count : 0, columns: classes, values: probabilities))
    }

    /// Softmax probabilities `[images, classes]` for every image.
    public func probabilities(images: ImageSet, batchSize: Int = 100) throws -> Matrix {
        try forwardPass(layer: layers.last!.name, images: images, batchSize: batchSize, probabilities: true).probabilities
    }
}

extension Model: ImageLabeller {
    public func featuresAndProbabilities(layer: String, images: ImageSet) throws -> (features: Matrix, probabilities: Matrix) {
        try forwardPass(layer: layer, images: images, probabilities: true)
    }
}
