import Foundation
import Numerics

/// What one layer is, independent of its weights: enough to rebuild it and to check
/// that a saved model matches.
public struct LayerSpec: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case conv, maxpool, dense, dropout }
    public var name: String
    public var kind: Kind
    /// Filters of a convolution, outputs of a dense layer.
    public var units: Int?
    /// Kernel side of a convolution, window side of a pooling layer.
    public var size: Int?
    public var activation: Activation?
    /// Drop probability of a dropout layer.
    public var rate: Float?

    public static func conv(_ name: String, filters: Int, kernel: Int, activation: Activation = .relu) -> LayerSpec {
        LayerSpec(name: name, kind: .conv, units: filters, size: kernel, activation: activation, rate: nil)
    }
    public static func maxpool(_ name: String, size: Int = 2) -> LayerSpec {
        LayerSpec(name: name, kind: .maxpool, units: nil, size: size, activation: nil, rate: nil)
    }
    public static func dense(_ name: String, units: Int, activation: Activation = .relu) -> LayerSpec {
        LayerSpec(name: name, kind: .dense, units: units, size: nil, activation: activation, rate: nil)
    }
    public static func dropout(_ name: String, rate: Float) -> LayerSpec {
        LayerSpec(name: name, kind: .dropout, units: nil, size: nil, activation: nil, rate: rate)
    }

    /// The compact form `name:kind(args)` used on the command line.
    public var compact: String {
        switch kind {
        case .conv: return "\(name):conv(\(units!),\(size!)\(activation == .relu ? ",relu" : ""))"
        case .maxpool: return "\(name):maxpool(\(size!))"
        case .dense: return "\(name):dense(\(units!)\(activation == .relu ? ",relu" : ""))"
        case .dropout: return "\(name):dropout(\(rate!))"
        }
    }
}

public struct ArchitectureError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A network as a list of layers over an input shape.
public struct Architecture: Codable, Equatable, Sendable {
    /// Per-sample input shape `[height, width, channels]`.
    public var input: [Int]
    public var layers: [LayerSpec]

    public init(input: [Int], layers: [LayerSpec]) {
        self.input = input
        self.layers = layers
    }

    /// The network of docs/METHOD.md, section 1 (TensorFlow's "Deep MNIST"): 3,274,634
    /// parameters for 28x28x1 input and 10 classes.
    public static func deepMNIST(height: Int = 28, width: Int = 28, classes: Int = 10) -> Architecture {
        Architecture(input: [height, width, 1], layers: [
            .conv("conv1", filters: 32, kernel: 5), .maxpool("pool1"),
            .conv("conv2", filters: 64, kernel: 5), .maxpool("pool2"),
            .dense("fc1", units: 1024), .dropout("dropout", rate: 0.5),
            .dense("logits", units: classes, activation: .none),
        ])
    }

    /// Parses the compact form, e.g.
    /// `conv1:conv(8,3,relu),pool1:maxpool(2),fc1:dense(16,relu),logits:dense(10)`.
    public static func parse(_ text: String, input: [Int]) throws -> Architecture {
        var layers: [LayerSpec] = []
        // Split on commas outside parentheses.
        var items: [String] = [], current = "", depth = 0
        for ch in text {
            if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
            if ch == "," && depth == 0 { items.append(current); current = "" } else { current.append(ch) }
        }
        items.append(current)
        for raw in items {
            let item = raw.trimmingCharacters(in: .whitespaces)
            guard let colon = item.firstIndex(of: ":"), let open = item.firstIndex(of: "("), item.hasSuffix(")"),
                  colon < open else {
                throw ArchitectureError("layer '\(item)' is not of the form name:kind(args), e.g. conv1:conv(32,5,relu)")
            }
            let name = String(item[..<colon])
            let kind = String(item[item.index(after: colon)..<open])
            let args = item[item.index(after: open)..<item.index(before: item.endIndex)]
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            func int(_ i: Int) throws -> Int {
                guard i < args.count, let v = Int(args[i]), v > 0 else {
                    throw ArchitectureError("layer '\(name)': argument \(i + 1) must be a positive whole number")
                }
                return v
            }
            func activation(_ i: Int) throws -> Activation {
                guard i < args.count else { return .none }
                guard let a = Activation(rawValue: args[i]) else {
                    throw ArchitectureError("layer '\(name)': unknown activation '\(args[i])' (relu or none)")
                }
                return a
            }
            switch kind {
            case "conv": layers.append(.conv(name, filters: try int(0), kernel: try int(1), activation: try activation(2)))
            case "maxpool": layers.append(.maxpool(name, size: args.isEmpty ? 2 : try int(0)))
            case "dense": layers.append(.dense(name, units: try int(0), activation: try activation(1)))
            case "dropout":
                guard args.count == 1, let rate = Float(args[0]), rate >= 0, rate < 1 else {
                    throw ArchitectureError("layer '\(name)': dropout takes one rate in [0, 1)")
                }
                layers.append(.dropout(name, rate: rate))
            default:
                throw ArchitectureError("layer '\(name)': unknown kind '\(kind)' (conv, maxpool, dense, dropout)")
            }
        }
        let architecture = Architecture(input: input, layers: layers)
        try architecture.validate(classes: nil)
        return architecture
    }

