import Foundation
import Numerics

/// What `cnn-inte inspect` says of a model, as a value so its text and JSON agree: the
/// declared inputs and outputs, the initializers, and every node with the value it makes.
public struct ONNXSummary: Codable, Equatable {
    public struct Value: Codable, Equatable {
        public var name: String
        public var type: String
        /// Dimensions as declared: numbers, or the names of free dimensions ("N").
        public var shape: [String]?
    }

    public struct Node: Codable, Equatable {
        public var name: String
        public var op: String
        public var inputs: [String]
        public var outputs: [String]
    }

    /// A value the nodes make, with its shape per image as cnn-inte's engine computes it
    /// (nil when the model cannot be lowered) and the engine node that gives it.
    public struct Made: Codable, Equatable {
        public var value: String
        public var op: String
        public var shape: [Int]?
        public var node: String?
        /// Evaluated at load: a constant or a shape, not computed per image.
        public var folded: Bool? = nil
        /// The framework's modules whose output this value is (`--layer` takes them too).
        public var modules: [String]? = nil
    }

    public var file: String
    public var irVersion: Int
    public var opsets: [String: Int]
    public var producer: String
    public var inputs: [Value]
    public var outputs: [Value]
    public var initializers: Int
    public var parameters: Int
    public var nodes: [Node]
    /// Shapes the file declares for values inside the graph (`value_info`).
    public var declared: [Value]
    public var made: [Made]
    /// Why cnn-inte cannot run the model yet, or nil when it can.
    public var notRunnable: String?
    /// When it cannot be lowered: every operator and pattern that stops it, with counts.
    public var blockers: [ONNXImporter.Blocker]?
    /// When it runs: the instruction set of oneDNN's kernels here, and every node whose
    /// primitive is oneDNN's slow reference code ("node: ref:any"; empty when none is).
    public var isa: String?
    public var referenceKernels: [String]?

