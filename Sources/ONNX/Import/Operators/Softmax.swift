import Network

extension Lowering {
    static let softmax = OperatorLowering(
        operators: ["Softmax"],
        summary: "Softmax over the classes, or across the splits of ResNeSt's attention",
        lower: { try $0.lowerSoftmax() })

    /// Over the classes of [N, classes]: axis 1 or -1 (opsets before 13 default to 1,
    /// later ones to -1; on two axes they are the same).
    mutating func lowerSoftmax() throws {
        if try lowerRadixSoftmax(try operand(0)) { return }
        guard [1, -1].contains(int("axis", default: onnx.opset < 13 ? 1 : -1)), try perImageShape(try operand(0)).count == 1 else {
            throw nodeFail("only a softmax over the classes of [N, classes] is supported")
        }
        try add(.softmax, inputs: [try source(try operand(0))])
    }
}
