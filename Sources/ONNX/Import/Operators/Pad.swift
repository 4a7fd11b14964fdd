import Network

extension Lowering {
    static let pad = OperatorLowering(
        operators: ["Pad"],
        summary: "Pad of height and width, channels first or last (constant, reflect, edge; negative pads crop; zeros just before a Conv, an AveragePool, or a MaxPool of values after a ReLU become its padding)",
        lower: { try $0.lowerPad() })

    mutating func lowerPad() throws {
        let (mode, value, pads) = try padOperands()
        // Opset 18 may name the padded axes; only height and width are supported.
        if current.input.count > 3, !current.input[3].isEmpty {
            guard let axes = constants[current.input[3]]?.integers, Set(axes.map { $0 < 0 ? $0 + 4 : $0 }) == [2, 3], pads.count == 4 else {
                throw nodeFail("only padding of height and width (axes 2 and 3) is supported")
            }
            return try lowerPad(mode: mode, value: value, hw: axesOrder(pads, axes: constants[current.input[3]]!.integers!))
        }
        guard pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0 else {
            throw nodeFail("pads \(pads): only padding of height and width is supported")
        }
        try lowerPad(mode: mode, value: value, hw: [pads[2], pads[3], pads[6], pads[7]])
    }

    /// The mode, the value and the pads, from attributes (opset < 11) or inputs.
    func padOperands() throws -> (mode: String, value: Float, pads: [Int]) {
        let mode = string("mode", default: "constant")
        let pads: [Int]
        if let attribute = attribute("pads") { pads = attribute.ints.map(Int.init) }
        else if let values = constants[try operand(1)]?.integers { pads = values.map(Int.init) }
        else { throw nodeFail("its pads must be known at load") }
        var value: Float = 0
        if current.input.count > 2, !current.input[2].isEmpty {
            guard let v = try constant(current.input[2], what: "value").floats?.first else { throw nodeFail("its value must be known at load") }
            value = v
        } else if let v = attribute("value") {
            value = v.f
        }
        return (mode, value, pads)
    }

    /// A Pad of a map transposed to channels last (tf2onnx writes Keras' ZeroPadding2D
    /// there): zeros that go back to channels first only to be read by Conv and
    /// AveragePool nodes become their padding, as `lowerPad` does; else a pad node.
    mutating func padOnChannelsLast(_ view: String, output: String) throws {
        let (mode, value, pads) = try padOperands()
        guard current.input.count < 4 || current.input[3].isEmpty, pads.count == 8, pads[0] == 0, pads[3] == 0, pads[4] == 0, pads[7] == 0 else {
            throw nodeFail("pads \(pads) of a channels-last map: only padding of height and width is supported")
        }
        let hw = [pads[1], pads[2], pads[5], pads[6]]
        let base = channelsLastViews[view]!
        let graph = onnx.graph.node
        let back = (readers[output] ?? []).map { graph[$0] }
        let onlyConvolved = !back.isEmpty && back.allSatisfy { node in
            node.opType == "Transpose" && node.attribute.first { $0.name == "perm" }?.ints == [0, 3, 1, 2]
                && (readers[node.output.first ?? ""] ?? []).allSatisfy { ["Conv", "AveragePool"].contains(graph[$0].opType) }
        }
        if mode == "constant", value == 0, hw.allSatisfy({ $0 >= 0 }), onlyConvolved, pendingPads[view] == nil {
            channelsLastViews[output] = base
            pendingPads[output] = hw
            return
        }
        try addView(.pad(Pad(top: hw[0], left: hw[1], bottom: hw[2], right: hw[3], mode: try padMode(mode, value: value))),
                    input: base, output: output)
    }

    func padMode(_ mode: String, value: Float) throws -> Pad.Mode {
        switch mode {
        case "constant": return .constant(value)
        case "reflect": return .reflect
        case "edge": return .edge
        default: throw nodeFail("mode '\(mode)' is not supported (constant, reflect and edge are)")
        }
    }

    /// [top, left, bottom, right] from opset 18's pads over named axes.
    func axesOrder(_ pads: [Int], axes: [Int64]) -> [Int] {
        let first = axes.map { $0 < 0 ? $0 + 4 : $0 } == [2, 3]
        return first ? [pads[0], pads[1], pads[2], pads[3]] : [pads[1], pads[0], pads[3], pads[2]]
    }

    /// Zeros read only by Conv and AveragePool nodes become their padding; anything else
    /// is a pad node.
    mutating func lowerPad(mode: String, value: Float, hw: [Int]) throws {
        let x = try operand(0), out = try result()
        let readBy = (readers[out] ?? []).map { onnx.graph.node[$0] }
        // Zeros around a map of no negative values (after a ReLU) change no maximum of a
        // window that holds one of its values: a MaxPool takes them as padding too
        // (Keras' ZeroPadding2D before MaxPooling2D, as in ResNet50).
        func takesPadding(_ node: Onnx_NodeProto) -> Bool {
            if ["Conv", "AveragePool"].contains(node.opType) { return true }
            guard node.opType == "MaxPool", let kernel = node.attribute.first(where: { $0.name == "kernel_shape" })?.ints, kernel.count == 2,
                  let made = nodeOf[x], let producer = nodes.last(where: { $0.name == made }), Self.nonNegative(producer.op) else { return false }
            return hw[0] < kernel[0] && hw[2] < kernel[0] && hw[1] < kernel[1] && hw[3] < kernel[1]
        }
        if mode == "constant", value == 0, hw.allSatisfy({ $0 >= 0 }), !readBy.isEmpty, readBy.allSatisfy(takesPadding), pendingPads[x] == nil {
            nodeOf[out] = try source(x)
            pendingPads[out] = hw
            return
        }
        try add(.pad(Pad(top: hw[0], left: hw[1], bottom: hw[2], right: hw[3], mode: try padMode(mode, value: value))),
                inputs: [try source(x)])
    }

    /// Whether an engine operation's outputs are never negative (its activation is).
    static func nonNegative(_ op: Network.Operation) -> Bool {
        func nonNegative(_ f: Activation) -> Bool {
            switch f {
            case .relu, .sigmoid, .hardSigmoid: return true
            case let .clip(lower, _): return lower >= 0
            default: return false
            }
        }
        switch op {
        case let .convolution(c): return nonNegative(c.activation)
        case let .activation(f): return nonNegative(f)
        default: return false
        }
    }
}
