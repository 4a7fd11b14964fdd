import Network

/// ResNeSt's split attention (timm's `SplitAttn` and `RadixSoftmax`), as both PyTorch
/// exporters write it. A grouped convolution makes `radix` splits of C channels each,
/// [N, R C, H, W]; the block then
/// - sums the splits: Reshape to [N, R, C, H, W], ReduceSum over axis 1 (without keepdims);
/// - weighs each split per channel: the attention vector [N, R C, 1, 1] (a convolution of
///   the pooled sum) is Reshaped to [N, cardinality, R, C / cardinality], Transposed
///   [0, 2, 1, 3], given a Softmax over axis 1 (across the splits), and Reshaped to
///   [N, R, C, 1, 1] (the TorchScript exporter goes through [N, R C] and [N, R C, 1, 1]);
/// - multiplies the 5-axis map by it and sums the splits again.
///
/// On the engine, a 5-axis view is the map itself (`Lowering.shuffles`, not transposed)
/// and every step is channel windows, broadcast binaries, `exp`, sums and a concat:
/// the sum over splits adds R windows of C channels; the softmax across splits is
/// exp(a_r - max_r a) / sum_r exp(a_r - max_r a) on windows of the attention vector, as
/// onnxruntime computes a softmax, concatenated in the transposed order.
struct RadixView {
    /// The attention vector ([R C] or [R C, 1, 1]) seen as [cardinality, radix, width].
    var source: String
    var cardinality: Int, radix: Int, width: Int
    /// Whether the Transpose [0, 2, 1, 3] (to [radix, cardinality, width]) has come.
    var transposed = false
}

extension Lowering {
    /// A Reshape of a vector to [N, cardinality, radix, width] (RadixSoftmax's view); false
    /// when `shape` is not that.
    mutating func startRadixView(_ x: String, shape: [Int64], perImage: [Int]) throws -> Bool {
        guard shape.count == 4, perImage.count == 1 || (perImage.count == 3 && perImage[1] == 1 && perImage[2] == 1),
              [Self.batch, -1, 0].contains(shape[0]) else { return false }
        let channels = Int64(perImage[0])
        let known = shape.dropFirst().filter { $0 != -1 }
        guard known.allSatisfy({ $0 > 0 }), shape.dropFirst().filter({ $0 == -1 }).count <= 1,
              let size = known.checkedProduct, channels % size == 0 else { return false }
        let axes = shape.dropFirst().map { $0 == -1 ? channels / size : $0 }
        // At least two splits: with one, RadixSoftmax is a sigmoid and reshapes nothing.
        guard axes.checkedProduct == channels, axes[1] >= 2 else { return false }
        radixViews[try result()] = RadixView(source: try source(x), cardinality: Int(axes[0]), radix: Int(axes[1]), width: Int(axes[2]))
        return true
    }

    /// RadixSoftmax's Transpose [0, 2, 1, 3]; false when `x` is no radix view.
    mutating func transposeRadixView(_ x: String) throws -> Bool {
        guard var view = radixViews[x] else { return false }
        guard !view.transposed, ints("perm", default: []) == [0, 2, 1, 3] else {
            throw nodeFail("perm \(ints("perm", default: [])) of a [N, cardinality, radix, width] view: only ResNeSt's [0, 2, 1, 3] is supported")
        }
        view.transposed = true
        radixViews[try result()] = view
        return true
    }

