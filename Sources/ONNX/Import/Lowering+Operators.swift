import Foundation
import Network
import Numerics

/// Lowering the node at hand: its operands, folding what is known, and absorbing nodes into
/// the ones before them.
extension Lowering {
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

    /// Lowers one node: evaluated at load when its inputs are all known, else by its
    /// operator's family in `OperatorLowering.table`.
    mutating func lower(_ node: Onnx_NodeProto) throws {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { throw nodeFail("domain '\(node.domain)' is not ONNX's") }
        if try fold(node) { return }
        if let out = node.output.first, skippedValues.contains(out) { return }
        if let out = node.output.first, let pattern = activationPatterns[out] { return try finishActivationPattern(pattern) }
        if try startActivationPattern() { return }
        if try lowerOnChannelsLast() { return }
        guard let family = OperatorLowering.byOperator[node.opType] else {
            throw nodeFail("operator \(node.opType) is not supported yet (supported: \(OperatorLowering.table.flatMap(\.operators).joined(separator: ", ")), "
                           + "and nodes on constants and shapes only; `cnn-inte inspect` lists all that stops a model)")
        }
        try family.lower(&self)
    }

    /// Evaluates `node` at load when ConstantFolding can and all its inputs are known: a
    /// Shape of any value (the batch size standing for itself), anything else on constants.
    mutating func fold(_ node: Onnx_NodeProto) throws -> Bool {
        guard ConstantFolding.operators.contains(node.opType) else { return false }
        let inputs = node.input.map { $0.isEmpty ? nil : constants[$0] }
        if node.opType == "Shape", let x = node.input.first, !x.isEmpty, constants[x] == nil {
            // Of a computed value (not the NHWC input's Transpose, which is the NCHW input).
            let dims = [Self.batch] + (try perImageShape(x)).map(Int64.init)
            constants[try result()] = try folding {
                try ConstantFolding.shapeSlice(dims, start: int("start", default: 0), end: attribute("end").map { Int($0.i) }, name: try result())
            }
            return true
        }
        guard zip(node.input, inputs).allSatisfy({ $0.0.isEmpty || $0.1 != nil || batchDependent[$0.0] != nil }) else { return false }
        if node.input.contains(where: { batchDependent[$0] != nil }) {
            batchDependent[try result()] = node
            return true
        }
        if node.opType == "Range", inputs.contains(where: { $0?.integers?.contains(Self.batch) == true }) {
            // Over the batch (0..<N): a number only once the batch size is.
            batchDependent[try result()] = node
            return true
        }
        constants[try result()] = try folding { try evaluate(node, inputs: inputs) }
        return true
    }

    func evaluate(_ node: Onnx_NodeProto, inputs: [ONNXTensor?]) throws -> ONNXTensor {
        let folder = (onnx.path as NSString).deletingLastPathComponent
        let path = onnx.path
        return try ConstantFolding.evaluate(node, inputs: inputs, opset: onnx.opset) { tensor in
            try ONNXTensor(tensor, modelPath: path, folder: folder.isEmpty ? "." : folder)
        }
    }

    /// Value `name` (a constant or `batchDependent`) for a batch of `n` images.
    func evaluate(_ name: String, batch n: Int64, depth: Int = 0) throws -> ONNXTensor {
        if let c = constants[name] {
            guard let values = c.integers, values.contains(Self.batch) else { return c }
            return ONNXTensor(name: c.name, dims: c.dims, integers: values.map { $0 == Self.batch ? n : $0 })
        }
        guard depth < 64, let node = batchDependent[name] else { throw nodeFail("'\(name)' is computed from images, not from shapes") }
        let inputs = try node.input.map { $0.isEmpty ? nil : try evaluate($0, batch: n, depth: depth + 1) }
        return try folding { try evaluate(node, inputs: inputs) }
    }

