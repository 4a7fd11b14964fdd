import Numerics

/// Fully connected layer with a fused activation. Any input shape is flattened (NHWC
/// order, channels fastest).
///
/// Shapes: input `[N, inputs]`, output `[N, outputs]`; `weight` `[inputs, outputs]`
/// (TensorFlow's layout), `bias` `[outputs]`. `output = input x weight + bias`.
public final class Dense: Layer {
    public let name: String
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let activation: Activation
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }

    let inputs, outputs: Int
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    /// The last input, kept for the weight gradient (it belongs to the previous layer,
    /// which does not overwrite it before backward).
    private var lastInput: UnsafePointer<Float>?

    public init(name: String, inputShape: [Int], outputs: Int, activation: Activation) {
        self.name = name
        self.inputShape = inputShape
        self.inputs = inputShape.reduce(1, *)
        self.outputs = outputs
        self.activation = activation
        outputShape = [outputs]
        weight = Parameter(name: "\(name).weight", shape: [inputs, outputs])
        bias = Parameter(name: "\(name).bias", shape: [outputs])
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.batch
        output.resize([n, outputs])
        lastInput = UnsafePointer(input.pointer)
        BLAS.sgemm(m: n, n: outputs, k: inputs, a: input.pointer, lda: inputs,
                   b: weight.value.pointer, ldb: outputs, c: output.pointer, ldc: outputs)
        addBiasAndActivate(output.pointer, rows: n, channels: outputs, bias: bias.value.pointer, activation: activation)
        return output
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor? {
        let n = gradOutput.batch
        guard let input = lastInput else { preconditionFailure("\(name): backward before forward") }
        activation.backward(gradOutput.pointer, output: output.pointer, count: gradOutput.count)
        BLAS.sgemm(transA: true, m: inputs, n: outputs, k: n, a: input, lda: inputs,
                   b: gradOutput.pointer, ldb: outputs, c: weight.gradient.pointer, ldc: outputs)
        columnSums(gradOutput.pointer, rows: n, channels: outputs, into: bias.gradient.pointer)
        guard needInputGradient else { return nil }
        gradInput.resize([n] + inputShape)
        BLAS.sgemm(transB: true, m: n, n: inputs, k: outputs, a: gradOutput.pointer, lda: outputs,
                   b: weight.value.pointer, ldb: outputs, c: gradInput.pointer, ldc: inputs)
        return gradInput
    }
}
