import Network

extension Lowering {
    static let expand = OperatorLowering(
        operators: ["Expand"],
        summary: "Expand of a computed value read only by broadcasting arithmetic (`gate.expand_as(x)`, which the arithmetic broadcasts anyway)",
        lower: { try $0.lowerExpand() })

    /// timm's ECA and others write `x * gate.expand_as(x)`: the Expand changes nothing the
    /// Mul would not broadcast itself, so the value stands for its expansion when only such
    /// arithmetic reads it, and the target shape is one it broadcasts to.
    mutating func lowerExpand() throws {
        let x = try operand(0), out = try result()
        guard let target = constants[try operand(1)]?.integers else { throw nodeFail("its shape must be known at load") }
        let perImage = try perImageShape(x)
        // Pooled features broadcast as [C, 1, 1] against a map.
        let shape = [Int64(1)] + (perImage.count == 1 && target.count == 4 ? perImage + [1, 1] : perImage).map(Int64.init)
        let readBy = (readers[out] ?? []).map { onnx.graph.node[$0].opType }
        let broadcasts = target.count >= shape.count && zip(shape.reversed(), target.reversed()).allSatisfy { s, t in s == t || s == 1 }
        guard !readBy.isEmpty, readBy.allSatisfy({ ["Add", "Sub", "Mul", "Div", "Max", "Min"].contains($0) }), broadcasts,
              !onnx.graph.output.contains(where: { $0.name == out }) else {
            throw nodeFail("an Expand of computed values is supported only where broadcasting arithmetic reads it")
        }
        try alias()
    }
}
