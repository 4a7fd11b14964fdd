/// One family of ONNX operators the importer lowers onto the engine: the operators, what
/// of them is supported (one phrase for error messages, `inspect` and the README), and
/// the lowering of the current node (`Lowering.current`). Each family lives in its own
/// file under `Operators/`; adding one is that file and one line in `table`.
struct OperatorLowering {
    let operators: [String]
    let summary: String
    let lower: (inout Lowering) throws -> Void

    /// Every family, in the order the README lists them.
    static let table: [OperatorLowering] = [
        Lowering.convolution, Lowering.pooling, Lowering.globalPooling, Lowering.reduce, Lowering.activations, Lowering.batchNormalization, Lowering.layerNormalization,
        Lowering.dense, Lowering.arithmetic, Lowering.concat, Lowering.split, Lowering.pad, Lowering.resize, Lowering.reshape,
        Lowering.flatten, Lowering.transpose, Lowering.squeeze, Lowering.expand, Lowering.gather, Lowering.adaptivePooling, Lowering.softmax,
        Lowering.passthrough,
    ]

    /// The family of each operator.
    static let byOperator: [String: OperatorLowering] = {
        var map: [String: OperatorLowering] = [:]
        for family in table {
            for op in family.operators {
                precondition(map[op] == nil, "OperatorLowering: \(op) in two families")
                map[op] = family
            }
        }
        return map
    }()
}
