import Foundation
import Network
import Numerics

/// Lowers an ONNX graph onto cnn-inte's engine (`Network.Graph`): one node per ONNX node
/// that computes something, named after the value it makes (so `--layer` takes ONNX value
/// names), weights copied from the initializers in oneDNN's logical layout, which is
/// ONNX's (`[O, I/groups, KH, KW]`, `[O, F]`). Feature maps flatten channels first, as in
/// ONNX.
///
/// The operators lowered are listed in `supported` (and the README); each is read in the
/// forms of opsets 9 to 21. Anything else is refused with one line naming the operator,
/// the node and the opset.
public enum ONNXImporter {
    public struct Lowered {
        public var graph: Graph
        /// Parameter name (`<node>.weight`, ...) -> values in the logical layout.
        public var weights: [String: [Float]]
        /// The ONNX value each graph node stands for, and the graph node of each ONNX value.
        public var nodeOfValue: [String: String]
        /// The model's own normalisation of its input (`a[c] * x + b[c]` on each channel of
        /// what it is given), when only that reads the input: for `InputTransform`.
        public var inputNormalisation: (a: [Float], b: [Float])?
    }

    /// The metadata key cnn-inte's export records the graph's flatten order under.
    public static let flattenOrderKey = "cnn-inte.flatten_order"

    public static let supported = ["Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean (spatial)", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh",
                                   "BatchNormalization", "Gemm", "MatMul", "Add", "Concat", "Flatten", "Transpose (to NHWC before a Flatten)",
                                   "Reshape (to [N, features])", "Squeeze/Unsqueeze (1x1 spatial axes)", "Add/Sub/Mul/Div by constants (per channel)", "Constant", "Pad (zeros, before a Conv or AveragePool)",
                                   "Softmax", "Dropout", "Identity", "Shape, Gather, Slice, Concat, Cast, Unsqueeze, Squeeze, Add, Sub, Mul, Div on shapes",
                                   "Reshape + Transpose + Reshape as a channel shuffle"]

    /// The model as a cnn-inte network with the file's weights.
    public static func model(_ onnx: ONNXModel) throws -> Model { try model(try lower(onnx), path: onnx.path) }

    /// The model of a lowered graph; its input is prepared by `preprocessing` (pixel bytes
    /// to what the file's input takes), then the file's own normalisation.
    static func model(_ lowered: Lowered, path: String, preprocessing: InputTransform? = nil) throws -> Model {
        let model: Model
        do { model = try Model(graph: lowered.graph, seed: 0) } catch {
            throw ONNXError(path: path, problem: "cannot run on cnn-inte's engine: \(error)")
        }
        let given = preprocessing ?? .standard(channels: lowered.graph.input.channels)
        model.inputTransform = lowered.inputNormalisation.map { given.followed(byScale: $0.a, shift: $0.b) } ?? given
        for parameter in model.parameters {
            guard let values = lowered.weights[parameter.name] else {
                throw ONNXError(path: path, problem: "no weights for \(parameter.name)")
            }
            do { try parameter.setLogicalValues(values) } catch { throw ONNXError(path: path, problem: "\(error)") }
        }
        return model
    }

    /// A node `name` computing `a[c] * x + b[c]` on each channel of `input`: an inference
    /// batch normalization with mean 0 and variance 1 - epsilon, so that it divides by
    /// exactly 1. (It keeps its input's layout, so the next primitive takes it as fast as
    /// it would the input.)
    static func channelAffine(_ name: String, a: [Float], b: [Float], input: String) -> (node: Node, weights: [String: [Float]]) {
        let epsilon: Float = 1e-5
        let node = Node(name, .batchNormalization(BatchNormalization(epsilon: epsilon)), inputs: [input])
        return (node, [name + ".scale": a, name + ".shift": b, name + ".running_mean": [Float](repeating: 0, count: b.count),
                       name + ".running_var": [Float](repeating: 1 - epsilon, count: b.count)])
    }

    public static func lower(_ onnx: ONNXModel) throws -> Lowered {
        var lowering = Lowering(onnx: onnx)
        try lowering.run()
        let normalisation = lowering.liftNormalisation()
        // Without a Flatten of a feature map, the order features are read in: as the file's
        // metadata says (cnn-inte's export), else ONNX's channels first.
        let recorded = onnx.proto.metadataProps.first { $0.key == flattenOrderKey }.flatMap { Graph.FlattenOrder(rawValue: $0.value) }
        return Lowered(graph: Graph(input: lowering.input, nodes: lowering.nodes,
                                    flattenOrder: lowering.flattenOrder ?? recorded ?? .channelsFirst),
                       weights: lowering.weights, nodeOfValue: lowering.nodeOf, inputNormalisation: normalisation)
    }
}

