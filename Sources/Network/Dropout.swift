import Numerics

/// Inverted dropout: in training each value is kept with probability `1 - rate` and
/// scaled by `1 / (1 - rate)`; at inference the layer passes its input through.
///
/// Shapes: any; output = input shape. The mask comes from the layer's own seeded
/// generator, so a training run is reproducible.
public final class Dropout: Layer {
    public let name: String
    public let inputShape: [Int]
    public var outputShape: [Int] { inputShape }
    public let rate: Float
    public var parameters: [Parameter] { [] }
    public var generator: SplitMix64

    private let output = Tensor(shape: [0])
    private let mask = Tensor(shape: [0])
    private var lastWasTraining = false

    public init(name: String, inputShape: [Int], rate: Float, seed: UInt64 = 0) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.name = name
        self.inputShape = inputShape
        self.rate = rate
        self.generator = SplitMix64(seed: seed)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        lastWasTraining = training && rate > 0
        guard lastWasTraining else { return input }
        output.resize(input.shape)
        mask.resize(input.shape)
        let keep = 1 - rate, scale = 1 / (1 - rate)
        // Drawn sequentially: the mask must not depend on the thread count.
        let m = mask.pointer
        for i in 0..<input.count {
            m[i] = Float(generator.nextUnit()) < keep ? scale : 0
        }
        let (x, y) = (UnsafePointer(input.pointer), output.pointer)
        Parallel.forRanges(input.count, grain: 1 << 15) { range in
            for i in range { y[i] = x[i] * m[i] }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor? {
        guard lastWasTraining else { return gradOutput }
        let (g, m) = (gradOutput.pointer, UnsafePointer(mask.pointer))
        Parallel.forRanges(gradOutput.count, grain: 1 << 15) { range in
            for i in range { g[i] *= m[i] }
        }
        return gradOutput
    }
}