    public init(_ model: ONNXModel) {
        file = model.path
        irVersion = Int(model.proto.irVersion)
        opsets = model.opsets
        producer = [model.proto.producerName, model.proto.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        let initialized = Set(model.initializerNames)
        // Graph inputs that are initializers are weights (older exporters list them), not inputs.
        inputs = model.graph.input.filter { !initialized.contains($0.name) }.map(Self.value)
        outputs = model.graph.output.map(Self.value)
        initializers = model.initializerNames.count
        parameters = model.parameterCount
        nodes = model.graph.node.enumerated().map { i, node in
            Node(name: node.name.isEmpty ? "#\(i)" : node.name, op: node.domain.isEmpty ? node.opType : node.domain + "." + node.opType,
                 inputs: node.input, outputs: node.output)
        }
        declared = model.graph.valueInfo.map(Self.value)
        var shapes: [String: [Int]] = [:], nodeOf: [String: String] = [:], folded: Set<String> = []
        var modules: [String: [String]] = [:]
        do {
            let lowered = try ONNXImporter.lower(model)
            shapes = try lowered.graph.shapes()
            nodeOf = lowered.nodeOfValue
            folded = lowered.folded
            for (module, value) in lowered.moduleOutputs { modules[value, default: []].append(module) }
            // Compiled as a run would compile it, to see the kernels oneDNN picks here.
            let engine = try ONNXImporter.model(lowered, path: model.path)
            referenceKernels = try engine.kernelImplementations(batch: engine.inferenceBatch)
                .flatMap { node, names in names.filter(PrimitiveDescriptor.isReference).map { "\(node): \($0)" } }
            isa = DNNL.isa
        } catch {
            notRunnable = "\(error)".replacingOccurrences(of: model.path + ": ", with: "")
            let found = ONNXImporter.blockers(model)
            if !found.isEmpty { blockers = found }
        }
        made = nodes.flatMap { node in
            node.outputs.filter { !$0.isEmpty }.map { value in
                Made(value: value, op: node.op, shape: nodeOf[value].flatMap { shapes[$0] }, node: nodeOf[value],
                     folded: folded.contains(value) ? true : nil, modules: modules[value]?.sorted())
            }
        }
    }

    static func value(_ info: Onnx_ValueInfoProto) -> Value {
        guard case let .tensorType(tensor)? = info.type.value else { return Value(name: info.name, type: "not a tensor", shape: nil) }
        let shape: [String]? = tensor.hasShape ? tensor.shape.dim.map { dim in
            switch dim.value {
            case let .dimValue(v)?: return String(v)
            case let .dimParam(p)?: return p.isEmpty ? "?" : p
            case nil: return "?"
            }
        } : nil
        return Value(name: info.name, type: elementTypeName(Int(tensor.elemType)), shape: shape)
    }

    static func elementTypeName(_ type: Int) -> String {
        let names = [1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool",
                     10: "float16", 11: "double", 12: "uint32", 13: "uint64", 16: "bfloat16"]
        return names[type] ?? "type \(type)"
    }

    public var text: String {
        func describe(_ v: Value) -> String { "\(v.name)  \(v.type) \(v.shape.map { "[" + $0.joined(separator: ", ") + "]" } ?? "(shape not declared)")" }
        let ops = Dictionary(grouping: nodes, by: \.op).map { ($0.key, $0.value.count) }.sorted { $0.0 < $1.0 }
        var lines = [
            "model:        \(file)",
            "format:       ONNX IR \(irVersion), " + opsets.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "opset" : $0.key) \($0.value)" }.joined(separator: ", ")
                + (producer.isEmpty ? "" : ", made by \(producer)"),
        ]
        lines += inputs.map { "input:        " + describe($0) }
        lines += outputs.map { "output:       " + describe($0) }
        lines.append("parameters:   \(parameters) in \(initializers.counted("initializer"))")
        lines.append("nodes:        \(nodes.count) (" + ops.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + ")")
        let declaredShapes = Dictionary(declared.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        if let blockers, blockers.count > 1 || blockers.first?.count ?? 0 > 1 {
            let nodes = blockers.reduce(0) { $0 + $1.count }
            lines.append("runs here:    no: \(nodes.counted("node")) of \(blockers.count.counted("operator")) stop it (and what reads them):")
            for b in blockers {
                // The list of what is supported, which unsupported operators' messages end with, once is enough.
                let problem = b.problem.components(separatedBy: " (supported: ").first ?? b.problem
                lines.append("  \(b.op.isEmpty ? "graph" : b.op) x\(b.count), first \(problem)")
            }
        } else if let notRunnable {
            lines.append("runs here:    no: \(notRunnable)")
        } else {
            lines.append("runs here:    yes, on cnn-inte's engine; each value below gives one row of features per image")
            if let referenceKernels, let isa {
                lines.append(referenceKernels.isEmpty ? "kernels:      oneDNN's fast ones for every node (\(isa))"
                    : "kernels:      \(referenceKernels.count) on oneDNN's slow reference code (\(isa)): " + referenceKernels.joined(separator: ", "))
            }
        }
        if !made.isEmpty {
            lines.append(notRunnable == nil ? "values, in the order the nodes make them, with their shape per image:"
                                            : "values, in the order the nodes make them (shapes where the file declares them):")
            let width = min(made.map(\.value.count).max() ?? 0, 48), opWidth = made.map(\.op.count).max() ?? 0
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
            for entry in made {
                // A value folded into another node has no shape of its own here.
                let folded = entry.node == nil && notRunnable == nil
                let shape = folded ? "" : entry.shape.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }
                    ?? declaredShapes[entry.value]?.shape.map { "[" + $0.joined(separator: ", ") + "]" } ?? ""
                let alias = entry.node.map { $0 != entry.value ? "  (the same as \($0))" : "" }
                    ?? (entry.folded == true ? "(a constant, evaluated at load)"
                        : notRunnable == nil ? "(folded into the node reading it: not kept)" : "")
                let module = entry.modules.map { "  (module\($0.count == 1 ? "" : "s") " + $0.joined(separator: ", ") + ")" } ?? ""
                lines.append(("  " + pad(entry.value, width) + "  " + pad(entry.op, opWidth) + "  " + shape + alias + module)
                    .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
            }
        }
        return lines.joined(separator: "\n")
    }
}