/// The state of one lowering.
private struct Lowering {
    let onnx: ONNXModel
    var input = Graph.InputShape(channels: 0, height: 0, width: 0)
    var nodes: [Node] = []
    var weights: [String: [Float]] = [:]
    /// ONNX value -> the graph node that gives it ("input" for the graph input).
    var nodeOf: [String: String] = [:]
    var current: Onnx_NodeProto = .init()
    /// How feature maps are flattened: channels first (ONNX's Flatten of NCHW) or channels
    /// last (a Transpose to NHWC just before the Flatten, as TensorFlow exports and
    /// cnn-inte's own export write). One graph has one order.
    var flattenOrder: Graph.FlattenOrder?
    /// Values that are a feature map transposed to NHWC, waiting for their Flatten.
    var channelsLastViews: [String: String] = [:]
    /// A channel shuffle in progress (ShuffleNet's Reshape to [N, g, C/g, H, W], Transpose
    /// of axes 1 and 2, Reshape back): the feature map it started from, its shape, the
    /// group count, and whether the transpose has come.
    var shuffles: [String: (from: String, shape: [Int], groups: Int, transposed: Bool)] = [:]
    /// Integer tensors known at load: initializers and the shape computations folded
    /// here (Shape, Gather, Slice, Concat, Cast, Unsqueeze, Squeeze). `batch` stands for
    /// the batch dimension, which is not known until images come.
    var integers: [String: [Int64]] = [:]
    static let batch = Int64.min
    /// The graph input's name, and whether it is NHWC (TensorFlow's, through tf2onnx).
    var inputName = ""
    var inputIsNHWC = false
    /// How many node inputs read each value.
    var consumers: [String: Int] = [:]
    /// Tensors made by Constant nodes.
    var constants: [String: ONNXTensor] = [:]
    /// Zero padding of a Pad node, [top, left, bottom, right], waiting for the convolution
    /// or pooling reading its output to take it as its own.
    var pendingPads: [String: [Int]] = [:]
    /// Element-wise arithmetic with constants on the graph input (a model normalising its
    /// own input, as many PyTorch exports do): per channel `a * x + b`, made a node
    /// `normalize` when something first reads it. If nothing else reads the raw input,
    /// `run` takes that node out again and the model applies it while it copies the
    /// pixels in (`Lowered.inputNormalisation`, `InputTransform`), where it costs nothing.
    var inputAffine: (a: [Float], b: [Float])?
    var affineValue: String?
    /// The normalisation made a node, and whether anything reads the raw input besides.
    var normalisation: (a: [Float], b: [Float])?
    var rawInputRead = false
    static let normalizeNode = "normalize"

    init(onnx: ONNXModel) { self.onnx = onnx }

    func fail(_ problem: String) -> ONNXError { ONNXError(path: onnx.path, problem: problem) }
    func nodeFail(_ problem: String) -> ONNXError {
        fail("node '\(current.name)' (\(current.opType), opset \(onnx.opset)): \(problem)")
    }

    mutating func run() throws {
        let initialized = Set(onnx.initializerNames)
        let inputs = onnx.graph.input.filter { !initialized.contains($0.name) }
        guard inputs.count == 1, let image = inputs.first else {
            throw fail("has \(inputs.count) inputs; cnn-inte explains models of one image input")
        }
        input = try imageShape(image)
        inputName = image.name
        nodeOf[image.name] = Graph.inputName
        for (name, tensor) in onnx.initializers { if let values = tensor.integers { integers[name] = values } }
        for node in onnx.graph.node { for value in node.input where !value.isEmpty { consumers[value, default: 0] += 1 } }
        for node in onnx.graph.node {
            current = node
            try lower(node)
        }
        guard let output = onnx.graph.output.first, onnx.graph.output.count == 1 else {
            throw fail("has \(onnx.graph.output.count) outputs; cnn-inte explains models of one output (logits or probabilities)")
        }
        guard let last = nodeOf[output.name], last == nodes.last?.name else {
            throw fail("output '\(output.name)' is not made by the graph's last node")
        }
    }

    /// `[N, C, H, W]` with C, H, W fixed numbers.
    mutating func imageShape(_ value: Onnx_ValueInfoProto) throws -> Graph.InputShape {
        guard case let .tensorType(tensor)? = value.type.value, tensor.elemType == 1 else {
            throw fail("input '\(value.name)' is not a float tensor")
        }
        let dims = tensor.shape.dim.map { dim -> Int? in
            if case let .dimValue(v)? = dim.value, v > 0, v <= 1 << 16 { return Int(v) }
            return nil
        }
        guard dims.count == 4, let d1 = dims[1], let d2 = dims[2], let d3 = dims[3] else {
            let text = ONNXSummary.value(value).shape?.joined(separator: ", ") ?? "undeclared"
            throw fail("input '\(value.name)' has shape [\(text)]; cnn-inte needs [N, C, H, W] (or [N, H, W, C] before a Transpose) with each fixed (1-65536)")
        }
        // NHWC when what first reads the input makes NCHW of it: a Transpose [0, 3, 1, 2],
        // or, for one channel, a Reshape to [N, 1, H, W] (tf2onnx writes either).
        let readers = onnx.graph.node.filter { $0.input.contains(value.name) }
        let nhwc = !readers.isEmpty && readers.allSatisfy { node in
            if node.opType == "Transpose" { return node.attribute.first { $0.name == "perm" }?.ints == [0, 3, 1, 2] }
            if node.opType == "Reshape", node.input.count == 2, d3 == 1, let shape = onnx.initializers[node.input[1]]?.integers {
                return shape.count == 4 && shape[1] == 1 && shape[2] == Int64(d1) && shape[3] == Int64(d2)
            }
            return false
        }
        inputIsNHWC = nhwc
        return nhwc ? Graph.InputShape(channels: d3, height: d1, width: d2) : Graph.InputShape(channels: d1, height: d2, width: d3)
    }

    // MARK: - Attributes and operands

    func attribute(_ name: String) -> Onnx_AttributeProto? { current.attribute.first { $0.name == name } }
    func ints(_ name: String, default value: [Int]) -> [Int] { attribute(name).map { $0.ints.map(Int.init) } ?? value }
    func int(_ name: String, default value: Int) -> Int { attribute(name).map { Int($0.i) } ?? value }
    func float(_ name: String, default value: Float) -> Float { attribute(name).map(\.f) ?? value }
    func string(_ name: String, default value: String) -> String {
        attribute(name).map { String(decoding: $0.s, as: UTF8.self) } ?? value
    }

