import Network

extension Lowering {
    static let reshape = OperatorLowering(
        operators: ["Reshape"],
        summary: "Reshape to [N, features], to the same shape, of pooled features to [N, C, 1, 1] or [N, 1, C], of a one-channel NHWC input, as a channel shuffle (Reshape, Transpose, Reshape), or as ResNeSt's split attention",
        lower: { try $0.lowerReshape() })

    mutating func lowerReshape() throws {
        let x = try operand(0)
        // One channel: NHWC and NCHW are the same bytes (checked in imageShape).
        if x == inputName && inputIsNHWC { return try alias() }
        guard let shape = constants[try operand(1)]?.integers else {
            throw nodeFail("its shape is computed from images; only shapes known at load are supported")
        }
        if let shuffle = shuffles[x], shuffle.transposed { return try endShuffle(shuffle, shape: shape) }
        if shape.count == 5 && shuffles[x] == nil { return try startShuffle(x, shape: shape) }
        let view = channelsLastViews[x]
        let from = try view ?? source(x)
        let perImage = try perImageShape(x)
        let width = Int64(perImage.reduce(1, *))
        if perImage.count == 1, shape.count == 3, [Self.batch, -1, 0].contains(shape[0]), shape[1] == 1, [width, -1].contains(shape[2]) {
            // Pooled features as a sequence of one channel, for a 1-D convolution across them.
            nodeOf[try result()] = from
            sequences.insert(try result())
            return
        }
        if shape == [-1], view == nil {
            // The whole batch as one vector: only for a Gather that puts it back (as_strided).
            batchFlattened[try result()] = (from, perImage)
            return
        }
        // A reshape that keeps the bytes and only names the same shape again (tf2onnx writes
        // a Transpose of a 1x1 map this way), or makes pooled features a 1x1 map: a view.
        if view == nil, shape.count == perImage.count + 1 || (perImage.count == 1 && shape.count == 4),
           [Self.batch, -1, 0].contains(shape[0]) {
            let target = shape.dropFirst().enumerated().map { axis, d in d == 0 && axis < perImage.count ? Int64(perImage[axis]) : d }
            let known = target.filter { $0 != -1 }.checkedProduct ?? 0
            let resolved = target.map { $0 == -1 && known > 0 ? width / known : $0 }
            if resolved == perImage.map(Int64.init) || (perImage.count == 1 && resolved == [width, 1, 1]) {
                nodeOf[try result()] = from
                return
            }
        }
        if view == nil, try startRadixView(x, shape: shape, perImage: perImage) { return }
        guard shape.count == 2, [Self.batch, -1, 0].contains(shape[0]) || perImage.count == 1, [width, -1].contains(shape[1]) else {
            throw nodeFail("a reshape to \(ConstantFolding.describe(shape)) is supported only as a flatten to [N, \(width)]")
        }
        if perImage.count == 1 { nodeOf[try result()] = from; return }
        let order: Graph.FlattenOrder = view != nil ? .channelsLast : .channelsFirst
        if let flattenOrder, flattenOrder != order {
            throw nodeFail("feature maps are flattened both channels first and channels last in one graph")
        }
        flattenOrder = order
        try add(.flatten, inputs: [from])
    }

    /// The first step of a channel shuffle: [N, C, H, W] seen as [N, g, C/g, H, W].
    mutating func startShuffle(_ x: String, shape: [Int64]) throws {
        // An attention vector [C] (ResNeSt's) reshaped to [N, g, C/g, 1, 1] stands for [C, 1, 1].
        let map = try perImageShape(x).count == 1 ? perImageShape(x) + [1, 1] : perImageShape(x)
        guard map.count == 3, [Self.batch, -1, 0].contains(shape[0]), shape[1] > 0, map[0] % Int(shape[1]) == 0,
              [Int64(map[0]) / shape[1], -1].contains(shape[2]), shape[3] == Int64(map[1]) || shape[3] == 0,
              shape[4] == Int64(map[2]) || shape[4] == 0 else {
            throw nodeFail("a reshape to 5 axes is supported only as [N, groups, C/groups, H, W] (a channel shuffle's first step, ResNeSt's splits)")
        }
        shuffles[try result()] = (try source(x), map, Int(shape[1]), false)
    }

    /// The channel shuffle made whole: output channel j * g + i is input channel
    /// i * (C / g) + j, the engine's channel shuffle (oneDNN's shuffle primitive).
    mutating func endShuffle(_ shuffle: (from: String, shape: [Int], groups: Int, transposed: Bool), shape: [Int64]) throws {
        let (c, h, w) = (shuffle.shape[0], shuffle.shape[1], shuffle.shape[2])
        guard shape.count == 4, [Self.batch, -1, 0].contains(shape[0]), [Int64(c), -1].contains(shape[1]),
              shape[2] == Int64(h), shape[3] == Int64(w) else {
            throw nodeFail("a channel shuffle must end in a reshape back to [N, \(c), \(h), \(w)]")
        }
        try add(.channelShuffle(groups: shuffle.groups), inputs: [shuffle.from])
    }
}
