import Network

extension Lowering {
    static let activations = OperatorLowering(
        operators: ["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSwish", "HardSigmoid", "Elu", "Softplus", "Mish", "Gelu",
                    "Erf", "Exp", "Neg"],
        summary: "Relu, LeakyRelu, Sigmoid, Tanh, Clip, HardSwish, HardSigmoid, Elu, Softplus, Mish, Gelu, Erf, Exp, Neg "
            + "(fused into the Conv or dense layer before them where nothing else reads it; x * Sigmoid(x) as one SiLU; "
            + "Clip(x + 3, 0, 6) / 6 as one HardSigmoid, and times x as one HardSwish; x * (1 + Erf(x / sqrt 2)) / 2 as one Gelu)",
        lower: { try $0.lowerActivation() })

    mutating func lowerActivation() throws {
        if current.opType == "Sigmoid", let product = try siluProduct() {
            // Lowered at the Mul, named after it: the Sigmoid's output is read by nothing else.
            siluProducts[product] = try operand(0)
            return
        }
        try activation(try activationFunction())
    }

    /// The current node's function.
    func activationFunction() throws -> Activation {
        switch current.opType {
        case "Relu": return .relu
        case "LeakyRelu": return .leakyRelu(slope: float("alpha", default: 0.01))
        case "Sigmoid": return .sigmoid
        case "Tanh": return .tanh
        case "HardSwish": return .hardSwish
        case "HardSigmoid": return .hardSigmoid(alpha: float("alpha", default: 0.2), beta: float("beta", default: 0.5))
        case "Elu": return .elu(alpha: float("alpha", default: 1))
        case "Softplus": return .softplus
        case "Mish": return .mish
        case "Gelu":
            let approximation = string("approximate", default: "none")
            guard ["none", "tanh"].contains(approximation) else { throw nodeFail("approximate '\(approximation)' is not 'none' or 'tanh'") }
            return .gelu(approximate: approximation == "tanh")
        case "Erf": return .erf
        case "Exp": return .exp
        case "Neg": return .negate
        default:
            // Clip: opset 11 on, bounds as optional inputs; before, attributes.
            func bound(_ index: Int, _ attribute: String, _ fallback: Float) throws -> Float {
                if current.input.count > index, !current.input[index].isEmpty {
                    guard let value = try constant(current.input[index], what: "bound").floats?.first else { throw nodeFail("empty bound") }
                    return value
                }
                return float(attribute, default: fallback)
            }
            return .clip(lower: try bound(1, "min", -.greatestFiniteMagnitude), upper: try bound(2, "max", .greatestFiniteMagnitude))
        }
    }

    /// The output of the Mul that makes the current Sigmoid a SiLU, `x * sigmoid(x)` (as
    /// exporters write torch.nn.SiLU and timm's Swish): the Sigmoid's output read only by
    /// one Mul whose other input is x.
    func siluProduct() throws -> String? {
        let x = try operand(0), s = try result()
        guard let readers = readers[s], readers.count == 1, consumers[s] == 1, !onnx.graph.output.contains(where: { $0.name == s }) else { return nil }
        let mul = onnx.graph.node[readers[0]]
        guard mul.opType == "Mul", (mul.domain.isEmpty || mul.domain == "ai.onnx"), Set(mul.input) == [x, s], mul.input.count == 2,
              let product = mul.output.first, !product.isEmpty else { return nil }
        return product
    }
}