    /// The softmax across the splits of a radix view (axis 1 once transposed, axis 2
    /// before): a [R C, 1, 1] vector in the view's order; false when `x` is no radix view.
    mutating func lowerRadixSoftmax(_ x: String) throws -> Bool {
        guard let view = radixViews[x] else { return false }
        let axis = int("axis", default: onnx.opset < 13 ? 1 : -1)
        guard view.transposed ? [1, -3].contains(axis) : [2, -2].contains(axis) else {
            throw nodeFail("a softmax over axis \(axis) of a radix view: only across the splits (ResNeSt's) is supported")
        }
        let out = try result()
        var pieces: [[String]] = []  // [cardinality][radix]
        for k in 0..<view.cardinality {
            let part = "\(out).\(k)"
            var splits: [String] = []
            for r in 0..<view.radix {
                let start = (k * view.radix + r) * view.width
                splits.append(try node(.channels(start: start, end: start + view.width), [view.source], "\(part).split\(r)"))
            }
            pieces.append(try softmaxAcross(splits, name: part))
        }
        let order = view.transposed ? (0..<view.radix).flatMap { r in pieces.map { $0[r] } } : pieces.flatMap { $0 }
        if order.count == 1 { nodeOf[out] = order[0]; return true }
        try add(.concat, inputs: order)
        return true
    }

    /// exp(a - max a) / sum exp(a - max a), element by element across `values`.
    mutating func softmaxAcross(_ values: [String], name: String) throws -> [String] {
        var top = values[0]
        for (r, value) in values.enumerated().dropFirst() { top = try node(.binary(Binary(.max)), [top, value], "\(name).max\(r)") }
        var exps: [String] = []
        for (r, value) in values.enumerated() {
            let shifted = try node(.binary(Binary(.sub)), [value, top], "\(name).shifted\(r)")
            exps.append(try node(.activation(.exp), [shifted], "\(name).exp\(r)"))
        }
        let total = exps.count == 1 ? exps[0] : try node(.add, exps, "\(name).sum")
        return try exps.enumerated().map { r, e in try node(.binary(Binary(.div)), [e, total], "\(name).softmax\(r)") }
    }

    /// An element-wise Mul (Add, ...) of two [N, R, C, H, W] views of maps (or of a map and
    /// an attention vector [N, R, C, 1, 1]): the binary of the maps, itself such a view.
    /// False when neither operand is a 5-axis view.
    mutating func lowerGroupedBinary(_ operands: [String]) throws -> Bool {
        let views = operands.map { shuffles[$0] }
        guard views.contains(where: { $0 != nil }) else { return false }
        guard let a = views[0], let b = views[1], !a.transposed, !b.transposed, a.groups == b.groups, a.shape[0] == b.shape[0],
              zip(a.shape, b.shape).allSatisfy({ $0 == $1 || $0 == 1 || $1 == 1 }) else {
            throw nodeFail("\(current.opType) of a map reshaped to 5 axes: supported only between two [N, R, C, H, W] views of "
                           + "one R and C (ResNeSt's split attention)")
        }
        let out = try result()
        try add(.binary(Binary(Self.binaryKind(current.opType))), inputs: [a.from, b.from], output: out + ".grouped")
        shuffles[out] = (nodeOf[out + ".grouped"]!, zip(a.shape, b.shape).map(max), a.groups, false)
        return true
    }

    /// ReduceSum over axis 1 of a [N, R, C, H, W] view: the R windows of C channels added;
    /// false when `x` is no such view.
    mutating func lowerGroupSum(_ x: String) throws -> Bool {
        guard let view = shuffles[x] else { return false }
        let axes = try reduceAxes()
        guard !view.transposed, current.opType == "ReduceSum", axes == [1] || axes == [-4], int("keepdims", default: 1) == 0 else {
            throw nodeFail("a reduction of a map reshaped to 5 axes: only ResNeSt's ReduceSum over axis 1 without keepdims is supported")
        }
        let out = try result(), width = view.shape[0] / view.groups
        var splits: [String] = []
        for r in 0..<view.groups {
            splits.append(try node(.channels(start: r * width, end: (r + 1) * width), [view.from], "\(out).split\(r)"))
        }
        if splits.count == 1 { nodeOf[out] = splits[0]; return true }
        try add(.add, inputs: splits)
        return true
    }

    /// A node of the lowering's own, named `name`; its name.
    private mutating func node(_ op: Network.Operation, _ inputs: [String], _ name: String) throws -> String {
        try add(op, inputs: inputs, output: name)
        return nodeOf[name]!
    }
}
