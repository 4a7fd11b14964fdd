import Foundation

/// The zeros a convolution or pooling adds before and after each spatial axis, as
/// resolved from its `Padding` for an input size.
public struct ResolvedPadding: Equatable, Sendable {
    public var begin: [Int]
    public var end: [Int]
}

/// A trainable tensor or a statistic a node keeps, as the graph defines it.
public struct ParameterSpec: Equatable, Sendable {
    public enum Role: Equatable, Sendable {
        /// A convolution's or dense layer's weights; `fanIn`/`fanOut` for initialisation,
        /// `relu` when a ReLU follows (He initialisation).
        case weight(fanIn: Int, fanOut: Int, relu: Bool)
        case bias
        case scale
        case shift
        /// Running statistics of a batch normalization: not trained, updated by batches.
        case runningMean
        case runningVariance
    }

    /// `<node>.weight`, `<node>.bias`, `<node>.scale`, `<node>.shift`,
    /// `<node>.running_mean`, `<node>.running_var`: the tensor's name in a model file.
    public var name: String
    /// The node it belongs to.
    public var node: String
    /// oneDNN's logical dimensions: `[O, I/groups, KH, KW]` (or `[G, O/G, I/G, KH, KW]`
    /// with groups) for convolutions, `[O, F]` for dense layers (a feature map is
    /// flattened in the graph's order before the product).
    public var dims: [Int]
    /// The layout in a model file: conv weights `[KH, KW, I/groups, O]` (HWIO, TensorFlow's),
    /// dense weights `[in, out]` with `in` in the graph's flatten order, vectors as they are.
    public var fileShape: [Int]
    public var role: Role

    public var count: Int { dims.reduce(1, *) }
    public var trainable: Bool {
        switch role {
        case .runningMean, .runningVariance: return false
        default: return true
        }
    }
}

extension Graph {
    /// Most parameters a graph may have: far above any network cnn-inte trains (the
    /// default has 3.3 million), so a corrupt file cannot make it allocate gigabytes.
    public static let maximumParameters = 1 << 30

