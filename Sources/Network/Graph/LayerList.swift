import Foundation

/// The compact form of a graph that `--architecture` takes: nodes separated by commas,
/// each `name:kind(arguments)`, taking the previous node's output unless `<from` names
/// another (`input` is the graph's input). For example a residual block:
///
///     c1:conv(16,3,bias=no),n1:bn(),r1:relu(),c2:conv(16,3,bias=no),n2:bn(),s:add(n2,r0),r2:relu()
///
/// | kind | arguments |
/// | --- | --- |
/// | `conv` | filters, kernel (`3` or `3x5`), then any of: an activation, `stride=`, `padding=same\|valid\|P\|T:L:B:R`, `dilation=`, `groups=`, `bias=no` |
/// | `maxpool`, `avgpool` | window (`2` or `2x3`), then `stride=` (default: the window), `padding=`, `ceil=yes` |
/// | `gap` | none: global average pooling |
/// | `dense` | units, then an activation, `bias=no` |
/// | `bn` | `epsilon=`, `momentum=` |
/// | `relu`, `relu6`, `sigmoid`, `tanh` | none |
/// | `leakyrelu` | the slope for negative inputs |
/// | `clip` | lower, upper |
/// | `dropout` | the rate, in [0, 1) |
/// | `add`, `concat` | the names of the nodes to join |
/// | `flatten` | none |
///
/// Activations fused into `conv` and `dense`: `relu`, `relu6`, `sigmoid`, `tanh`, `none`,
/// `leakyrelu=SLOPE`. The last node must give the logits (a `dense` with no activation).
/// Names are letters, digits, `_` and `-`. The earlier form of cnn-inte 0.1
/// (`conv1:conv(32,5,relu),pool1:maxpool(2),fc1:dense(1024,relu),...`) is this form.
public enum LayerList {
    /// Builtin networks by name: `deep-mnist` (the default) and `resnet20`.
    public static func builtin(_ name: String, input: Graph.InputShape, classes: Int) -> Graph? {
        switch name {
        case "deep-mnist": return Builtins.deepMNIST(input: input, classes: classes)
        case "resnet20": return Builtins.resnet20(input: input, classes: classes)
        default: return nil
        }
    }

    public static func parse(_ text: String, input: Graph.InputShape) throws -> Graph {
        var nodes: [Node] = []
        var previous = Graph.inputName
        for raw in split(text, on: ",") {
            let item = raw.trimmingCharacters(in: .whitespaces)
            var body = Substring(item), from: String?
            if let close = item.lastIndex(of: ")"), let arrow = item[close...].firstIndex(of: "<") {
                body = item[..<arrow]
                from = item[item.index(after: arrow)...].trimmingCharacters(in: .whitespaces)
            }
            guard let colon = body.firstIndex(of: ":"), let open = body.firstIndex(of: "("), body.hasSuffix(")"), colon < open else {
                throw GraphError("layer '\(item)' is not of the form name:kind(args), e.g. conv1:conv(32,5,relu)")
            }
            let name = String(body[..<colon])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw GraphError("layer name '\(name)' must be letters, digits, '_' or '-'")
            }
            let kind = String(body[body.index(after: colon)..<open])
            let args = split(String(body[body.index(after: open)..<body.index(before: body.endIndex)]), on: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var arguments = Arguments(layer: name, all: args)
            let op = try operation(kind, &arguments)
            let inputs: [String]
            switch op {
            case .add, .concat:
                inputs = arguments.positional
                arguments.positional = []
                guard from == nil else { throw GraphError("layer '\(name)': \(kind) names its inputs in its arguments, not with '<'") }
            default:
                inputs = [from ?? previous]
            }
            try arguments.finish()
            nodes.append(Node(name, op, inputs: inputs))
            previous = name
        }
        let graph = Graph(input: input, nodes: nodes)
        try graph.validate(classes: nil)
        if case let .dense(d)? = graph.nodes.last?.op, d.activation != .none {
            throw GraphError("the last layer must be dense with no activation (the logits)")
        }
        guard case .dense? = graph.nodes.last?.op else { throw GraphError("the last layer must be dense with no activation (the logits)") }
        return graph
    }

    /// The compact form of `graph` (which `parse` reads back to the same graph).
    public static func compact(_ graph: Graph) -> String {
        var previous = Graph.inputName
        return graph.nodes.map { node in
            defer { previous = node.name }
            var text = "\(node.name):\(describe(node.op, inputs: node.inputs))"
            switch node.op {
            case .add, .concat: break
            default: if node.inputs != [previous] { text += "<\(node.inputs[0])" }
            }
            return text
        }.joined(separator: ",")
    }

    // MARK: - Reading

    struct Arguments {
        let layer: String
        var positional: [String] = []
        var named: [String: String] = [:]

        init(layer: String, all: [String]) {
            self.layer = layer
            for a in all {
                if let eq = a.firstIndex(of: "=") {
                    named[String(a[..<eq]).lowercased()] = String(a[a.index(after: eq)...])
                } else {
                    positional.append(a)
                }
            }
        }

