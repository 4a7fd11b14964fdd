import Network

extension Lowering {
    static let squeeze = OperatorLowering(
        operators: ["Squeeze", "Unsqueeze"],
        summary: "Squeeze, Unsqueeze of the 1x1 spatial axes of pooled features",
        lower: { try $0.lowerSqueeze() })

    /// Around a vector (after global pooling: [N, C, 1, 1] <-> [N, C]), nothing moves.
    mutating func lowerSqueeze() throws {
        let x = try operand(0)
        guard (try? perImageShape(x)).map({ $0.count == 1 || ($0.count == 3 && $0[1] == 1 && $0[2] == 1) }) == true else {
            throw nodeFail("only squeezing or unsqueezing the 1x1 spatial axes of pooled features is supported")
        }
        try alias()
    }
}
