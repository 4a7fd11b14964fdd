import Network

extension Lowering {
    static let reduce = OperatorLowering(
        operators: ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum"],
        summary: "ReduceMean, ReduceMax over the spatial axes (global pooling); ReduceMean, ReduceMax, ReduceMin, ReduceSum over the channels (keepdims); ReduceSum over ResNeSt's splits",
        lower: { try $0.lowerReduce() })

    mutating func lowerReduce() throws {
        if try lowerAdaptiveMean(try operand(0)) { return }
        if try lowerGroupSum(try operand(0)) { return }
        let axes = Set(try reduceAxes())
        let shape = try perImageShape(try operand(0))
        if shape.count == 3, axes == [2, 3] || axes == [-2, -1] {
            // PyTorch's x.mean((2, 3)) and x.amax((2, 3)): global pooling.
            switch current.opType {
            case "ReduceMean": return try add(.globalAveragePooling, inputs: [try source(try operand(0))])
            case "ReduceMax": return try lowerGlobalMax()
            default: throw nodeFail("\(current.opType) over the spatial axes is not supported (ReduceMean and ReduceMax are)")
            }
        }
        guard axes == [1] || axes == [-shape.count] else {
            throw nodeFail("axes \(axes.sorted()): only the spatial axes (2, 3) or the channels (1) are supported")
        }
        guard int("keepdims", default: 1) == 1 else { throw nodeFail("a reduction over the channels must keep its axis (keepdims 1)") }
        let kind: ChannelReduction.Kind
        switch current.opType {
        case "ReduceMean": kind = .mean
        case "ReduceMax": kind = .max
        case "ReduceMin": kind = .min
        default: kind = .sum
        }
        try add(.channelReduction(ChannelReduction(kind)), inputs: [try source(try operand(0))])
    }

    /// ReduceMean's axes: an attribute before opset 18, an input from 18 on.
    func reduceAxes() throws -> [Int] {
        if let axes = attribute("axes") { return axes.ints.map(Int.init) }
        if current.input.count > 1, let axes = constants[current.input[1]]?.integers { return axes.map(Int.init) }
        throw nodeFail("needs its axes")
    }

}