        func fail(_ problem: String) -> GraphError { GraphError("layer '\(layer)': \(problem)") }

        mutating func take() -> String? { positional.isEmpty ? nil : positional.removeFirst() }

        mutating func int(_ what: String) throws -> Int {
            guard let text = take(), let v = Int(text), v > 0 else { throw fail("\(what) must be a positive whole number") }
            return v
        }

        /// `3` or `3x5`.
        mutating func pair(_ what: String, _ text: String?) throws -> [Int]? {
            guard let text else { return nil }
            let parts = text.split(separator: "x").map { Int($0) }
            guard (1...2).contains(parts.count), parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw fail("\(what) must be a positive whole number or HxW (got '\(text)')")
            }
            return parts.count == 1 ? [parts[0]!, parts[0]!] : parts.map { $0! }
        }

        mutating func named(_ key: String) -> String? { named.removeValue(forKey: key) }

        mutating func float(_ key: String) throws -> Float? {
            guard let text = named(key) else { return nil }
            guard let v = Float(text), v.isFinite else { throw fail("\(key) must be a number (got '\(text)')") }
            return v
        }

        mutating func bool(_ key: String) throws -> Bool? {
            guard let text = named(key)?.lowercased() else { return nil }
            switch text {
            case "yes", "true", "1": return true
            case "no", "false", "0": return false
            default: throw fail("\(key) must be yes or no (got '\(text)')")
            }
        }

        mutating func padding() throws -> Padding? {
            guard let text = named("padding")?.lowercased() else { return nil }
            switch text {
            case "same": return .same
            case "valid": return .valid
            default:
                let parts = text.split(separator: ":").map { Int($0) }
                guard parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { throw fail("padding must be same, valid, P or T:L:B:R (got '\(text)')") }
                let p = parts.map { $0! }
                switch p.count {
                case 1: return .explicit(top: p[0], left: p[0], bottom: p[0], right: p[0])
                case 4: return .explicit(top: p[0], left: p[1], bottom: p[2], right: p[3])
                default: throw fail("padding must be same, valid, P or T:L:B:R (got '\(text)')")
                }
            }
        }

        /// A fused activation: the next positional argument or `activation=`.
        mutating func activation() throws -> Activation {
            if let text = named("leakyrelu") {
                guard let slope = Float(text) else { throw fail("leakyrelu needs a slope (got '\(text)')") }
                return .leakyRelu(slope: slope)
            }
            guard let text = named("activation") ?? take() else { return .none }
            switch text.lowercased() {
            case "relu": return .relu
            case "none": return .none
            case "relu6": return .clip(lower: 0, upper: 6)
            case "sigmoid": return .sigmoid
            case "tanh": return .tanh
            default: throw fail("unknown activation '\(text)' (relu, relu6, sigmoid, tanh, leakyrelu=SLOPE or none)")
            }
        }

