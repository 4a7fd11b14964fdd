import Foundation
import Network
import Numerics

/// The state of one lowering.
struct Lowering {
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
    /// A map seen as [N, g, C/g, H, W]: a channel shuffle in progress (ShuffleNet's Reshape
    /// to 5 axes, Transpose of axes 1 and 2, Reshape back) or ResNeSt's splits
    /// (`SplitAttention.swift`): the feature map (or attention vector) it started from, its
    /// shape, the group count, and whether the transpose has come.
    var shuffles: [String: (from: String, shape: [Int], groups: Int, transposed: Bool)] = [:]
    /// ResNeSt's attention vectors seen as [N, cardinality, radix, width] (`RadixView`).
    var radixViews: [String: RadixView] = [:]
    /// Tensors known at load: initializers, Constant nodes, and what `ConstantFolding`
    /// computes from them and from shapes (integer tensors may hold
    /// `ConstantFolding.batch`, the batch size).
    var constants: [String: ONNXTensor] = [:]
    static let batch = ConstantFolding.batch
    /// Integer values that need the batch size as a number (a Range over the batch, and
    /// what is computed from it): their nodes, evaluated for a given batch size when a
    /// Gather needs them (`evaluate(_:batch:)`), as PyTorch's as_strided indices.
    var batchDependent: [String: Onnx_NodeProto] = [:]
    /// Pooled features seen as a sequence of one channel ([N, 1, C]), for a 1-D convolution
    /// across them (ECA-Net's attention); and what such a convolution and activations make.
    var sequences: Set<String> = []
    /// A whole batch flattened by a Reshape to [-1]: the engine node and its shape per image.
    var batchFlattened: [String: (node: String, shape: [Int])] = [:]
    /// PyTorch's adaptive average pooling to a larger map, in progress (`AdaptiveWindows`).
    var adaptiveWindows: [String: AdaptiveWindows] = [:]
    /// The graph input's name, and whether it is NHWC (TensorFlow's, through tf2onnx).
    var inputName = ""
    var inputIsNHWC = false
    /// Engine node -> its shape per image (`nodeShapes`); a reference, so that reading
    /// shapes need not mutate the lowering.
    final class ShapeCache { var shapes: [String: [Int]] = [:] }
    let shapeCache = ShapeCache()
    /// How many node inputs read each value, and the nodes (indices in the file) that do.
    var consumers: [String: Int] = [:]
    var readers: [String: [Int]] = [:]
    /// The Constant node (index in the file) making each value that one makes.
    var constantNodes: [String: Int] = [:]
    /// SiLU written out, `x * sigmoid(x)`: the Mul's output -> x, found at the Sigmoid.
    var siluProducts: [String: String] = [:]
    /// Activations written out as arithmetic (`ActivationPatterns.swift`): the last node's
    /// output -> the activation's input, the function, and how many nodes read that input;
    /// and the values of the nodes between, which are skipped.
    var activationPatterns: [String: (x: String, function: Activation, readers: Int)] = [:]
    var skippedValues: Set<String> = []
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
    /// Whether to go on past a node that cannot be lowered (for `ONNXImporter.blockers`),
    /// the problems met so, and the values their nodes would have made.
    let collecting: Bool
    var problems: [(op: String, node: String, problem: String)] = []
    var blocked: Set<String> = []

    init(onnx: ONNXModel, collecting: Bool = false) {
        self.onnx = onnx
        self.collecting = collecting
        constants = onnx.initializers
    }

