import Network

extension Lowering {
    static let batchNormalization = OperatorLowering(
        operators: ["BatchNormalization"],
        summary: "BatchNormalization (inference; folded into the Conv before it)",
        lower: { try $0.lowerBatchNormalization() })

    mutating func lowerBatchNormalization() throws {
        guard current.input.count == 5 else { throw nodeFail("needs scale, bias, mean and variance") }
        guard int("training_mode", default: 0) == 0 else { throw nodeFail("training_mode 1 is not supported (export the model in eval mode)") }
        let name = try result()
        if try foldIntoConvolution(epsilon: float("epsilon", default: 1e-5)) { return }
        try add(.batchNormalization(BatchNormalization(epsilon: float("epsilon", default: 1e-5))), inputs: [try source(try operand(0))])
        for (index, suffix) in [(1, "scale"), (2, "shift"), (3, "running_mean"), (4, "running_var")] {
            weights[name + "." + suffix] = try constant(current.input[index], what: suffix).floats
        }
    }

    /// Folds an inference batch normalization into the convolution just before (with no
    /// activation yet): s = scale / sqrt(var + eps), then `foldAffine` with a = s and
    /// b = shift - mean * s.
    mutating func foldIntoConvolution(epsilon: Float) throws -> Bool {
        guard let index = try absorbingNode(), case let .convolution(c) = nodes[index].op, c.activation == .none else { return false }
        let scale = try constant(try operand(1), what: "scale").floats!, shift = try constant(try operand(2), what: "bias").floats!
        let mean = try constant(try operand(3), what: "mean").floats!, variance = try constant(try operand(4), what: "variance").floats!
        guard [scale, shift, mean, variance].allSatisfy({ $0.count == c.filters }) else {
            throw nodeFail("scale, bias, mean and variance must have one value per channel (\(c.filters))")
        }
        let s = (0..<c.filters).map { scale[$0] / (variance[$0] + epsilon).squareRoot() }
        return try foldAffine(a: s, b: (0..<c.filters).map { shift[$0] - mean[$0] * s[$0] }, into: index)
    }

    /// Folds `a[o] * y + b[o]` into the convolution at `index` that makes y (with no
    /// activation yet): w' = w * a, b' = bias * a + b. tf2onnx leaves a depthwise
    /// convolution's batch norm as Mul and Add by per-channel constants; folded, the
    /// activation after them joins the convolution too.
    mutating func foldAffine(a: [Float], b: [Float], into index: Int) throws -> Bool {
        guard foldAffineWeights(a: a, b: b, into: index) else { return false }
        try renameAbsorbing(index)
        return true
    }

    /// `foldAffine`'s arithmetic, the node keeping its name.
    mutating func foldAffineWeights(a: [Float], b: [Float], into index: Int) -> Bool {
        guard case var .convolution(c) = nodes[index].op, c.activation == .none, a.count == c.filters, b.count == c.filters,
              var w = weights[nodes[index].name + ".weight"] else { return false }
        let name = nodes[index].name
        var bias = weights[name + ".bias"] ?? [Float](repeating: 0, count: c.filters)
        let per = w.count / c.filters
        for o in 0..<c.filters {
            for k in 0..<per { w[o * per + k] *= a[o] }
            bias[o] = bias[o] * a[o] + b[o]
        }
        c.bias = true
        nodes[index].op = .convolution(c)
        weights[name + ".weight"] = w
        weights[name + ".bias"] = bias
        return true
    }
}
