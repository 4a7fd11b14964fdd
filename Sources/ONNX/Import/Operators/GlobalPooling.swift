import Network

extension Lowering {
    static let globalPooling = OperatorLowering(
        operators: ["GlobalAveragePool", "GlobalMaxPool", "ReduceMean"],
        summary: "GlobalAveragePool, GlobalMaxPool, ReduceMean over the spatial axes",
        lower: { try $0.lowerGlobalPooling() })

    mutating func lowerGlobalPooling() throws {
        switch current.opType {
        case "GlobalAveragePool":
            try add(.globalAveragePooling, inputs: [try source(try operand(0))])
        case "ReduceMean":
            // Over the spatial axes only (PyTorch's x.mean((2, 3))): global average pooling.
            let axes = try reduceAxes()
            guard Set(axes) == [2, 3] || Set(axes) == [-2, -1] else { throw nodeFail("axes \(axes): only the spatial axes (2, 3) are supported") }
            try add(.globalAveragePooling, inputs: [try source(try operand(0))])
        default:
            let shape = try perImageShape(try operand(0))
            guard shape.count == 3 else { throw nodeFail("needs a feature map") }
            // A max pooling over the whole map, then made a vector like global average
            // pooling's ([C, 1, 1] flattens the same in either order).
            let out = try result()
            nodes.append(Node(out + ".map", .pooling(Pooling(kind: .max, window: [shape[1], shape[2]], stride: [shape[1], shape[2]])),
                              inputs: [try source(try operand(0))]))
            try add(.flatten, inputs: [out + ".map"])
        }
    }

    /// ReduceMean's axes: an attribute before opset 18, an input from 18 on.
    func reduceAxes() throws -> [Int] {
        if let axes = attribute("axes") { return axes.ints.map(Int.init) }
        if current.input.count > 1, let axes = constants[current.input[1]]?.integers { return axes.map(Int.init) }
        throw nodeFail("needs its axes")
    }

}