    /// The lowered graph, once `run` has succeeded.
    mutating func lowered() -> ONNXImporter.Lowered {
        let normalisation = liftNormalisation()
        // Without a Flatten of a feature map, the order features are read in: as the file's
        // metadata says (cnn-inte's export), else ONNX's channels first.
        let recorded = onnx.proto.metadataProps.first { $0.key == ONNXImporter.flattenOrderKey }.flatMap { Graph.FlattenOrder(rawValue: $0.value) }
        return ONNXImporter.Lowered(graph: Graph(input: input, nodes: nodes, flattenOrder: flattenOrder ?? recorded ?? .channelsFirst),
                                    weights: weights, nodeOfValue: nodeOf, inputNormalisation: normalisation,
                                    folded: Set(constants.keys).subtracting(onnx.initializerNames),
                                    moduleOutputs: ModuleNames.outputs(of: onnx.graph) { nodeOf[$0] != nil && nodeOf[$0] != Graph.inputName })
    }

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
        for (index, node) in onnx.graph.node.enumerated() {
            for value in Set(node.input) where !value.isEmpty { readers[value, default: []].append(index) }
            for value in node.input where !value.isEmpty { consumers[value, default: 0] += 1 }
            if node.opType == "Constant", let value = node.output.first { constantNodes[value] = index }
        }
        input = try imageShape(image)
        inputName = image.name
        nodeOf[image.name] = Graph.inputName
        for node in onnx.graph.node {
            current = node
            guard collecting else { try lower(node); continue }
            let made = node.output.filter { !$0.isEmpty }
            if node.input.contains(where: blocked.contains) { blocked.formUnion(made); continue }
            do { try lower(node) } catch let error as ONNXError {
                problems.append((op: node.opType, node: node.name, problem: error.problem))
                blocked.formUnion(made)
            }
        }
        guard problems.isEmpty else { return }
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
        // Keras' Rescaling and Normalization layers may come first, as arithmetic by
        // constants of one value or one per channel (the last axis) before the Transpose.
        func makesNCHW(_ name: String, depth: Int) -> Bool {
            let nodes = (readers[name] ?? []).map { onnx.graph.node[$0] }
            return !nodes.isEmpty && depth < 8 && nodes.allSatisfy { node in
                if node.opType == "Transpose" { return node.attribute.first { $0.name == "perm" }?.ints == [0, 3, 1, 2] }
                if node.opType == "Reshape", node.input.count == 2, d3 == 1, let shape = onnx.initializers[node.input[1]]?.integers {
                    return shape.count == 4 && shape[1] == 1 && shape[2] == Int64(d1) && shape[3] == Int64(d2)
                }
                if ["Add", "Sub", "Mul", "Div"].contains(node.opType), node.input.count == 2, node.output.count == 1,
                   let other = node.input.first(where: { $0 != name }), let c = onnx.initializers[other],
                   c.dims.reduce(1, *) == 1 || (c.dims.last == d3 && c.dims.reduce(1, *) == d3) {
                    return makesNCHW(node.output[0], depth: depth + 1)
                }
                return false
            }
        }
        let nhwc = makesNCHW(value.name, depth: 0)
        inputIsNHWC = nhwc
        return nhwc ? Graph.InputShape(channels: d3, height: d1, width: d2) : Graph.InputShape(channels: d1, height: d2, width: d3)
    }

    // MARK: - Attributes and operands

    var attributes: NodeAttributes { NodeAttributes(node: current) }
    func attribute(_ name: String) -> Onnx_AttributeProto? { attributes.attribute(name) }
    func ints(_ name: String, default value: [Int]) -> [Int] { attributes.ints(name, default: value) }
    func int(_ name: String, default value: Int) -> Int { attributes.int(name, default: value) }
    func float(_ name: String, default value: Float) -> Float { attributes.float(name, default: value) }
    func string(_ name: String, default value: String) -> String { attributes.string(name, default: value) }

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
            throw nodeFail(constants[name] != nil ? "input '\(name)' is a constant where a computed value is expected"
                                                          : "input '\(name)' is made by no earlier node")
        }
        return node
    }

    /// A constant operand, as floats.
    func constant(_ name: String, what: String) throws -> ONNXTensor {
        guard let tensor = constants[name], tensor.floats != nil else {
            throw nodeFail("\(what) '\(name)' must be a float initializer")
        }
        return tensor
    }

    mutating func add(_ op: Network.Operation, inputs: [String]) throws {
        try add(op, inputs: inputs, output: try result())
    }

    /// A node making `output`, one of the current node's outputs (Split's).
    mutating func add(_ op: Network.Operation, inputs: [String], output: String) throws {
        guard !output.isEmpty else { throw nodeFail("has an unnamed output") }
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
}
