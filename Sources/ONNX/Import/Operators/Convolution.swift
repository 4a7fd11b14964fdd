import Network

extension Lowering {
    static let convolution = OperatorLowering(
        operators: ["Conv"],
        summary: "Conv (2-D, groups, dilations, auto_pad; a Pad just before it becomes its padding; 1x1 on pooled features becomes a dense layer)",
        lower: { try $0.lowerConvolution() })

    mutating func lowerConvolution() throws {
        let w = try constant(try operand(1), what: "weights")
        guard w.dims.count == 4 else { throw nodeFail("weights of shape \(w.dims): only 2-D convolutions are supported") }
        let kernel = ints("kernel_shape", default: Array(w.dims[2...]))
        _ = try lookup(try operand(0))
        let hasBias = current.input.count > 2 && !current.input[2].isEmpty
        let name = try result()
        if try perImageShape(try operand(0)).count == 1 {
            // A 1x1 convolution of pooled features (a classifier head written as a
            // convolution, as Keras MobileNet and SqueezeNet-like models do): a dense layer.
            guard kernel == [1, 1], int("group", default: 1) == 1, try padding(kernel: kernel) == .valid else {
                throw nodeFail("on pooled features (1x1 maps) only a 1x1 convolution without padding or groups is supported")
            }
            try add(.dense(Dense(units: w.dims[0], bias: hasBias)), inputs: [try source(try operand(0))])
            weights[name + ".weight"] = w.floats
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
}
