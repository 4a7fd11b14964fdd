import Network

/// Feature maps transposed to channels last (NHWC) and worked on there, as ConvNeXt does:
/// `permute(0, 2, 3, 1)`, then LayerNorm over the channels, Linear layers applied at each
/// pixel (MatMul by [C, D]), GELU, a bias, and `permute(0, 3, 1, 2)` back. The engine
/// keeps the map as it is (its layout is its own); the importer records the transposed
/// value as a view of it (`channelsLastViews`) and lowers each of these operators on the
/// channels: a layer normalization over them, a 1x1 convolution, a per-channel affine map.
extension Lowering {
    static let layerNormalization = OperatorLowering(
        operators: ["LayerNormalization"],
        summary: "LayerNormalization over pooled features, and with MatMul by a constant, per-channel arithmetic, gates, activations, Pad and spatial ReduceMean/Max on a map transposed to channels last (ConvNeXt, tf2onnx)",
        lower: { try $0.lowerLayerNormalization() })

    /// Over a vector (pooled features); over a map's channels, `lowerOnChannelsLast`.
    mutating func lowerLayerNormalization() throws {
        let x = try operand(0)
        guard try perImageShape(x).count == 1, [-1, 1].contains(int("axis", default: -1)) else {
            throw nodeFail("LayerNormalization is supported over pooled features and over the channels of a map transposed to channels last (Transpose [0, 2, 3, 1], as ConvNeXt writes it)")
        }
        try layerNormalization(of: try source(x), channels: try perImageShape(x)[0], output: try result(), view: false)
    }

    /// A layer normalization node over `channels` channels of engine node `input`, with
    /// the current node's scale and bias.
    mutating func layerNormalization(of input: String, channels: Int, output: String, view: Bool) throws {
        let scale = try constant(try operand(1), what: "scale").floats!
        let bias = current.input.count > 2 && !current.input[2].isEmpty
            ? try constant(current.input[2], what: "bias").floats! : [Float](repeating: 0, count: channels)
        guard scale.count == channels, bias.count == channels else { throw nodeFail("scale and bias must have \(channels) values") }
        let op = Network.Operation.layerNormalization(epsilon: float("epsilon", default: 1e-5))
        if view { try addView(op, input: input, output: output) } else { try add(op, inputs: [input]) }
        weights[output + ".scale"] = scale
        weights[output + ".shift"] = bias
    }

    /// Lowers the current node when it reads a channels-last view; false when it reads none
    /// (or is a Flatten, Reshape or Transpose, which read views themselves).
    mutating func lowerOnChannelsLast() throws -> Bool {
        let views = current.input.filter { !$0.isEmpty && channelsLastViews[$0] != nil }
        guard !views.isEmpty, !["Flatten", "Reshape", "Transpose"].contains(current.opType) else { return false }
        let out = try result(), x = try operand(0)
        switch current.opType {
        case "LayerNormalization":
            guard views == [x], [-1, 3].contains(int("axis", default: -1)) else {
                throw nodeFail("only a layer normalization over the last axis (the channels) of a channels-last map is supported")
            }
            try layerNormalization(of: channelsLastViews[x]!, channels: try perImageShape(x).last ?? 0, output: out, view: true)
        case "MatMul":
            let b = try constant(try operand(1), what: "weights")
            let channels = try perImageShape(x).last ?? 0
            guard views == [x], b.dims.count == 2, b.dims[0] == channels else {
                throw nodeFail("on a channels-last map only a MatMul by a [\(channels), units] constant is supported")
            }
            try addView(.convolution(Convolution(filters: b.dims[1], kernel: [1, 1], padding: .valid, bias: false)),
                        input: channelsLastViews[x]!, output: out)
            weights[out + ".weight"] = Self.transpose(b.floats!, rows: b.dims[0], columns: b.dims[1])
        case "Add", "Sub", "Mul", "Div":
            try arithmeticOnChannelsLast(views: views, output: out)
        case "Pad" where views == [x]:
            try padOnChannelsLast(x, output: out)
        case "ReduceMean", "ReduceMax":
            // Over height and width (axes 1 and 2 of NHWC; squeeze-and-excitation as
            // tf2onnx writes Keras' GlobalAveragePooling2D(keepdims=True)): global pooling,
            // whose pooled features have no layout.
            guard views == [x], Set(try reduceAxes().map { $0 < 0 ? $0 + 4 : $0 }) == [1, 2] else {
                throw nodeFail("on a channels-last map only a reduction over height and width (axes 1, 2) is supported")
            }
            let base = channelsLastViews[x]!
            if current.opType == "ReduceMean" {
                try add(.globalAveragePooling, inputs: [base])
            } else {
                let shape = try perImageShape(x)
                try globalMax(of: base, height: shape[0], width: shape[1])
            }
        case let op where Lowering.activations.operators.contains(op):
            try activationOnChannelsLast(try activationFunction(), of: x, output: out)
        default:
            throw nodeFail("reads '\(views[0])', a feature map transposed to channels last; only LayerNormalization, MatMul, "
                           + "arithmetic, activations, Pad, ReduceMean/Max over height and width and a Transpose back are supported on it")
        }
        return true
    }

