import Network

extension Lowering {
    static let pad = OperatorLowering(
        operators: ["Pad"],
        summary: "Pad of height and width (constant, reflect, edge; zeros just before a Conv or AveragePool become its padding)",
        lower: { try $0.lowerPad() })

    mutating func lowerPad() throws {
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

    /// [top, left, bottom, right] from opset 18's pads over named axes.
    func axesOrder(_ pads: [Int], axes: [Int64]) -> [Int] {
        let first = axes.map { $0 < 0 ? $0 + 4 : $0 } == [2, 3]
        return first ? [pads[0], pads[1], pads[2], pads[3]] : [pads[1], pads[0], pads[3], pads[2]]
    }

    /// Zeros read only by Conv and AveragePool nodes become their padding; anything else
    /// is a pad node.
    mutating func lowerPad(mode: String, value: Float, hw: [Int]) throws {
        guard hw.allSatisfy({ $0 >= 0 }) else { throw nodeFail("pads \(hw): negative padding (cropping) is not supported") }
        let x = try operand(0), out = try result()
        let readBy = (readers[out] ?? []).map { onnx.graph.node[$0].opType }
        if mode == "constant", value == 0, !readBy.isEmpty, readBy.allSatisfy({ ["Conv", "AveragePool"].contains($0) }), pendingPads[x] == nil {
            nodeOf[out] = try source(x)
            pendingPads[out] = hw
            return
        }
        let padMode: Pad.Mode
        switch mode {
        case "constant": padMode = .constant(value)
        case "reflect": padMode = .reflect
        case "edge": padMode = .edge
        default: throw nodeFail("mode '\(mode)' is not supported (constant, reflect and edge are)")
        }
        try add(.pad(Pad(top: hw[0], left: hw[1], bottom: hw[2], right: hw[3], mode: padMode)), inputs: [try source(x)])
    }
}
