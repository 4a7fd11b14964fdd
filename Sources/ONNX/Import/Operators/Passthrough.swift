import Network

extension Lowering {
    static let passthrough = OperatorLowering(
        operators: ["Identity", "Dropout"],
        summary: "Identity, Dropout (inference: the value itself)",
        lower: { try $0.alias() })
}
