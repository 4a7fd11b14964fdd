import Network

extension Lowering {
    static let arithmetic = OperatorLowering(
        operators: ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum"],
        summary: "Add, Sub, Mul, Div, Max, Min, Sum of two computed values, broadcast as NumPy does (a squeeze-and-excitation scale); "
            + "Add, Sub, Mul, Div by a constant (one value or one per channel; on the input, applied as the pixels are read)",
        lower: { try $0.lowerArithmetic() })

    mutating func lowerArithmetic() throws {
        let op = current.opType
        if try lowerAdaptiveArithmetic() { return }
        if op == "Mul", let x = siluProducts[try result()] {
            // x * sigmoid(x): one SiLU, fused where the Sigmoid and this Mul are x's only readers.
            return try activation(.silu, of: x, readers: 2)
        }
        let operands = current.input.filter { !$0.isEmpty }
        if operands.count == 2, operands.allSatisfy({ constants[$0] == nil }) {
            if try lowerGroupedBinary(operands) { return }
            // Two maps of one shape added: `add`, which a convolution before it may take in.
            let residual = try op == "Add" && sameShape(operands)
            if !residual { return try lowerBinary(operands) }
        }
        guard ["Add", "Sub", "Mul", "Div"].contains(op) else { throw nodeFail("\(op) needs two computed inputs") }
        if readsInputFirst() { return try lowerInputNormalisation() }
        if op == "Add" { return try lowerAdd() }
        // By a constant (one value, or one per channel) inside the network: a per-channel
        // affine node; x - c, c - x, x * c, c * x and x / c.
        let (first, second) = (try operand(0), try operand(1))
        let xFirst = constants[second] != nil
        let x = xFirst ? first : second
        let c = try perChannel(try constant(xFirst ? second : first, what: "operand"), of: x)
        switch (op, xFirst) {
        case ("Sub", true): try affine(x, a: { _ in 1 }, b: c.map { -$0 })
        case ("Sub", false): try affine(x, a: { _ in -1 }, b: c)
        case ("Mul", _): try affine(x, a: { c[$0] }, b: [Float](repeating: 0, count: c.count))
        case ("Div", true):
            guard !c.contains(0) else { throw nodeFail("division by 0") }
            try affine(x, a: { 1 / c[$0] }, b: [Float](repeating: 0, count: c.count))
        default: throw nodeFail("dividing a constant by a computed value is not supported")
        }
    }

    /// Whether two values have one shape per image.
    func sameShape(_ values: [String]) throws -> Bool {
        try perImageShape(values[0]) == perImageShape(values[1])
    }

    /// oneDNN's binary algorithm of an element-wise ONNX operator of the arithmetic family.
    static func binaryKind(_ op: String) -> Binary.Kind {
        switch op {
        case "Add", "Sum": return .add
        case "Sub": return .sub
        case "Mul": return .mul
        case "Div": return .div
        case "Max": return .max
        default: return .min
        }
    }

    /// Two computed values combined element by element, broadcast (oneDNN's binary).
    mutating func lowerBinary(_ operands: [String]) throws {
        let kind = Self.binaryKind(current.opType)
        let (a, b) = (try perImageShape(operands[0]), try perImageShape(operands[1]))
        guard a.count <= 3, b.count <= 3 else { throw nodeFail("shapes \(a) and \(b): only feature maps and vectors are supported") }
        try add(.binary(Binary(kind)), inputs: [try source(operands[0]), try source(operands[1])])
    }

    /// A bias after a MatMul (folded into the dense layer), a constant added per channel,
    /// or the sum of two computed values of one shape (which a convolution before it may
    /// take in, as a residual).
    mutating func lowerAdd() throws {
        guard current.input.count == 2 else { throw nodeFail("needs two inputs") }
        guard let (value, constantName) = [(try operand(0), try operand(1)), (try operand(1), try operand(0))]
            .first(where: { constants[$0.1] != nil && nodeOf[$0.0] != nil }) else {
            var inputs: [String] = []
            for value in current.input { inputs.append(try source(value)) }
            return try add(.add, inputs: inputs)
        }
        let target = try source(value)
        guard let index = nodes.lastIndex(where: { $0.name == target }), case var .dense(dense) = nodes[index].op, !dense.bias,
              index == nodes.count - 1, fusable(value) else {
            // Anywhere else: a per-channel affine node.
            let c = try constant(constantName, what: "operand")
            return try affine(value, a: { _ in 1 }, b: try perChannel(c, of: value))
        }
        let c = try constant(constantName, what: "bias")
        guard c.count == dense.units || c.count == 1 else { throw nodeFail("bias of \(c.count) values for \(dense.units) outputs") }
        dense.bias = true
        nodes[index].op = .dense(dense)
        weights[target + ".bias"] = c.count == 1 ? [Float](repeating: c.floats![0], count: dense.units) : c.floats
        nodeOf[try result()] = target
    }

    /// Whether the current node is arithmetic on the input (or on its normalisation so far)
    /// by a constant: x - c, x + c, c + x, x * c, c * x, x / c.
    func readsInputFirst() -> Bool {
        let x = affineValue ?? inputName
        guard current.input.count == 2, nodeOf[x] == Graph.inputName else { return false }
        if current.input[0] == x { return constants[current.input[1]] != nil }
        return ["Add", "Mul"].contains(current.opType) && current.input[1] == x && constants[current.input[0]] != nil
    }

    /// Normalisation of the input inside the graph (Add, Sub, Mul, Div by constants on the
    /// input, as PyTorch code and Keras' Rescaling and Normalization layers write it; on an
    /// NHWC input before its Transpose): gathered into one per-channel affine map, which the
    /// model applies while it copies the pixels in (`Lowering.inputAffine`).
    mutating func lowerInputNormalisation() throws {
        let constantFirst = current.input[0] != (affineValue ?? inputName)
        let c = try constant(try operand(constantFirst ? 0 : 1), what: "operand")
        let channels = input.channels
        guard c.count == 1 || c.count == channels else { throw nodeFail("a constant of \(c.count) values for \(channels) channels") }
        let values = c.count == 1 ? [Float](repeating: c.floats![0], count: channels) : c.floats!
        var (a, b) = inputAffine ?? ([Float](repeating: 1, count: channels), [Float](repeating: 0, count: channels))
        for k in 0..<channels {
            switch current.opType {
            case "Add": b[k] += values[k]
            case "Sub": b[k] -= values[k]
            case "Mul": a[k] *= values[k]; b[k] *= values[k]
            default:
                guard values[k] != 0 else { throw nodeFail("division by 0") }
                a[k] /= values[k]; b[k] /= values[k]
            }
        }
        inputAffine = (a, b)
        let out = try result()
        affineValue = out
        nodeOf[out] = Graph.inputName
    }
}
