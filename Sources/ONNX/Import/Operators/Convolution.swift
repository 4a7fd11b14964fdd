import Network

extension Lowering {
    static let convolution = OperatorLowering(
        operators: ["Conv"],
        summary: "Conv (2-D, groups, dilations, auto_pad; a Pad just before it becomes its padding; 1x1 on pooled features becomes a dense layer, block-diagonal for groups; 1-D across pooled features, as ECA attention, a banded one)",
        lower: { try $0.lowerConvolution() })

    mutating func lowerConvolution() throws {
        let w = try constant(try operand(1), what: "weights")
        if sequences.contains(try operand(0)) { return try lowerChannelConvolution(w) }
        guard w.dims.count == 4 else { throw nodeFail("weights of shape \(w.dims): only 2-D convolutions are supported") }
        let kernel = ints("kernel_shape", default: Array(w.dims[2...]))
        _ = try lookup(try operand(0))
        let hasBias = current.input.count > 2 && !current.input[2].isEmpty
        let name = try result()
        if try perImageShape(try operand(0)).count == 1 {
            // A 1x1 convolution of pooled features (a classifier head written as a
            // convolution, as Keras MobileNet and SqueezeNet-like models do; with groups,
            // ResNeSt's attention of cardinality > 1): a dense layer, block-diagonal for groups.
            let groups = int("group", default: 1), inputs = try perImageShape(try operand(0))[0]
            guard kernel == [1, 1], try padding(kernel: kernel) == .valid, groups >= 1, inputs % groups == 0, w.dims[0] % groups == 0,
                  w.dims[1] * groups == inputs else {
                throw nodeFail("on pooled features (1x1 maps) only a 1x1 convolution without padding, of groups that divide its "
                               + "\(inputs) inputs and \(w.dims[0]) outputs, is supported")
            }
            try add(.dense(Dense(units: w.dims[0], bias: hasBias)), inputs: [try source(try operand(0))])
            weights[name + ".weight"] = groups == 1 ? w.floats : Self.blockDiagonal(w.floats!, outputs: w.dims[0], inputs: inputs, groups: groups)
            if hasBias { weights[name + ".bias"] = try constant(try operand(2), what: "bias").floats }
            return
        }
        let conv = Convolution(filters: w.dims[0], kernel: kernel, stride: ints("strides", default: [1, 1]),
                               padding: try padding(kernel: kernel), dilation: ints("dilations", default: [1, 1]),
                               groups: int("group", default: 1), bias: hasBias)
        try add(.convolution(conv), inputs: [try source(try operand(0))])
        weights[name + ".weight"] = w.floats
        if conv.bias { weights[name + ".bias"] = try constant(try operand(2), what: "bias").floats }
    }

    /// A 1-D convolution across pooled features seen as a sequence of one channel ([N, 1,
    /// C], ECA-Net's channel attention): a dense layer whose C x C matrix holds the kernel
    /// on a band, out[i] = sum over t of w[t] * in[i + t - pad].
    mutating func lowerChannelConvolution(_ w: ONNXTensor) throws {
        let x = try operand(0)
        let channels = try perImageShape(x).reduce(1, *)
        let pads = ints("pads", default: [0, 0])
        guard w.dims.count == 3, w.dims[0] == 1, w.dims[1] == 1, int("group", default: 1) == 1,
              ints("strides", default: [1]) == [1], ints("dilations", default: [1]) == [1],
              string("auto_pad", default: "NOTSET") == "NOTSET", pads.count == 2, pads[0] == pads[1], 2 * pads[0] == w.dims[2] - 1 else {
            throw nodeFail("across pooled features only a 1-D convolution of one channel, stride 1, keeping the length, is supported")
        }
        let kernel = w.floats!, pad = pads[0]
        var matrix = [Float](repeating: 0, count: channels * channels)
        for i in 0..<channels {
            for t in 0..<kernel.count where (0..<channels).contains(i + t - pad) { matrix[i * channels + i + t - pad] = kernel[t] }
        }
        let hasBias = current.input.count > 2 && !current.input[2].isEmpty
        let name = try result()
        try add(.dense(Dense(units: channels, bias: hasBias)), inputs: [try source(x)])
        weights[name + ".weight"] = matrix
        if hasBias {
            let b = try constant(try operand(2), what: "bias").floats!
            guard b.count == 1 else { throw nodeFail("a bias of \(b.count) values for one channel") }
            weights[name + ".bias"] = [Float](repeating: b[0], count: channels)
        }
        sequences.insert(name)
    }

    /// A grouped 1x1 convolution's weights [outputs, inputs / groups] as a dense layer's
    /// [outputs, inputs]: output f reads only its group's inputs.
    static func blockDiagonal(_ w: [Float], outputs: Int, inputs: Int, groups: Int) -> [Float] {
        let (perGroupIn, perGroupOut) = (inputs / groups, outputs / groups)
        var matrix = [Float](repeating: 0, count: outputs * inputs)
        for f in 0..<outputs {
            let first = (f / perGroupOut) * perGroupIn
            for j in 0..<perGroupIn { matrix[f * inputs + first + j] = w[f * perGroupIn + j] }
        }
        return matrix
    }
}
