import Network

extension Lowering {
    static let flatten = OperatorLowering(
        operators: ["Flatten"],
        summary: "Flatten (axis 1; after a Transpose to NHWC, channels last)",
        lower: { try $0.lowerFlatten() })

    mutating func lowerFlatten() throws {
        guard int("axis", default: 1) == 1 else { throw nodeFail("only axis 1 (one row per image) is supported") }
        let order: Graph.FlattenOrder = channelsLastViews[try operand(0)] != nil ? .channelsLast : .channelsFirst
        let from = try channelsLastViews[try operand(0)] ?? source(try operand(0))
        // A vector (after global pooling) is flat already, in any order.
        if let shape = nodeShapes()[from], shape.count == 1 {
            return try alias()
        }
        if let flattenOrder, flattenOrder != order {
            throw nodeFail("feature maps are flattened both channels first and channels last in one graph")
        }
        flattenOrder = order
        try add(.flatten, inputs: [from])
    }
}
