import Network

/// Activations written out as arithmetic, found at their first node and lowered at their
/// last as one activation (fused into the convolution before it where x's readers are only
/// these), the nodes between skipped:
/// - hard-swish and hard-sigmoid, as tf2onnx writes Keras' `hard_swish` and
///   keras.applications' `hard_sigmoid`: Add(x, 3), Clip(0, 6), Mul by 1/6 (or Div by 6),
///   and for hard-swish a Mul by x;
/// - GELU, as PyTorch's TorchScript exporter writes `nn.GELU()` before opset 20:
///   Div(x, sqrt 2), Erf, Add 1, Mul by x, Mul by 0.5.
extension Lowering {
    /// Whether the current node starts a pattern (then its last node is recorded in
    /// `activationPatterns` and the nodes between in `skippedValues`; nothing is lowered here).
    mutating func startActivationPattern() throws -> Bool {
        try startHardActivation() || startGelu()
    }

    mutating func startGelu() throws -> Bool {
        guard current.opType == "Div", current.input.count == 2, let c = knownConstant(current.input[1]), c.count == 1,
              let divisor = c.floats?.first, abs(divisor - Float(2).squareRoot()) < 1e-5, let divided = current.output.first, !divided.isEmpty else { return false }
        let x = current.input[0]
        guard constants[x] == nil, consumers[x] == 2, let erf = soleReader(divided), erf.opType == "Erf", let erfed = erf.output.first,
              let add = soleReader(erfed), add.opType == "Add", add.input.count == 2, let one = add.input.first(where: { $0 != erfed }),
              knownConstant(one)?.count == 1, knownConstant(one)?.floats?.first == 1, let added = add.output.first,
              let times = soleReader(added), times.opType == "Mul", times.input.count == 2, Set(times.input) == [x, added],
              let product = times.output.first, let half = soleReader(product), half.opType == "Mul", half.input.count == 2,
              let c2 = half.input.first(where: { $0 != product }), knownConstant(c2)?.count == 1, knownConstant(c2)?.floats?.first == 0.5,
              let out = half.output.first, !out.isEmpty else { return false }
        activationPatterns[out] = (x, .gelu(approximate: false), 2)
        skippedValues.formUnion([erfed, added, product])
        return true
    }

    mutating func startHardActivation() throws -> Bool {
        guard current.opType == "Add", current.input.count == 2, let added = current.output.first, !added.isEmpty else { return false }
        let constantFirst = knownConstant(current.input[0]) != nil
        let (x, c) = constantFirst ? (current.input[1], current.input[0]) : (current.input[0], current.input[1])
        guard constants[x] == nil, let three = knownConstant(c), three.count == 1, three.floats?.first == 3 else { return false }
        guard let clip = soleReader(added), clip.opType == "Clip", let bounds = clipBounds(clip), bounds == (0, 6), let clipped = clip.output.first,
              let scale = soleReader(clipped), isSixth(scale, of: clipped), let scaled = scale.output.first, !scaled.isEmpty else { return false }
        if let mul = soleReader(scaled), mul.opType == "Mul", mul.input.count == 2, Set(mul.input) == [x, scaled], consumers[x] == 2,
           let product = mul.output.first, !product.isEmpty {
            activationPatterns[product] = (x, .hardSwish, 2)
            skippedValues.formUnion([clipped, scaled])
        } else {
            activationPatterns[scaled] = (x, .hardSigmoid(alpha: 1 / 6, beta: 0.5), 1)
            skippedValues.insert(clipped)
        }
        return true
    }

    /// The pattern's last node: its activation of x.
    mutating func finishActivationPattern(_ pattern: (x: String, function: Activation, readers: Int)) throws {
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
            if node.input.count > index, !node.input[index].isEmpty { return knownConstant(node.input[index])?.floats?.first }
            return node.attribute.first { $0.name == attribute }.map { $0.f }
        }
        guard let lower = bound(1, "min"), let upper = bound(2, "max") else { return nil }
        return (lower, upper)
    }

    /// Whether `node` multiplies `value` by 1/6 or divides it by 6.
    func isSixth(_ node: Onnx_NodeProto, of value: String) -> Bool {
        guard node.input.count == 2, let other = node.input.first(where: { $0 != value }), let c = knownConstant(other), c.count == 1,
              let v = c.floats?.first else { return false }
        if node.opType == "Mul" { return abs(v - 1 / 6) < 1e-6 }
        return node.opType == "Div" && node.input[0] == value && v == 6
    }

    /// A constant, also one a Constant node later in the file makes (exporters often put
    /// it just before the node that reads it, after the pattern's first node).
    func knownConstant(_ name: String) -> ONNXTensor? {
        if let c = constants[name] { return c }
        guard let index = constantNodes[name] else { return nil }
        return try? evaluate(onnx.graph.node[index], inputs: [])
    }
}