    /// The graph node that gives ONNX value `name`; the input's pending normalisation is
    /// made a node when something first reads it.
    mutating func source(_ name: String) throws -> String {
        if name == affineValue, let (a, b) = inputAffine {
            guard nodeOf.values.allSatisfy({ $0 != Self.normalizeNode }) else { throw nodeFail("a value is named '\(Self.normalizeNode)'") }
            let (node, values) = ONNXImporter.channelAffine(Self.normalizeNode, a: a, b: b, input: Graph.inputName)
            nodes.append(node)
            weights.merge(values) { _, new in new }
            nodeOf[name] = node.name
            (affineValue, inputAffine, normalisation) = (nil, nil, (a, b))
        }
        if pendingPads[name] != nil && !["Conv", "AveragePool"].contains(current.opType) {
            throw nodeFail("reads '\(name)', made by a Pad; a Pad is supported only just before a Conv or an AveragePool (which take it as their padding)")
        }
        let node = try lookup(name)
        if node == Graph.inputName { rawInputRead = true }
        return node
    }

    /// The `normalize` node taken out when only it reads the raw input: its readers read
    /// the input, and its affine map is returned for the model to apply as it fills the input.
    mutating func liftNormalisation() -> (a: [Float], b: [Float])? {
        guard let normalisation, !rawInputRead, let index = nodes.firstIndex(where: { $0.name == Self.normalizeNode }) else { return nil }
        nodes.remove(at: index)
        for i in nodes.indices { nodes[i].inputs = nodes[i].inputs.map { $0 == Self.normalizeNode ? Graph.inputName : $0 } }
        for suffix in ["scale", "shift", "running_mean", "running_var"] { weights[Self.normalizeNode + "." + suffix] = nil }
        for (value, node) in nodeOf where node == Self.normalizeNode { nodeOf[value] = Graph.inputName }
        return normalisation
    }

    func lookup(_ name: String) throws -> String {
        guard let node = nodeOf[name] else {
            throw nodeFail(onnx.initializers[name] != nil ? "input '\(name)' is a constant where a computed value is expected"
                                                          : "input '\(name)' is made by no earlier node")
        }
        return node
    }

    /// A constant operand, as floats.
    func constant(_ name: String, what: String) throws -> ONNXTensor {
        guard let tensor = onnx.initializers[name] ?? constants[name], tensor.floats != nil else {
            throw nodeFail("\(what) '\(name)' must be a float initializer")
        }
        return tensor
    }

    mutating func add(_ op: Network.Operation, inputs: [String]) throws {
        guard let output = current.output.first, !output.isEmpty else { throw nodeFail("has no output") }
        guard nodeOf[output] == nil else { throw nodeFail("value '\(output)' is made twice") }
        let name = output == Graph.inputName ? "input_" : output
        nodes.append(Node(name, op, inputs: inputs))
        nodeOf[output] = name
    }

    mutating func alias() throws {
        guard let output = current.output.first, let from = current.input.first else { throw nodeFail("has no input or output") }
        nodeOf[output] = try source(from)
    }

    /// The node's padding. SAME_LOWER (the odd extra zero before, not after) is made
    /// explicit from the input's size; a Pad node just before (`pendingPads`) adds to it.
    mutating func padding(kernel: [Int]) throws -> Padding {
        var base: [Int]
        switch string("auto_pad", default: "NOTSET") {
        case "NOTSET":
            base = ints("pads", default: [0, 0, 0, 0])
            guard base.count == 4, base.allSatisfy({ $0 >= 0 }) else { throw nodeFail("pads \(base) are not 4 non-negative numbers") }
        case "VALID": base = [0, 0, 0, 0]
        case let mode where mode == "SAME_UPPER" || mode == "SAME_LOWER":
            let padded = pendingPads[try operand(0)] != nil
            if mode == "SAME_UPPER" && !padded { return .same }
            let shape = try perImageShape(try operand(0))
            guard shape.count == 3 else { throw nodeFail("needs a feature map") }
            let stride = ints("strides", default: [1, 1]), dilation = ints("dilations", default: [1, 1])
            var before = [0, 0], after = [0, 0]
            let extra = pendingPads[try operand(0)] ?? [0, 0, 0, 0]
            for axis in 0..<2 {
                // The size after a Pad before it: auto_pad works on that.
                let size = shape[axis + 1] + extra[axis] + extra[axis + 2], out = (size + stride[axis] - 1) / stride[axis]
                let total = max((out - 1) * stride[axis] + (kernel[axis] - 1) * dilation[axis] + 1 - size, 0)
                (before[axis], after[axis]) = mode == "SAME_LOWER" ? ((total + 1) / 2, total / 2) : (total / 2, (total + 1) / 2)
            }
            base = [before[0], before[1], after[0], after[1]]
        case let other: throw nodeFail("auto_pad \(other) is not supported (NOTSET, VALID, SAME_UPPER and SAME_LOWER are)")
        }
        if let extra = pendingPads[try operand(0)] { base = zip(base, extra).map { $0 + $1 } }
        return base.allSatisfy { $0 == 0 } ? .valid : .explicit(top: base[0], left: base[1], bottom: base[2], right: base[3])
    }

    // MARK: - Operators

    /// Input `index` of the current node, which must be there (the fuzzer found nodes
    /// with fewer inputs than their operator takes).
    func operand(_ index: Int) throws -> String {
        guard index < current.input.count, !current.input[index].isEmpty else {
            throw nodeFail("needs at least \(index + 1) input\(index == 0 ? "" : "s")")
        }
        return current.input[index]
    }