    public var compact: String { layers.map(\.compact).joined(separator: ",") }

    /// A bound far above any network this tool trains (the default has 3.3 million), so a
    /// corrupt size cannot make it allocate gigabytes.
    public static let maximumParameters = 1 << 30

    /// Weights and biases of the whole network, or nil when a layer is malformed or the
    /// count overflows.
    public var parameterCount: Int? {
        var shape = input
        var total = 0
        func add(_ factors: [Int]) -> Bool {
            var product = 1
            for f in factors {
                let (p, overflow) = product.multipliedReportingOverflow(by: f)
                if overflow { return false }
                product = p
            }
            let (sum, overflow) = total.addingReportingOverflow(product)
            total = sum
            return !overflow
        }
        for layer in layers {
            switch layer.kind {
            case .conv:
                guard shape.count == 3, let units = layer.units, let kernel = layer.size,
                      add([kernel, kernel, shape[2], units]), add([units]) else { return nil }
                shape = [shape[0], shape[1], units]
            case .maxpool:
                guard shape.count == 3, let s = layer.size, s >= 1 else { return nil }
                shape = [shape[0] / s, shape[1] / s, shape[2]]
            case .dense:
                guard let units = layer.units, add(shape + [units]), add([units]) else { return nil }
                shape = [units]
            case .dropout: break
            }
        }
        return total
    }

    /// Checks names, shapes and the final layer. `classes`, when given, must match the
    /// output width.
    public func validate(classes: Int?) throws {
        guard !layers.isEmpty else { throw ArchitectureError("the network has no layers") }
        // Sizes come from files too (a model's metadata), so every field is checked here
        // before anything is allocated from it.
        guard input.count == 3, input.allSatisfy({ (1...65_536).contains($0) }) else {
            throw ArchitectureError("the input shape \(input) is not [height, width, channels] of positive sizes")
        }
        var names = Set<String>()
        var shape = input
        for layer in layers {
            guard !layer.name.isEmpty, layer.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw ArchitectureError("layer name '\(layer.name)' must be letters, digits, '_' or '-'")
            }
            guard names.insert(layer.name).inserted else { throw ArchitectureError("layer name '\(layer.name)' appears twice") }
            switch layer.kind {
            case .conv:
                guard shape.count == 3 else { throw ArchitectureError("layer '\(layer.name)': a convolution cannot follow a dense layer") }
                guard let units = layer.units, (1...65_536).contains(units), let kernel = layer.size, (1...1_024).contains(kernel) else {
                    throw ArchitectureError("layer '\(layer.name)': a convolution needs 1-65536 filters and a kernel of 1-1024")
                }
                shape = [shape[0], shape[1], units]
            case .maxpool:
                guard shape.count == 3 else { throw ArchitectureError("layer '\(layer.name)': pooling cannot follow a dense layer") }
                guard let s = layer.size, s >= 1 else { throw ArchitectureError("layer '\(layer.name)': a pooling window needs a size of at least 1") }
                guard shape[0] / s > 0, shape[1] / s > 0 else {
                    throw ArchitectureError("layer '\(layer.name)': a \(s)x\(s) window does not fit \(shape[0])x\(shape[1])")
                }
                shape = [shape[0] / s, shape[1] / s, shape[2]]
            case .dense:
                guard let units = layer.units, (1...(1 << 24)).contains(units) else {
                    throw ArchitectureError("layer '\(layer.name)': a dense layer needs 1-16777216 outputs")
                }
                shape = [units]
            case .dropout:
                guard let rate = layer.rate, rate >= 0, rate < 1 else {
                    throw ArchitectureError("layer '\(layer.name)': a dropout rate must be in [0, 1)")
                }
            }
        }
        guard let count = parameterCount, count <= Architecture.maximumParameters else {
            throw ArchitectureError("the network would have more than \(Architecture.maximumParameters) parameters")
        }
        guard let last = layers.last, last.kind == .dense, last.activation == Activation.none else {
            throw ArchitectureError("the last layer must be dense with no activation (the logits)")
        }
        if let classes, last.units != classes {
            throw ArchitectureError("the last layer has \(last.units!) outputs but the data has \(classes) classes")
        }
    }
}
