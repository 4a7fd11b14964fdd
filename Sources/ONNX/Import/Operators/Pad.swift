import Network

extension Lowering {
    static let pad = OperatorLowering(
        operators: ["Pad"],
        summary: "Pad of height and width, channels first or last (constant, reflect, edge; negative pads crop; zeros just before a Conv or AveragePool become its padding)",
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
        let readBy = (readers[out] ?? []).map { onnx.graph.node[$0].opType }
        if mode == "constant", value == 0, hw.allSatisfy({ $0 >= 0 }), !readBy.isEmpty, readBy.allSatisfy({ ["Conv", "AveragePool"].contains($0) }), pendingPads[x] == nil {
            nodeOf[out] = try source(x)
            pendingPads[out] = hw
            return
        }
        try add(.pad(Pad(top: hw[0], left: hw[1], bottom: hw[2], right: hw[3], mode: try padMode(mode, value: value))),
                inputs: [try source(x)])
    }
}
