import Network

extension Lowering {
    static let globalPooling = OperatorLowering(
        operators: ["GlobalAveragePool", "GlobalMaxPool"],
        summary: "GlobalAveragePool, GlobalMaxPool",
        lower: { try $0.lowerGlobalPooling() })

    mutating func lowerGlobalPooling() throws {
        switch current.opType {
        case "GlobalAveragePool":
            try add(.globalAveragePooling, inputs: [try source(try operand(0))])
        default:
            try lowerGlobalMax()
        }
    }

    /// A max pooling over the whole map, then made a vector like global average pooling's
    /// ([C, 1, 1] flattens the same in either order).
    mutating func lowerGlobalMax() throws {
        let shape = try perImageShape(try operand(0))
        guard shape.count == 3 else { throw nodeFail("needs a feature map") }
        try globalMax(of: try source(try operand(0)), height: shape[1], width: shape[2])
    }

    /// The current node's output: engine node `map`'s maxima over its `height` x `width`.
    mutating func globalMax(of map: String, height: Int, width: Int) throws {
        let out = try result()
        nodes.append(Node(out + ".map", .pooling(Pooling(kind: .max, window: [height, width], stride: [height, width])), inputs: [map]))
        try add(.flatten, inputs: [out + ".map"])
    }
}