    func result() throws -> String {
        guard let output = current.output.first, !output.isEmpty else { throw nodeFail("has no output") }
        return output
    }

    mutating func lower(_ node: Onnx_NodeProto) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { throw nodeFail("domain '\(node.domain)' is not ONNX's") }
        switch node.opType {
        case "Transpose" where try operand(0) == inputName && inputIsNHWC:
            // The NHWC input made NCHW: what the engine takes anyway.
            try alias()
        case "Reshape" where try operand(0) == inputName && inputIsNHWC:
            try alias()  // one channel: NHWC and NCHW are the same bytes (checked in imageShape)
        case "Shape":
            integers[try result()] = [Self.batch] + (try perImageShape(try operand(0))).map(Int64.init)
        // (A `where` would bind to the last name only: one condition for them all.)
        case let op where ["Gather", "Cast", "Slice", "Concat", "Unsqueeze", "Squeeze", "Add", "Sub", "Mul", "Div"].contains(op)
            && current.input.filter({ !$0.isEmpty }).allSatisfy({ integers[$0] != nil }):
            integers[try result()] = try foldInteger(node)
        case "Reshape" where current.input.count > 1 && integers[current.input[1]]?.count == 5 && shuffles[current.input[0]] == nil:
            // The first step of a channel shuffle: [N, C, H, W] seen as [N, g, C/g, H, W].
            let x = try operand(0), shape = integers[try operand(1)]!
            let map = try perImageShape(x)
            guard map.count == 3, [Self.batch, -1, 0].contains(shape[0]), shape[1] > 0, map[0] % Int(shape[1]) == 0,
                  [Int64(map[0]) / shape[1], -1].contains(shape[2]), shape[3] == Int64(map[1]) || shape[3] == 0,
                  shape[4] == Int64(map[2]) || shape[4] == 0 else {
                throw nodeFail("a reshape to 5 axes is supported only as the first step of a channel shuffle, [N, groups, C/groups, H, W]")
            }
            shuffles[try result()] = (try source(x), map, Int(shape[1]), false)
        case "Transpose" where current.input.first.map { shuffles[$0] != nil && !shuffles[$0]!.transposed } == true:
            guard ints("perm", default: []) == [0, 2, 1, 3, 4] else {
                throw nodeFail("perm \(ints("perm", default: [])) of a [N, groups, C/groups, H, W] view: only a channel shuffle's [0, 2, 1, 3, 4] is supported")
            }
            var shuffle = shuffles[try operand(0)]!
            shuffle.transposed = true
            shuffles[try result()] = shuffle
        case "Reshape" where current.input.first.map { shuffles[$0]?.transposed == true } == true:
            // The channel shuffle made whole: output channel j * g + i is input channel
            // i * (C / g) + j, a 1x1 convolution by a permutation matrix.
            let shuffle = shuffles[try operand(0)]!, shape = integers[try operand(1)] ?? []
            let (c, h, w) = (shuffle.shape[0], shuffle.shape[1], shuffle.shape[2])
            guard shape.count == 4, [Self.batch, -1, 0].contains(shape[0]), [Int64(c), -1].contains(shape[1]),
                  shape[2] == Int64(h), shape[3] == Int64(w) else {
                throw nodeFail("a channel shuffle must end in a reshape back to [N, \(c), \(h), \(w)]")
            }
            let groups = shuffle.groups, perGroup = c / groups
            var weight = [Float](repeating: 0, count: c * c)
            for i in 0..<groups { for j in 0..<perGroup { weight[(j * groups + i) * c + i * perGroup + j] = 1 } }
            let name = try result()
            try add(.convolution(Convolution(filters: c, kernel: [1, 1], padding: .valid, bias: false)), inputs: [shuffle.from])
            weights[name + ".weight"] = weight
        case "Reshape":
            guard let shape = integers[try operand(1)] else { throw nodeFail("its shape is computed from images; only shapes known at load are supported") }
            let x = try operand(0)
            let view = channelsLastViews[x]
            let from = try view ?? source(x)
            let perImage = try perImageShape(x)
            let width = Int64(perImage.reduce(1, *))
            guard shape.count == 2, [Self.batch, -1, 0].contains(shape[0]) || perImage.count == 1, [width, -1].contains(shape[1]) else {
                throw nodeFail("a reshape to \(shape.map { $0 == Self.batch ? "N" : String($0) }) is supported only as a flatten to [N, \(width)]")
            }
            if perImage.count == 1 { nodeOf[try result()] = from; break }
            let order: Graph.FlattenOrder = view != nil ? .channelsLast : .channelsFirst
            if let flattenOrder, flattenOrder != order {
                throw nodeFail("feature maps are flattened both channels first and channels last in one graph")
            }
            flattenOrder = order
            try add(.flatten, inputs: [from])
        case "Conv":
            let w = try constant(try operand(1), what: "weights")
            guard w.dims.count == 4 else { throw nodeFail("weights of shape \(w.dims): only 2-D convolutions are supported") }
            let kernel = ints("kernel_shape", default: Array(w.dims[2...]))
            _ = try lookup(try operand(0))
            if try perImageShape(try operand(0)).count == 1 {
                // A 1x1 convolution of pooled features (a classifier head written as a
                // convolution, as Keras MobileNet and SqueezeNet-like models do): a dense layer.
                guard kernel == [1, 1], int("group", default: 1) == 1, try padding(kernel: kernel) == .valid else {
                    throw nodeFail("on pooled features (1x1 maps) only a 1x1 convolution without padding or groups is supported")
                }
                let hasBias = node.input.count > 2 && !node.input[2].isEmpty
                let name = try result()
                try add(.dense(Dense(units: w.dims[0], bias: hasBias)), inputs: [try source(try operand(0))])
                weights[name + ".weight"] = w.floats
                if hasBias { weights[name + ".bias"] = try constant(try operand(2), what: "bias").floats }
                break
            }
            let conv = Convolution(filters: w.dims[0], kernel: kernel, stride: ints("strides", default: [1, 1]),
                                   padding: try padding(kernel: kernel), dilation: ints("dilations", default: [1, 1]),
                                   groups: int("group", default: 1), bias: node.input.count > 2 && !node.input[2].isEmpty)
            let name = try result()
            try add(.convolution(conv), inputs: [try source(try operand(0))])
            weights[name + ".weight"] = w.floats
            if conv.bias { weights[name + ".bias"] = try constant(try operand(2), what: "bias").floats }
        case "MaxPool", "AveragePool":
            let kernel = ints("kernel_shape", default: [])
            guard kernel.count == 2 else { throw nodeFail("kernel_shape \(kernel): only 2-D pooling is supported") }
            guard ints("dilations", default: [1, 1]) == [1, 1] else { throw nodeFail("dilated pooling is not supported") }
            // A Pad just before an AveragePool adds zeros that count: count_include_pad.
            let padded = pendingPads[try operand(0)] != nil
            var countPadding = int("count_include_pad", default: 0) != 0
            if padded {
                guard countPadding || string("auto_pad", default: "NOTSET") == "NOTSET" && ints("pads", default: [0, 0, 0, 0]).allSatisfy({ $0 == 0 }) else {
                    throw nodeFail("a Pad before an AveragePool with pads of its own and count_include_pad 0 is not supported")
                }
                countPadding = true
            }
            let pooling = Pooling(kind: node.opType == "MaxPool" ? .max : .average, window: kernel, stride: ints("strides", default: [1, 1]),
                                  padding: try padding(kernel: kernel), ceil: int("ceil_mode", default: 0) != 0,
                                  countPadding: countPadding)
            try add(.pooling(pooling), inputs: [try source(try operand(0))])
        case "Pad":
            // Zeros around the height and width only, taken by the Conv reading it.
            guard string("mode", default: "constant") == "constant" else { throw nodeFail("only mode 'constant' (zeros) is supported") }
            let pads: [Int]
            if let attribute = attribute("pads") { pads = attribute.ints.map(Int.init) }
            else if let values = integers[try operand(1)] { pads = values.map(Int.init) }
            else { throw nodeFail("its pads must be known at load") }
            if current.input.count > 2, !current.input[2].isEmpty {
                guard let value = try constant(current.input[2], what: "value").floats?.first, value == 0 else {
                    throw nodeFail("only padding with zeros is supported")
                }
            }
            guard pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0, pads.allSatisfy({ $0 >= 0 }) else {
                throw nodeFail("pads \(pads): only non-negative padding of height and width is supported")
            }
            let x = try operand(0)
            guard pendingPads[x] == nil else { throw nodeFail("two Pads in a row are not supported") }
            nodeOf[try result()] = try source(x)
            pendingPads[try result()] = [pads[2], pads[3], pads[6], pads[7]]
        case "GlobalAveragePool":
            try add(.globalAveragePooling, inputs: [try source(try operand(0))])
        case "ReduceMean":
            // Over the spatial axes only (PyTorch's x.mean((2, 3))): global average pooling.
            let axes = try reduceAxes()
            guard Set(axes) == [2, 3] || Set(axes) == [-2, -1] else { throw nodeFail("axes \(axes): only the spatial axes (2, 3) are supported") }
            try add(.globalAveragePooling, inputs: [try source(try operand(0))])
        case "GlobalMaxPool":
            let shape = try perImageShape(try operand(0))
            guard shape.count == 3 else { throw nodeFail("needs a feature map") }
            // A max pooling over the whole map, then made a vector like global average
            // pooling's ([C, 1, 1] flattens the same in either order).
            let out = try result()
            nodes.append(Node(out + ".map", .pooling(Pooling(kind: .max, window: [shape[1], shape[2]], stride: [shape[1], shape[2]])),
                              inputs: [try source(try operand(0))]))
            try add(.flatten, inputs: [out + ".map"])
        case "Constant":
            guard let value = attribute("value"), value.type == .tensor else { throw nodeFail("only a tensor 'value' is supported") }
            var tensor = value.t
            tensor.name = try result()
            let folder = (onnx.path as NSString).deletingLastPathComponent
            let decoded = try ONNXTensor(tensor, modelPath: onnx.path, folder: folder.isEmpty ? "." : folder)
            if let values = decoded.integers { integers[tensor.name] = values } else { constants[tensor.name] = decoded }
        case "Squeeze", "Unsqueeze":
            // Around a vector (after global pooling: [N, C, 1, 1] <-> [N, C]), nothing moves.
            let x = try operand(0)
            guard (try? perImageShape(x)).map({ $0.count == 1 || ($0.count == 3 && $0[1] == 1 && $0[2] == 1) }) == true else {
                throw nodeFail("only squeezing or unsqueezing the 1x1 spatial axes of pooled features is supported")
            }
            try alias()
        case let op where ["Sub", "Mul", "Div"].contains(op) && current.input.first == (affineValue ?? inputName)
            && nodeOf[current.input.first ?? ""] == Graph.inputName:
            // Normalisation of the input inside the graph: folded into one 1x1 convolution.
            let c = try constant(try operand(1), what: "operand")
            let channels = input.channels
            guard c.count == 1 || c.count == channels else { throw nodeFail("a constant of \(c.count) values for \(channels) channels") }
            let values = c.count == 1 ? [Float](repeating: c.floats![0], count: channels) : c.floats!
            var (a, b) = inputAffine ?? ([Float](repeating: 1, count: channels), [Float](repeating: 0, count: channels))
            for k in 0..<channels {
                switch node.opType {
                case "Sub": b[k] -= values[k]
                case "Mul": a[k] *= values[k]; b[k] *= values[k]
                default:
                    guard values[k] != 0 else { throw nodeFail("division by 0") }
                    a[k] /= values[k]; b[k] /= values[k]
                }
            }
            inputAffine = (a, b)
            let out = try result()
            affineValue = out
            nodeOf[out] = Graph.inputName
        case let op where ["Sub", "Mul", "Div"].contains(op):
            // By a constant (one value, or one per channel) inside the network: a per-channel
            // affine node; x - c, c - x, x * c, c * x and x / c.
            let (first, second) = (try operand(0), try operand(1))
            let xFirst = onnx.initializers[second] != nil || constants[second] != nil
            let x = xFirst ? first : second
            let c = try perChannel(try constant(xFirst ? second : first, what: "operand"), of: x)
            switch (op, xFirst) {
            case ("Sub", true): try affine(x, a: { _ in 1 }, b: c.map { -$0 })
            case ("Sub", false): try affine(x, a: { _ in -1 }, b: c)
            case ("Mul", _): try affine(x, a: { c[$0] }, b: [Float](repeating: 0, count: c.count))
            case ("Div", true):
                guard !c.contains(0) else { throw nodeFail("division by 0") }
                try affine(x, a: { 1 / c[$0] }, b: [Float](repeating: 0, count: c.count))
            default: throw nodeFail("dividing a constant by a computed value is not supported")
            }
        case "Relu": try activation(.relu)
        case "LeakyRelu": try activation(.leakyRelu(slope: float("alpha", default: 0.01)))
        case "Sigmoid": try activation(.sigmoid)
        case "Tanh": try activation(.tanh)
        case "Clip":
            // Opset 11 on: bounds as optional inputs; before: attributes.
            func bound(_ index: Int, _ attribute: String, _ fallback: Float) throws -> Float {
                if node.input.count > index, !node.input[index].isEmpty {
                    guard let value = try constant(node.input[index], what: "bound").floats?.first else { throw nodeFail("empty bound") }
                    return value
                }
                return float(attribute, default: fallback)
            }
            try activation(.clip(lower: try bound(1, "min", -.greatestFiniteMagnitude), upper: try bound(2, "max", .greatestFiniteMagnitude)))
        case "BatchNormalization":
            guard node.input.count == 5 else { throw nodeFail("needs scale, bias, mean and variance") }
            guard int("training_mode", default: 0) == 0 else { throw nodeFail("training_mode 1 is not supported (export the model in eval mode)") }
            let name = try result()
            if try foldIntoConvolution(epsilon: float("epsilon", default: 1e-5)) { break }
            try add(.batchNormalization(BatchNormalization(epsilon: float("epsilon", default: 1e-5))), inputs: [try source(try operand(0))])
            for (index, suffix) in [(1, "scale"), (2, "shift"), (3, "running_mean"), (4, "running_var")] {
                weights[name + "." + suffix] = try constant(node.input[index], what: suffix).floats
            }
        case "Gemm":
            guard int("transA", default: 0) == 0 else { throw nodeFail("transA = 1 is not supported") }
            let b = try constant(try operand(1), what: "weights")
            guard b.dims.count == 2, var values = b.floats else { throw nodeFail("weights of shape \(b.dims) are not a matrix") }
            let transposed = int("transB", default: 0) != 0
            let (units, width) = transposed ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
            if !transposed { values = Self.transpose(values, rows: width, columns: units) }
            let alpha = float("alpha", default: 1), beta = float("beta", default: 1)
            if alpha != 1 { values = values.map { $0 * alpha } }
            let hasBias = node.input.count > 2 && !node.input[2].isEmpty
            let name = try result()
            try add(.dense(Dense(units: units, bias: hasBias)), inputs: [try source(try operand(0))])
            weights[name + ".weight"] = values
            if hasBias {
                let c = try constant(try operand(2), what: "bias")
                guard c.count == units || c.count == 1 else { throw nodeFail("bias of shape \(c.dims) for \(units) outputs") }
                weights[name + ".bias"] = (c.count == 1 ? [Float](repeating: c.floats![0], count: units) : c.floats!).map { $0 * beta }
            }
        case "MatMul":
            let b = try constant(try operand(1), what: "weights")
            guard b.dims.count == 2 else { throw nodeFail("weights of shape \(b.dims) are not a matrix") }
            let name = try result()
            try add(.dense(Dense(units: b.dims[1], bias: false)), inputs: [try source(try operand(0))])
            weights[name + ".weight"] = Self.transpose(b.floats!, rows: b.dims[0], columns: b.dims[1])
        case "Add":
            guard node.input.count == 2 else { throw nodeFail("needs two inputs") }
            if let (value, constantName) = [(try operand(0), try operand(1)), (try operand(1), try operand(0))]
                .first(where: { (onnx.initializers[$0.1] != nil || constants[$0.1] != nil) && nodeOf[$0.0] != nil }) {
                // A bias after a MatMul: folded into the dense layer.
                let target = try source(value)
                guard let index = nodes.lastIndex(where: { $0.name == target }), case var .dense(dense) = nodes[index].op, !dense.bias,
                      index == nodes.count - 1, fusable(value) else {
                    // Anywhere else: a per-channel affine node.
                    let c = try constant(constantName, what: "operand")
                    try affine(value, a: { _ in 1 }, b: try perChannel(c, of: value))
                    break
                }
                let c = try constant(constantName, what: "bias")
                guard c.count == dense.units else { throw nodeFail("bias of \(c.count) values for \(dense.units) outputs") }
                dense.bias = true
                nodes[index].op = .dense(dense)
                weights[target + ".bias"] = c.floats
                nodeOf[try result()] = target
            } else {
                var inputs: [String] = []
                for value in node.input { inputs.append(try source(value)) }
                try add(.add, inputs: inputs)
            }
        case "Concat":
            guard int("axis", default: 1) == 1 else { throw nodeFail("only concatenation along the channels (axis 1) is supported") }
            var inputs: [String] = []
            for value in node.input { inputs.append(try source(value)) }
            try add(.concat, inputs: inputs)
        case "Transpose":
            // Only NCHW -> NHWC before a Flatten: the flatten order of the whole graph.
            guard ints("perm", default: []) == [0, 2, 3, 1] else {
                throw nodeFail("perm \(ints("perm", default: [])) is supported only as [0, 2, 3, 1] just before a Flatten")
            }
            channelsLastViews[try result()] = try source(try operand(0))
        case "Flatten":
            guard int("axis", default: 1) == 1 else { throw nodeFail("only axis 1 (one row per image) is supported") }
            let order: Graph.FlattenOrder = channelsLastViews[try operand(0)] != nil ? .channelsLast : .channelsFirst
            let from = try channelsLastViews[try operand(0)] ?? source(try operand(0))
            // A vector (after global pooling) is flat already, in any order.
            if let shape = try? Graph(input: input, nodes: nodes, flattenOrder: .channelsFirst).shapes()[from], shape.count == 1 {
                try alias()
            } else {
                if let flattenOrder, flattenOrder != order {
                    throw nodeFail("feature maps are flattened both channels first and channels last in one graph")
                }
                flattenOrder = order
                try add(.flatten, inputs: [from])
            }
        case "Softmax":
            // Over the classes of [N, classes]: axis 1 or -1 (opsets before 13 default to 1,
            // later ones to -1; on two axes they are the same).
            guard [1, -1].contains(int("axis", default: onnx.opset < 13 ? 1 : -1)), try perImageShape(try operand(0)).count == 1 else {
                throw nodeFail("only a softmax over the classes of [N, classes] is supported")
            }
            try add(.softmax, inputs: [try source(try operand(0))])
        case "Dropout", "Identity":
            try alias()
        default:
            throw nodeFail("operator \(node.opType) is not supported yet (supported: \(ONNXImporter.supported.joined(separator: ", ")))")
        }
    }

    /// A constant operand as one value per channel of `x` (a scalar repeated; shapes
    /// [C], [1, C, 1, 1] and [C, 1, 1] as they are).
    func perChannel(_ c: ONNXTensor, of x: String) throws -> [Float] {
        let channels = try perImageShape(x).first ?? 1
        if c.count == 1 { return [Float](repeating: c.floats![0], count: channels) }
        guard c.count == channels, c.dims.filter({ $0 != 1 }).count <= 1 else {
            throw nodeFail("a constant of shape \(c.dims) does not broadcast over the \(channels) channels of '\(x)'")
        }
        return c.floats!
    }

    /// `a(c) * x + b[c]` per channel (`ONNXImporter.channelAffine`).
    mutating func affine(_ x: String, a: (Int) -> Float, b: [Float]) throws {
        let (node, values) = ONNXImporter.channelAffine(try result(), a: (0..<b.count).map(a), b: b, input: try source(x))
        try add(node.op, inputs: node.inputs)
        weights.merge(values) { _, new in new }
    }

    /// ReduceMean's axes: an attribute before opset 18, an input from 18 on.
    func reduceAxes() throws -> [Int] {
        if let axes = attribute("axes") { return axes.ints.map(Int.init) }
        if current.input.count > 1, let axes = integers[current.input[1]] { return axes.map(Int.init) }
        throw nodeFail("needs its axes")
    }

    /// Whether value `name` feeds exactly one node and is not a graph output: then the
    /// node making it may absorb the one reading it (a batch norm or an activation), as
    /// onnxruntime does. The value itself is then not kept (not a layer to interpret).
    func fusable(_ name: String) -> Bool {
        consumers[name] == 1 && !onnx.graph.output.contains { $0.name == name }
    }

    /// The last node, when it makes the current node's input and may absorb it.
    func absorbingNode() throws -> Int? {
        let x = try operand(0)
        guard fusable(x), let node = nodeOf[x], node != Graph.inputName, let index = nodes.indices.last, nodes[index].name == node,
              nodes.filter({ $0.inputs.contains(node) }).isEmpty else { return nil }
        return index
    }

    /// Renames node `index` after the current node's output (its weights follow), so the
    /// fused layer carries the name of the value it now makes.
    mutating func renameAbsorbing(_ index: Int) throws {
        let old = nodes[index].name, new = try result()
        guard nodeOf[new] == nil else { throw nodeFail("value '\(new)' is made twice") }
        nodes[index].name = new
        for suffix in ["weight", "bias"] where weights[old + "." + suffix] != nil {
            weights[new + "." + suffix] = weights.removeValue(forKey: old + "." + suffix)
        }
        for (value, node) in nodeOf where node == old { nodeOf[value] = nil }
        nodeOf[new] = new
    }

    /// An activation: fused into the convolution or dense layer just before when it has
    /// none and nothing else reads its output; else a node of its own.
    mutating func activation(_ function: Activation) throws {
        if let index = try absorbingNode() {
            switch nodes[index].op {
            case var .convolution(c) where c.activation == .none:
                c.activation = function
                nodes[index].op = .convolution(c)
                return try renameAbsorbing(index)
            case var .dense(d) where d.activation == .none:
                d.activation = function
                nodes[index].op = .dense(d)
                return try renameAbsorbing(index)
            default: break
            }
        }
        try add(.activation(function), inputs: [try source(try operand(0))])
    }

    /// Folds an inference batch normalization into the convolution just before (with no
    /// activation yet): w' = w * s, b' = (b - mean) * s + shift, s = scale / sqrt(var + eps).
    mutating func foldIntoConvolution(epsilon: Float) throws -> Bool {
        guard let index = try absorbingNode(), case var .convolution(c) = nodes[index].op, c.activation == .none else { return false }
        let name = nodes[index].name
        let scale = try constant(try operand(1), what: "scale").floats!, shift = try constant(try operand(2), what: "bias").floats!
        let mean = try constant(try operand(3), what: "mean").floats!, variance = try constant(try operand(4), what: "variance").floats!
        guard [scale, shift, mean, variance].allSatisfy({ $0.count == c.filters }), var w = weights[name + ".weight"] else {
            throw nodeFail("scale, bias, mean and variance must have one value per channel (\(c.filters))")
        }
        var b = weights[name + ".bias"] ?? [Float](repeating: 0, count: c.filters)
        let per = w.count / c.filters
        for o in 0..<c.filters {
            let s = scale[o] / (variance[o] + epsilon).squareRoot()
            for k in 0..<per { w[o * per + k] *= s }
            b[o] = (b[o] - mean[o]) * s + shift[o]
        }
        c.bias = true
        nodes[index].op = .convolution(c)
        weights[name + ".weight"] = w
        weights[name + ".bias"] = b
        try renameAbsorbing(index)
        return true
    }

    /// The shape of value `name` per image, as ONNX sees it (an NHWC view as NHWC).
    func perImageShape(_ name: String) throws -> [Int] {
        if name == inputName {
            return inputIsNHWC ? [input.height, input.width, input.channels] : input.shape
        }
        let graph = Graph(input: input, nodes: nodes, flattenOrder: .channelsFirst)
        let shapes = (try? graph.shapes()) ?? [:]
        if let base = channelsLastViews[name], let s = shapes[base], s.count == 3 { return [s[1], s[2], s[0]] }
        guard let node = nodeOf[name], let shape = node == Graph.inputName ? input.shape : shapes[node] else {
            throw nodeFail("the shape of '\(name)' is not known")
        }
        return shape
    }

    /// Shape arithmetic on integer tensors known at load.
    func foldInteger(_ node: Onnx_NodeProto) throws -> [Int64] {
        let data = integers[try operand(0)]!
        func at(_ i: Int64, _ count: Int) throws -> Int {
            let index = i < 0 ? Int(i) + count : Int(i)
            guard index >= 0, index < count else { throw nodeFail("index \(i) outside \(count) values") }
            return index
        }
        switch node.opType {
        case "Cast", "Unsqueeze", "Squeeze": return data
        case "Add", "Sub", "Mul", "Div":
            // Arithmetic on sizes (num_channels // groups), a scalar broadcast; a result that
            // involves the batch size is the batch size's unknown too.
            let other = integers[try operand(1)]!
            guard data.count == other.count || data.count == 1 || other.count == 1 else { throw nodeFail("sizes of \(data.count) and \(other.count) values do not broadcast") }
            return try (0..<max(data.count, other.count)).map { i in
                let (a, b) = (data[data.count == 1 ? 0 : i], other[other.count == 1 ? 0 : i])
                if a == Self.batch || b == Self.batch { return Self.batch }
                switch node.opType {
                case "Add": return a &+ b
                case "Sub": return a &- b
                case "Mul": return a &* b
                default:
                    guard b != 0 else { throw nodeFail("division by 0") }
                    return a / b
                }
            }
        case "Gather":
            guard int("axis", default: 0) == 0 else { throw nodeFail("only axis 0 is supported on shapes") }
            return try integers[try operand(1)]!.map { data[try at($0, data.count)] }
        case "Concat":
            return node.input.filter { !$0.isEmpty }.flatMap { integers[$0]! }
        case "Slice":
            // Opset 10 on: starts, ends, axes and steps as inputs; before: attributes.
            let before10 = node.input.count == 1
            let starts = before10 ? ints("starts", default: []).map(Int64.init) : integers[try operand(1)]!
            let ends = before10 ? ints("ends", default: []).map(Int64.init) : integers[try operand(2)]!
            let steps = node.input.count > 4 && !node.input[4].isEmpty ? integers[node.input[4]]! : [1]
            guard starts.count == 1, ends.count == 1, steps == [1] else { throw nodeFail("only a 1-D slice with step 1 is supported on shapes") }
            let n = Int64(data.count)
            let lo = max(0, min(n, starts[0] < 0 ? starts[0] + n : starts[0])), hi = max(lo, min(n, ends[0] < 0 ? ends[0] + n : ends[0]))
            return Array(data[Int(lo)..<Int(hi)])
        default: throw nodeFail("cannot be folded")
        }
    }

    static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = values[r * columns + c] } }
        return out
    }
}
