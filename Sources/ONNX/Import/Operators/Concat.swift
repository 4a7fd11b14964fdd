import Network

extension Lowering {
    static let concat = OperatorLowering(
        operators: ["Concat"],
        summary: "Concat along the channels",
        lower: { try $0.lowerConcat() })

    mutating func lowerConcat() throws {
        guard int("axis", default: 1) == 1 else { throw nodeFail("only concatenation along the channels (axis 1) is supported") }
        // Of one value (DenseNet's first layer, `torch.cat([x], 1)`): the value itself.
        if current.input.filter({ !$0.isEmpty }).count == 1 { return try alias() }
        var inputs: [String] = []
        for value in current.input { inputs.append(try source(value)) }
        try add(.concat, inputs: inputs)
    }
}
