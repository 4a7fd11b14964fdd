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
    /// activation yet): w' = w * s, b' = (b - mean) * s + shift, s = scale / sqrt(var + eps).
    mutating func foldIntoConvolution(epsilon: Float) throws -> Bool {
        guard let index = try absorbingNode(), case var .convolution(c) = nodes[index].op, c.activation == .none else { return false }
        let name = nodes[index].name
        let scale = try constant(try operand(1), what: "scale").floats!, shift = try constant(try operand(2), what: "bias").floats!
        let mean = try constant(try operand(3), what: "mean").floats!, variance = try constant(try operand(4), what: "variance").floats!
        guard [scale, shift, mean, variance].allSatisfy({ $0.count == c.filters }), var w = weights[name + ".weight"] else {
            throw nodeFail("scale, bias, mean and variance must have one value per channel (\(c.filters))")
        }
        var b = weights[name + ".bias"] ?? [Float](repeating: 0, count: c.filters)
        let per = w.count / c.filters
        for o in 0..<c.filters {
            let s = scale[o] / (variance[o] + epsilon).squareRoot()
            for k in 0..<per { w[o * per + k] *= s }
            b[o] = (b[o] - mean[o]) * s + shift[o]
        }
        c.bias = true
        nodes[index].op = .convolution(c)
        weights[name + ".weight"] = w
        weights[name + ".bias"] = b
        try renameAbsorbing(index)
        return true
    }

}
