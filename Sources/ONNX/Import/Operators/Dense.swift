import Network

extension Lowering {
    static let dense = OperatorLowering(
        operators: ["Gemm", "MatMul"],
        summary: "Gemm, MatMul by a constant matrix (a dense layer; a following Add of a constant becomes its bias)",
        lower: { try $0.lowerDense() })

    mutating func lowerDense() throws {
        let name = try result()
        if current.opType == "MatMul" {
            let b = try constant(try operand(1), what: "weights")
            guard b.dims.count == 2 else { throw nodeFail("weights of shape \(b.dims) are not a matrix") }
            try add(.dense(Dense(units: b.dims[1], bias: false)), inputs: [try source(try operand(0))])
            weights[name + ".weight"] = Self.transpose(b.floats!, rows: b.dims[0], columns: b.dims[1])
            return
        }
        guard int("transA", default: 0) == 0 else { throw nodeFail("transA = 1 is not supported") }
        let b = try constant(try operand(1), what: "weights")
        guard b.dims.count == 2, var values = b.floats else { throw nodeFail("weights of shape \(b.dims) are not a matrix") }
        let transposed = int("transB", default: 0) != 0
        let (units, width) = transposed ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
        if !transposed { values = Self.transpose(values, rows: width, columns: units) }
        let alpha = float("alpha", default: 1), beta = float("beta", default: 1)
        if alpha != 1 { values = values.map { $0 * alpha } }
        let hasBias = current.input.count > 2 && !current.input[2].isEmpty
        try add(.dense(Dense(units: units, bias: hasBias)), inputs: [try source(try operand(0))])
        weights[name + ".weight"] = values
        if hasBias {
            let c = try constant(try operand(2), what: "bias")
            guard c.count == units || c.count == 1 else { throw nodeFail("bias of shape \(c.dims) for \(units) outputs") }
            weights[name + ".bias"] = (c.count == 1 ? [Float](repeating: c.floats![0], count: units) : c.floats!).map { $0 * beta }
        }
    }
}