    /// The output shape of every node (per sample), with the input's under `input`.
    /// Throws, naming the node, when a node does not fit its inputs.
    public func shapes() throws -> [String: [Int]] {
        var shapes = [Graph.inputName: input.shape]
        guard input.shape.allSatisfy({ (1...65_536).contains($0) }), input.channels <= 4_096 else {
            throw GraphError("the input shape \(input.shape) is not [channels, height, width] of positive sizes")
        }
        for (index, node) in nodes.enumerated() {
            guard !node.name.isEmpty, node.name != Graph.inputName, !node.name.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
                throw GraphError("node name '\(node.name)' is not allowed")
            }
            guard shapes[node.name] == nil else { throw GraphError("node name '\(node.name)' appears twice") }
            let inputs = try node.inputs.map { name -> [Int] in
                guard let shape = shapes[name] else { throw GraphError("node '\(node.name)' (\(node.op.kind)): its input '\(name)' is not an earlier node") }
                return shape
            }
            shapes[node.name] = try Graph.outputShape(of: node, inputs: inputs, isLast: index == nodes.count - 1)
        }
        return shapes
    }

    /// The shape a node gives (per sample) for its inputs' shapes; throws, naming the node,
    /// when it does not fit them. `isLast`: the graph's last node.
    public static func outputShape(of node: Node, inputs: [[Int]], isLast: Bool) throws -> [Int] {
        func fail(_ problem: String) -> GraphError { GraphError("node '\(node.name)' (\(node.op.kind)): \(problem)") }
        guard !node.inputs.isEmpty else { throw fail("has no input") }
        let x = inputs[0], input = NodeInputs(shapes: inputs, fail: fail)
        func single() throws { try input.single() }
        func spatial() throws -> (c: Int, h: Int, w: Int) { try input.spatial() }
        let out: [Int]
        switch node.op {
        case let .convolution(c):
            try single()
            out = try convolutionShape(c, input: try spatial(), fail: fail)
        case let .pooling(p):
            try single()
            out = try poolingShape(p, input: try spatial(), fail: fail)
        case .globalAveragePooling:
            try single()
            out = [try spatial().c]
        case let .dense(d):
            try single()
            guard (1...(1 << 24)).contains(d.units) else { throw fail("needs 1-16777216 outputs") }
            out = [d.units]
        case .batchNormalization:
            try single()
            out = x
        case .activation, .dropout:
            try single()
            if case let .dropout(rate) = node.op, !(rate >= 0 && rate < 1) { throw fail("the rate must be in [0, 1)") }
            out = x
        case .add:
            guard inputs.count >= 2 else { throw fail("adds two or more inputs") }
            guard inputs.allSatisfy({ $0 == x }) else { throw fail("its inputs have different shapes \(inputs)") }
            out = x
        case .concat:
            guard inputs.count >= 2 else { throw fail("joins two or more inputs") }
            guard inputs.allSatisfy({ $0.count == x.count && Array($0.dropFirst()) == Array(x.dropFirst()) }) else {
                throw fail("its inputs differ in more than their channels \(inputs)")
            }
            out = [inputs.reduce(0) { $0 + $1[0] }] + x.dropFirst()
        case .flatten:
            try single()
            out = [x.reduce(1, *)]
        case .softmax:
            try single()
            out = x
        case .channelShuffle, .binary, .channels, .resize, .pad, .layerNormalization, .channelReduction, .adaptiveAveragePooling:
            out = try importedShape(node.op, input)
        }
        guard out.allSatisfy({ $0 >= 1 }) else { throw fail("gives an empty output \(out)") }
        return out
    }

    /// The shape an operation of imported models gives (`outputShape`).
    static func importedShape(_ op: Operation, _ input: NodeInputs) throws -> [Int] {
        let (inputs, x, fail) = (input.shapes, input.shapes[0], input.fail)
        func single() throws { try input.single() }
        func spatial() throws -> (c: Int, h: Int, w: Int) { try input.spatial() }
        let out: [Int]
        switch op {
        case let .channelShuffle(groups):
            try single()
            guard x.count == 3, groups >= 1, x[0] % groups == 0 else { throw fail("shuffles the channels of a map in groups that divide them (\(x) in \(groups))") }
            out = x
        case let .binary(b):
            guard inputs.count == 2 else { throw fail("\(b.kind.rawValue) takes two inputs, not \(inputs.count)") }
            out = try broadcast(inputs[0], inputs[1], fail: fail)
        case let .channels(start, end):
            try single()
            guard 0 <= start, start < end, end <= x[0] else { throw fail("channels \(start)..<\(end) are not within its \(x[0])") }
            out = [end - start] + x.dropFirst()
        case let .resize(r):
            try single()
            let (c, _, _) = try spatial()
            guard (1...65_536).contains(r.height), (1...65_536).contains(r.width), r.height * r.width <= 1 << 26 else {
                throw fail("cannot resize to \(r.height)x\(r.width) (1-65536 a side, at most 2^26 positions)")
            }
            out = [c, r.height, r.width]
        case let .pad(p):
            try single()
            out = try padShape(p, input: try spatial(), fail: fail)
        case let .layerNormalization(epsilon):
            try single()
            guard epsilon >= 0, epsilon.isFinite else { throw fail("epsilon must be finite and not negative") }
            out = x
        case .channelReduction:
            try single()
            out = [1] + x.dropFirst()
        case let .adaptiveAveragePooling(a):
            try single()
            let (c, _, _) = try spatial()
            guard (1...65_536).contains(a.height), (1...65_536).contains(a.width), a.height * a.width <= 1 << 26 else {
                throw fail("cannot pool to \(a.height)x\(a.width) (1-65536 a side, at most 2^26 positions)")
            }
            out = [c, a.height, a.width]
        default: preconditionFailure("importedShape: \(op.kind) is cnn-inte's own")
        }
        return out
    }

    static func convolutionShape(_ c: Convolution, input: (c: Int, h: Int, w: Int), fail: (String) -> GraphError) throws -> [Int] {
        guard c.filters >= 1, c.filters <= 65_536, c.kernel.count == 2, c.kernel.allSatisfy({ (1...1_024).contains($0) }) else {
            throw fail("needs 1-65536 filters and a kernel of 1-1024 a side")
        }
        guard c.stride.count == 2, c.stride.allSatisfy({ (1...1_024).contains($0) }), c.dilation.count == 2,
              c.dilation.allSatisfy({ (1...1_024).contains($0) }) else { throw fail("strides and dilations must be 1-1024") }
        guard c.groups >= 1, input.c % c.groups == 0, c.filters % c.groups == 0 else {
            throw fail("\(c.groups) groups do not divide its \(input.c) input channels and \(c.filters) filters")
        }
        let extent = zip(c.kernel, c.dilation).map { ($0 - 1) * $1 + 1 }
        let (size, _) = try Graph.window(input: [input.h, input.w], extent: extent, stride: c.stride, padding: c.padding, ceil: false, fail: fail)
        return [c.filters] + size
    }

    static func poolingShape(_ p: Pooling, input: (c: Int, h: Int, w: Int), fail: (String) -> GraphError) throws -> [Int] {
        guard p.window.count == 2, p.window.allSatisfy({ (1...1_024).contains($0) }), p.stride.count == 2,
              p.stride.allSatisfy({ (1...1_024).contains($0) }) else { throw fail("needs a window and a stride of 1-1024 a side") }
        let (size, _) = try Graph.window(input: [input.h, input.w], extent: p.window, stride: p.stride, padding: p.padding, ceil: p.ceil, fail: fail)
        return [input.c] + size
    }

    /// Negative padding crops (rows and columns left out), as ONNX's Pad allows.
    static func padShape(_ p: Pad, input: (c: Int, h: Int, w: Int), fail: (String) -> GraphError) throws -> [Int] {
        let (c, h, w) = input
        guard [p.top, p.left, p.bottom, p.right].allSatisfy({ (-1_024...1_024).contains($0) }) else { throw fail("padding must be -1024-1024") }
        guard max(0, -p.top) + max(0, -p.bottom) < h, max(0, -p.left) + max(0, -p.right) < w else {
            throw fail("cropping must leave some of the \(h)x\(w) map")
        }
        if case .reflect = p.mode, max(p.top, p.bottom) >= h || max(p.left, p.right) >= w {
            throw fail("reflection padding must be smaller than the \(h)x\(w) map")
        }
        return [c, h + p.top + p.bottom, w + p.left + p.right]
    }

    /// NumPy's broadcast of two per-sample shapes, a vector beside a feature map taken as
    /// `[C, 1, 1]`.
    static func broadcast(_ a: [Int], _ b: [Int], fail: (String) -> GraphError) throws -> [Int] {
        func asMap(_ s: [Int], beside other: [Int]) -> [Int] { s.count == 1 && other.count == 3 ? [s[0], 1, 1] : s }
        let (x, y) = (asMap(a, beside: b), asMap(b, beside: a))
        guard x.count == y.count else { throw fail("shapes \(a) and \(b) do not broadcast") }
        return try zip(x, y).map { p, q in
            guard p == q || p == 1 || q == 1 else { throw fail("shapes \(a) and \(b) do not broadcast") }
            return max(p, q)
        }
    }

    /// Checks the whole graph: shapes, a last node giving one logit per class (`classes`,
    /// when given), and the parameter count.
    public func validate(classes: Int?) throws {
        guard !nodes.isEmpty else { throw GraphError("the network has no layers") }
        let shapes = try shapes()
        let logits = logitsNode
        guard let out = shapes[logits.name], out.count == 1 else {
            throw GraphError("the last layer '\(logits.name)' must give a vector of logits, not \(shapes[logits.name] ?? [])")
        }
        if let classes, out[0] != classes {
            throw GraphError("the last layer has \(out[0]) outputs but the data has \(classes) classes")
        }
        guard let count = try? parameterCount(), count <= Graph.maximumParameters else {
            throw GraphError("the network would have more than \(Graph.maximumParameters) parameters")
        }
    }

    /// The node giving the logits: the last one, or the one before a final softmax.
    public var logitsNode: Node {
        if nodes.last?.op == .softmax, let input = nodes.last?.inputs.first, let node = node(input) { return node }
        return nodes.last!
    }

    /// Weights, biases and statistics of every node, in node order.
    public func parameters() throws -> [ParameterSpec] {
        let shapes = try shapes()
        var specs: [ParameterSpec] = []
        for node in nodes {
            let x = shapes[node.inputs[0]]!
            switch node.op {
            case let .convolution(c):
                let (o, i, g) = (c.filters, x[0] / c.groups, c.groups)
                let dims = g == 1 ? [o, i, c.kernel[0], c.kernel[1]] : [g, o / g, i, c.kernel[0], c.kernel[1]]
                specs.append(ParameterSpec(name: node.name + ".weight", node: node.name, dims: dims, fileShape: [c.kernel[0], c.kernel[1], i, o],
                                           role: .weight(fanIn: i * c.kernel[0] * c.kernel[1], fanOut: o * c.kernel[0] * c.kernel[1] / g,
                                                         relu: c.activation == .relu)))
                if c.bias { specs.append(ParameterSpec(name: node.name + ".bias", node: node.name, dims: [o], fileShape: [o], role: .bias)) }
            case let .dense(d):
                let inputs = x.reduce(1, *)
                specs.append(ParameterSpec(name: node.name + ".weight", node: node.name, dims: [d.units, inputs], fileShape: [inputs, d.units],
                                           role: .weight(fanIn: inputs, fanOut: d.units, relu: d.activation == .relu)))
                if d.bias { specs.append(ParameterSpec(name: node.name + ".bias", node: node.name, dims: [d.units], fileShape: [d.units], role: .bias)) }
            case .layerNormalization:
                let c = x[0]
                for (suffix, role) in [("scale", ParameterSpec.Role.scale), ("shift", .shift)] {
                    specs.append(ParameterSpec(name: "\(node.name).\(suffix)", node: node.name, dims: [c], fileShape: [c], role: role))
                }
            case .batchNormalization:
                let c = x[0]
                for (suffix, role) in [("scale", ParameterSpec.Role.scale), ("shift", .shift), ("running_mean", .runningMean),
                                       ("running_var", .runningVariance)] {
                    specs.append(ParameterSpec(name: "\(node.name).\(suffix)", node: node.name, dims: [c], fileShape: [c], role: role))
                }
            default:
                break
            }
        }
        return specs
    }

    /// Trainable values (statistics aside), or nil when the count overflows.
    public func parameterCount() throws -> Int {
        var total = 0
        for spec in try parameters() where spec.trainable {
            var product = 1
            for d in spec.dims {
                let (p, overflow) = product.multipliedReportingOverflow(by: d)
                if overflow { throw GraphError("too many parameters") }
                product = p
            }
            let (sum, overflow) = total.addingReportingOverflow(product)
            if overflow { throw GraphError("too many parameters") }
            total = sum
        }
        return total
    }

    /// The output size of a window sliding over `input` (height, width), and the padding
    /// it needs. `ceil` rounds up (a last window may start in the input but end past it).
    static func window(input: [Int], extent: [Int], stride: [Int], padding: Padding, ceil: Bool,
                       fail: (String) -> GraphError) throws -> (size: [Int], padding: ResolvedPadding) {
        var size = [0, 0], begin = [0, 0], end = [0, 0]
        for axis in 0..<2 {
            let (n, k, s) = (input[axis], extent[axis], stride[axis])
            switch padding {
            case .same:
                size[axis] = (n + s - 1) / s
                let total = max((size[axis] - 1) * s + k - n, 0)
                begin[axis] = total / 2
                end[axis] = total - begin[axis]
            case .valid, .explicit:
                if case let .explicit(top, left, bottom, right) = padding {
                    guard [top, left, bottom, right].allSatisfy({ (0...1_024).contains($0) }) else { throw fail("padding must be 0-1024") }
                    (begin[axis], end[axis]) = axis == 0 ? (top, bottom) : (left, right)
                }
                let span = n + begin[axis] + end[axis] - k
                guard span >= 0 else { throw fail("its \(extent[0])x\(extent[1]) window does not fit \(input[0])x\(input[1])") }
                size[axis] = (ceil ? (span + s - 1) / s : span / s) + 1
                // ONNX's rule: with ceil, a last window must start inside the input or its begin padding.
                if ceil && (size[axis] - 1) * s >= n + begin[axis] { size[axis] -= 1 }
                // oneDNN wants the end padding that makes the sizes agree.
                end[axis] = (size[axis] - 1) * s + k - n - begin[axis]
            }
        }
        return (size, ResolvedPadding(begin: begin, end: end))
    }

    /// The padding of a convolution or pooling node, for its input shape.
    func resolvedPadding(_ node: Node, shapes: [String: [Int]]) throws -> ResolvedPadding {
        let x = shapes[node.inputs[0]]!
        let fail = { (p: String) in GraphError("node '\(node.name)': \(p)") }
        switch node.op {
        case let .convolution(c):
            let extent = zip(c.kernel, c.dilation).map { ($0 - 1) * $1 + 1 }
            return try Graph.window(input: [x[1], x[2]], extent: extent, stride: c.stride, padding: c.padding, ceil: false, fail: fail).padding
        case let .pooling(p):
            return try Graph.window(input: [x[1], x[2]], extent: p.window, stride: p.stride, padding: p.padding, ceil: p.ceil, fail: fail).padding
        default:
            return ResolvedPadding(begin: [0, 0], end: [0, 0])
        }
    }

    /// How many nodes take each node's output (the graph's input included).
    var consumers: [String: [String]] {
        var out: [String: [String]] = [:]
        for node in nodes { for input in node.inputs { out[input, default: []].append(node.name) } }
        return out
    }
}

/// A node's input shapes (per sample) and how to fail naming the node: the checks every
/// shape rule makes on them.
struct NodeInputs {
    let shapes: [[Int]]
    let fail: (String) -> GraphError

    /// Throws unless the node has exactly one input.
    func single() throws { if shapes.count != 1 { throw fail("takes one input, not \(shapes.count)") } }

    /// The first input as a feature map [channels, height, width].
    func spatial() throws -> (c: Int, h: Int, w: Int) {
        let x = shapes[0]
        guard x.count == 3 else { throw fail("needs a feature map [channels, height, width], not \(x)") }
        return (x[0], x[1], x[2])
    }
}