    /// `body`'s folding failure as one line naming the node.
    func folding(_ body: () throws -> ONNXTensor) throws -> ONNXTensor {
        do { return try body() } catch let failure as ConstantFolding.Failure { throw nodeFail(failure.problem) }
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

    /// `a(c) * x + b[c]` per channel: folded into the convolution that makes x when only
    /// this node reads it, else a node (`ONNXImporter.channelAffine`).
    mutating func affine(_ x: String, a: (Int) -> Float, b: [Float]) throws {
        if let index = try absorbingNode(of: x), try foldAffine(a: (0..<b.count).map(a), b: b, into: index) { return }
        let (node, values) = ONNXImporter.channelAffine(try result(), a: (0..<b.count).map(a), b: b, input: try source(x))
        try add(node.op, inputs: node.inputs)
        weights.merge(values) { _, new in new }
    }

    /// Whether value `name` feeds exactly one node and is not a graph output: then the
    /// node making it may absorb the one reading it (a batch norm or an activation), as
    /// onnxruntime does. The value itself is then not kept (not a layer to interpret).
    func fusable(_ name: String) -> Bool {
        consumers[name] == 1 && !onnx.graph.output.contains { $0.name == name }
    }

    /// The last node, when it makes `x` (the current node's input by default) and may
    /// absorb the current node: `x` read by `readers` nodes (the current one and, for a
    /// pattern like SiLU's, the others the pattern takes in) and nothing else.
    func absorbingNode(of x: String? = nil, readers: Int = 1) throws -> Int? {
        let x = try x ?? operand(0)
        guard consumers[x] == readers, !onnx.graph.output.contains(where: { $0.name == x }), let node = nodeOf[x], node != Graph.inputName,
              let index = nodes.indices.last, nodes[index].name == node, nodes.filter({ $0.inputs.contains(node) }).isEmpty else { return nil }
        return index
    }

    /// Renames node `index` after the current node's output (its weights follow), so the
    /// fused layer carries the name of the value it now makes.
    mutating func renameAbsorbing(_ index: Int) throws {
        let old = nodes[index].name, new = try result()
        guard nodeOf[new] == nil else { throw nodeFail("value '\(new)' is made twice") }
        rename(index, to: new)
        for (value, node) in nodeOf where node == old { nodeOf[value] = nil }
        nodeOf[new] = new
    }

    /// Node `index` named `new`, its weights following.
    mutating func rename(_ index: Int, to new: String) {
        let old = nodes[index].name
        nodes[index].name = new
        for suffix in ["weight", "bias"] where weights[old + "." + suffix] != nil {
            weights[new + "." + suffix] = weights.removeValue(forKey: old + "." + suffix)
        }
    }

    /// An activation of `x` (the current node's input by default): fused into the
    /// convolution or dense layer just before when it has none and nothing else reads its
    /// output (`readers`: see `absorbingNode`), and oneDNN has the function as a post-op;
    /// else a node of its own.
    mutating func activation(_ function: Activation, of x: String? = nil, readers: Int = 1) throws {
        let x = try x ?? operand(0)
        if function.fusable, let index = try absorbingNode(of: x, readers: readers) {
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
        try add(.activation(function), inputs: [try source(x)])
    }

    /// The shape of value `name` per image, as ONNX sees it (an NHWC view as NHWC).
    func perImageShape(_ name: String) throws -> [Int] {
        if name == inputName {
            return inputIsNHWC ? [input.height, input.width, input.channels] : input.shape
        }
        let shapes = nodeShapes()
        if let base = channelsLastViews[name], let s = shapes[base], s.count == 3 { return [s[1], s[2], s[0]] }
        if shuffles[name] != nil {
            throw nodeFail("reads '\(name)', a map reshaped to 5 axes, which is supported only as a channel shuffle "
                           + "(Reshape to [N, groups, C/groups, H, W], Transpose [0, 2, 1, 3, 4], Reshape back) or as ResNeSt's splits "
                           + "(Mul by the attention, ReduceSum over axis 1)")
        }
        guard let node = nodeOf[name], let shape = node == Graph.inputName ? input.shape : shapes[node] else {
            throw nodeFail("the shape of '\(name)' is not known")
        }
        return shape
    }

    /// The shape of every engine node so far, per image: each worked out once, when a
    /// node first has no entry (a renamed node gets one under its new name), from its
    /// inputs' entries. A node that does not fit its inputs has none, and is reported when
    /// something asks for its shape or when the model is built.
    func nodeShapes() -> [String: [Int]] {
        var shapes = shapeCache.shapes
        shapes[Graph.inputName] = input.shape
        for (index, node) in nodes.enumerated() where shapes[node.name] == nil {
            let inputs = node.inputs.compactMap { shapes[$0] }
            guard inputs.count == node.inputs.count,
                  let shape = try? Graph.outputShape(of: node, inputs: inputs, isLast: index == nodes.count - 1) else { continue }
            shapes[node.name] = shape
        }
        shapeCache.shapes = shapes
        return shapes
    }

    static func transpose(_ values: [Float], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = values[r * columns + c] } }
        return out
    }
}
