import Network

/// Hard-swish and hard-sigmoid written out, as tf2onnx writes Keras' `hard_swish`
/// activation and keras.applications' `hard_sigmoid`: Add(x, 3), Clip(0, 6), Mul by 1/6 (or
/// Div by 6), and for hard-swish a Mul by x. Found at the Add, lowered at the last node as
/// one activation (fused into the convolution before it where x's readers are only these),
/// the nodes between skipped.
extension Lowering {
    /// Whether the current node starts the pattern (then it and the nodes up to the last
    /// are recorded in `hardPatterns` and `skippedValues`, and nothing is lowered here).
    mutating func startHardActivation() throws -> Bool {
        guard current.opType == "Add", current.input.count == 2, let added = current.output.first, !added.isEmpty else { return false }
        let constantFirst = constants[current.input[0]] != nil
        let (x, c) = constantFirst ? (current.input[1], current.input[0]) : (current.input[0], current.input[1])
        guard constants[x] == nil, let three = constants[c], three.count == 1, three.floats?.first == 3 else { return false }
        guard let clip = soleReader(added), clip.opType == "Clip", let bounds = clipBounds(clip), bounds == (0, 6), let clipped = clip.output.first,
              let scale = soleReader(clipped), isSixth(scale, of: clipped), let scaled = scale.output.first, !scaled.isEmpty else { return false }
        if let mul = soleReader(scaled), mul.opType == "Mul", mul.input.count == 2, Set(mul.input) == [x, scaled], consumers[x] == 2,
           let product = mul.output.first, !product.isEmpty {
            hardPatterns[product] = (x, .hardSwish, 2)
            skippedValues.formUnion([clipped, scaled])
        } else {
            hardPatterns[scaled] = (x, .hardSigmoid(alpha: 1 / 6, beta: 0.5), 1)
            skippedValues.insert(clipped)
        }
        return true
    }

    /// The pattern's last node: its activation of x.
    mutating func finishHardActivation(_ pattern: (x: String, function: Activation, readers: Int)) throws {
        if channelsLastViews[pattern.x] != nil {
            return try activationOnChannelsLast(pattern.function, of: pattern.x, output: try result())
        }
        try activation(pattern.function, of: pattern.x, readers: pattern.readers)
    }

    /// The one node reading `value`, when nothing else does and it is no graph output.
    func soleReader(_ value: String) -> Onnx_NodeProto? {
        guard consumers[value] == 1, let list = readers[value], list.count == 1, !onnx.graph.output.contains(where: { $0.name == value }) else { return nil }
        let node = onnx.graph.node[list[0]]
        return node.domain.isEmpty || node.domain == "ai.onnx" ? node : nil
    }

    /// A Clip node's bounds, when known at load (inputs from opset 11, attributes before).
    func clipBounds(_ node: Onnx_NodeProto) -> (Float, Float)? {
        func bound(_ index: Int, _ attribute: String) -> Float? {
            if node.input.count > index, !node.input[index].isEmpty { return constants[node.input[index]]?.floats?.first }
            return node.attribute.first { $0.name == attribute }.map { $0.f }
        }
        guard let lower = bound(1, "min"), let upper = bound(2, "max") else { return nil }
        return (lower, upper)
    }

    /// Whether `node` multiplies `value` by 1/6 or divides it by 6.
    func isSixth(_ node: Onnx_NodeProto, of value: String) -> Bool {
        guard node.input.count == 2, let other = node.input.first(where: { $0 != value }), let c = constants[other], c.count == 1,
              let v = c.floats?.first else { return false }
        if node.opType == "Mul" { return abs(v - 1 / 6) < 1e-6 }
        return node.opType == "Div" && node.input[0] == value && v == 6
    }
}