    /// A node making channels-last view `output` of `input`'s map.
    mutating func addView(_ op: Network.Operation, input: String, output: String) throws {
        guard nodeOf[output] == nil, channelsLastViews[output] == nil, !nodes.contains(where: { $0.name == output }) else {
            throw nodeFail("value '\(output)' is made twice")
        }
        nodes.append(Node(output, op, inputs: [input]))
        channelsLastViews[output] = output
    }

    /// Two views combined, or a view and a constant of one value or one per channel (the
    /// last axis); an Add of a constant just after a MatMul becomes its bias.
    mutating func arithmeticOnChannelsLast(views: [String], output: String) throws {
        let op = current.opType
        let (first, second) = (try operand(0), try operand(1))
        if views.count == 1, constants[first] == nil, constants[second] == nil {
            // A map scaled by pooled features (a squeeze-and-excitation gate): broadcast.
            let other = views[0] == first ? second : first
            guard try perImageShape(other).count == 1 else { throw nodeFail("combines a channels-last map with a map that is not") }
            let inputs = views[0] == first ? [channelsLastViews[first]!, try source(second)] : [try source(first), channelsLastViews[second]!]
            nodes.append(Node(output, .binary(Binary(Self.binaryKind(op))), inputs: inputs))
            channelsLastViews[output] = output
            return
        }
        if views.count == 2 {
            let (a, b) = (channelsLastViews[first]!, channelsLastViews[second]!)
            let same = try perImageShape(first) == perImageShape(second)
            nodes.append(Node(output, op == "Add" && same ? .add : .binary(Binary(Self.binaryKind(op))), inputs: [a, b]))
            channelsLastViews[output] = output
            return
        }
        let viewFirst = views[0] == first
        let view = views[0], base = channelsLastViews[view]!
        let c = try constant(viewFirst ? second : first, what: "operand")
        let channels = try perImageShape(view).last ?? 0
        guard c.count == 1 || (c.count == channels && c.dims.last == channels) else {
            throw nodeFail("a constant of shape \(c.dims) does not broadcast over the \(channels) channels of a channels-last map")
        }
        let values = c.count == 1 ? [Float](repeating: c.floats![0], count: channels) : c.floats!
        if op == "Add", let last = absorbingNode(ofView: view),
           case var .convolution(conv) = nodes[last].op, !conv.bias, conv.activation == .none, conv.kernel == [1, 1] {
            // The bias of the Linear layer the MatMul before began.
            conv.bias = true
            nodes[last].op = .convolution(conv)
            weights[base + ".bias"] = values
            channelsLastViews[output] = base
            return
        }
        let zeros = [Float](repeating: 0, count: channels), ones = [Float](repeating: 1, count: channels)
        let (a, b): ([Float], [Float])
        switch (op, viewFirst) {
        case ("Add", _): (a, b) = (ones, values)
        case ("Sub", true): (a, b) = (ones, values.map { -$0 })
        case ("Sub", false): (a, b) = (ones.map { -$0 }, values)
        case ("Mul", _): (a, b) = (values, zeros)
        case ("Div", true):
            guard !values.contains(0) else { throw nodeFail("division by 0") }
            (a, b) = (values.map { 1 / $0 }, zeros)
        default: throw nodeFail("dividing a constant by a computed value is not supported")
        }
        if let last = absorbingNode(ofView: view), foldAffineWeights(a: a, b: b, into: last) {
            // Into the convolution that makes the map (a batch norm tf2onnx left channels last).
            renameAbsorbing(last, toView: output)
            return
        }
        let (node, affine) = ONNXImporter.channelAffine(output, a: a, b: b, input: base)
        try addView(node.op, input: base, output: output)
        weights.merge(affine) { _, new in new }
    }

    /// An activation of a view: fused into the convolution that makes its map when only it
    /// reads it, else a node of its own.
    mutating func activationOnChannelsLast(_ function: Activation, of view: String, output: String) throws {
        if function.fusable, let last = absorbingNode(ofView: view), case var .convolution(conv) = nodes[last].op, conv.activation == .none {
            conv.activation = function
            nodes[last].op = .convolution(conv)
            renameAbsorbing(last, toView: output)
            return
        }
        try addView(.activation(function), input: channelsLastViews[view]!, output: output)
    }

    /// The last node, when it makes the map behind `view`, only the current node reads the
    /// view and nothing else reads the map: it may take the current node in (as
    /// `absorbingNode` for values that are no views).
    func absorbingNode(ofView view: String) -> Int? {
        guard let base = channelsLastViews[view], consumers[view] == 1, let last = nodes.indices.last, nodes[last].name == base,
              !nodes.contains(where: { $0.inputs.contains(base) }), !nodeOf.values.contains(base) else { return nil }
        return last
    }

    /// Node `index`, which took in the current node, renamed `output`: the channels-last
    /// view of what it now makes, the views of its old map gone.
    mutating func renameAbsorbing(_ index: Int, toView output: String) {
        let base = nodes[index].name
        rename(index, to: output)
        for (value, node) in channelsLastViews where node == base { channelsLastViews[value] = nil }
        channelsLastViews[output] = output
    }
}
