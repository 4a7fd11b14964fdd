import Network

extension Lowering {
    static let activations = OperatorLowering(
        operators: ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip"],
        summary: "Relu, LeakyRelu, Sigmoid, Tanh, Clip (fused into the Conv or dense layer before them where nothing else reads it)",
        lower: { try $0.lowerActivation() })

    mutating func lowerActivation() throws {
        switch current.opType {
        case "Relu": try activation(.relu)
        case "LeakyRelu": try activation(.leakyRelu(slope: float("alpha", default: 0.01)))
        case "Sigmoid": try activation(.sigmoid)
        case "Tanh": try activation(.tanh)
        default:
            // Clip: opset 11 on, bounds as optional inputs; before, attributes.
            func bound(_ index: Int, _ attribute: String, _ fallback: Float) throws -> Float {
                if current.input.count > index, !current.input[index].isEmpty {
                    guard let value = try constant(current.input[index], what: "bound").floats?.first else { throw nodeFail("empty bound") }
                    return value
                }
                return float(attribute, default: fallback)
            }
            try activation(.clip(lower: try bound(1, "min", -.greatestFiniteMagnitude), upper: try bound(2, "max", .greatestFiniteMagnitude)))
        }
    }
}