        func finish() throws {
            if let extra = positional.first { throw fail("unexpected argument '\(extra)'") }
            if let extra = named.keys.sorted().first { throw fail("unknown option '\(extra)='") }
        }
    }

    static func operation(_ kind: String, _ a: inout Arguments) throws -> Operation {
        switch kind {
        case "conv":
            let filters = try a.int("argument 1 (filters)")
            guard let kernel = try a.pair("argument 2 (kernel)", a.take()) else { throw a.fail("argument 2 (kernel) is missing") }
            var c = Convolution(filters: filters, kernel: kernel)
            c.activation = try a.activation()
            if let s = try a.pair("stride", a.named("stride")) { c.stride = s }
            if let d = try a.pair("dilation", a.named("dilation")) { c.dilation = d }
            if let p = try a.padding() { c.padding = p }
            if let g = a.named("groups") {
                guard let v = Int(g), v > 0 else { throw a.fail("groups must be a positive whole number") }
                c.groups = v
            }
            if let b = try a.bool("bias") { c.bias = b }
            return .convolution(c)
        case "maxpool", "avgpool":
            let window = try a.pair("argument 1 (window)", a.take()) ?? [2, 2]
            var p = Pooling(kind: kind == "maxpool" ? .max : .average, window: window, stride: window)
            if let s = try a.pair("stride", a.named("stride")) { p.stride = s }
            if let pad = try a.padding() { p.padding = pad }
            if let ceil = try a.bool("ceil") { p.ceil = ceil }
            if let count = try a.bool("countpadding") { p.countPadding = count }
            return .pooling(p)
        case "gap": return .globalAveragePooling
        case "dense":
            var d = Dense(units: try a.int("argument 1 (units)"))
            d.activation = try a.activation()
            if let b = try a.bool("bias") { d.bias = b }
            return .dense(d)
        case "bn":
            var b = BatchNormalization()
            if let e = try a.float("epsilon") { b.epsilon = e }
            if let m = try a.float("momentum") { b.momentum = m }
            guard b.epsilon > 0, (0..<1).contains(b.momentum) else { throw a.fail("epsilon must be positive and momentum in [0, 1)") }
            return .batchNormalization(b)
        case "relu": return .activation(.relu)
        case "relu6": return .activation(.clip(lower: 0, upper: 6))
        case "sigmoid": return .activation(.sigmoid)
        case "tanh": return .activation(.tanh)
        case "leakyrelu":
            guard let text = a.take(), let slope = Float(text) else { throw a.fail("leakyrelu takes the slope for negative inputs") }
            return .activation(.leakyRelu(slope: slope))
        case "clip":
            guard let lo = a.take().flatMap(Float.init), let hi = a.take().flatMap(Float.init), lo < hi else {
                throw a.fail("clip takes a lower and a higher bound")
            }
            return .activation(.clip(lower: lo, upper: hi))
        case "dropout":
            guard let text = a.take(), let rate = Float(text), rate >= 0, rate < 1 else { throw a.fail("dropout takes one rate in [0, 1)") }
            return .dropout(rate: rate)
        case "add", "concat":
            guard a.positional.count >= 2 else { throw a.fail("\(kind) names two or more layers to join") }
            return kind == "add" ? .add : .concat
        case "flatten": return .flatten
        default:
            throw a.fail("unknown kind '\(kind)' (conv, maxpool, avgpool, gap, dense, bn, relu, relu6, leakyrelu, clip, sigmoid, tanh, dropout, add, concat, flatten)")
        }
    }

    /// Splits on `separator` outside parentheses.
    static func split(_ text: String, on separator: Character) -> [String] {
        var items: [String] = [], current = "", depth = 0
        for ch in text {
            if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
            if ch == separator && depth == 0 { items.append(current); current = "" } else { current.append(ch) }
        }
        items.append(current)
        return items
    }

    // MARK: - Writing

    static func pair(_ p: [Int]) -> String { p[0] == p[1] ? "\(p[0])" : "\(p[0])x\(p[1])" }

    static func number(_ v: Float) -> String { v == v.rounded() && abs(v) < 1e6 ? String(Int(v)) : "\(v)" }

    static func padding(_ p: Padding) -> String {
        switch p {
        case .same: return "same"
        case .valid: return "valid"
        case let .explicit(t, l, b, r): return t == l && l == b && b == r ? "\(t)" : "\(t):\(l):\(b):\(r)"
        }
    }

    static func activation(_ a: Activation) -> String? {
        switch a {
        case .none: return nil
        case .relu: return "relu"
        case let .clip(lower, upper) where lower == 0 && upper == 6: return "relu6"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case let .leakyRelu(slope): return "leakyrelu=\(number(slope))"
        case let .clip(lower, upper): return "activation=clip(\(number(lower)),\(number(upper)))"  // not readable back; not produced by parse
        default: return "activation=\(a.name)"  // imported models' functions: not readable back; not produced by parse
        }
    }

    static func describe(_ op: Operation, inputs: [String]) -> String {
        switch op {
        case let .convolution(c):
            var args = ["\(c.filters)", pair(c.kernel)]
            if let a = activation(c.activation) { args.append(a) }
            if c.stride != [1, 1] { args.append("stride=\(pair(c.stride))") }
            if c.padding != .same { args.append("padding=\(padding(c.padding))") }
            if c.dilation != [1, 1] { args.append("dilation=\(pair(c.dilation))") }
            if c.groups != 1 { args.append("groups=\(c.groups)") }
            if !c.bias { args.append("bias=no") }
            return "conv(\(args.joined(separator: ",")))"
        case let .pooling(p):
            var args = [pair(p.window)]
            if p.stride != p.window { args.append("stride=\(pair(p.stride))") }
            if p.padding != .valid { args.append("padding=\(padding(p.padding))") }
            if p.ceil { args.append("ceil=yes") }
            if p.countPadding { args.append("countpadding=yes") }
            return "\(p.kind == .max ? "maxpool" : "avgpool")(\(args.joined(separator: ",")))"
        case .globalAveragePooling: return "gap()"
        case let .dense(d):
            var args = ["\(d.units)"]
            if let a = activation(d.activation) { args.append(a) }
            if !d.bias { args.append("bias=no") }
            return "dense(\(args.joined(separator: ",")))"
        case let .batchNormalization(b):
            var args: [String] = []
            if b.epsilon != BatchNormalization().epsilon { args.append("epsilon=\(b.epsilon)") }
            if b.momentum != BatchNormalization().momentum { args.append("momentum=\(b.momentum)") }
            return "bn(\(args.joined(separator: ",")))"
        case let .activation(a):
            switch a {
            case let .leakyRelu(slope): return "leakyrelu(\(number(slope)))"
            case let .clip(lower, upper) where !(lower == 0 && upper == 6): return "clip(\(number(lower)),\(number(upper)))"
            default: return "\(a.name)()"
            }
        case let .dropout(rate): return "dropout(\(rate))"
        case .add: return "add(\(inputs.joined(separator: ",")))"
        case .concat: return "concat(\(inputs.joined(separator: ",")))"
        case .flatten: return "flatten()"
        case .softmax: return "softmax()"
        default:
            // Imported models' operations: described, not readable back (not produced by parse).
            return "\(op.kind)(\(inputs.joined(separator: ",")))"
        }
    }
}
