import Network

extension Lowering {
    static let transpose = OperatorLowering(
        operators: ["Transpose"],
        summary: "Transpose of an NHWC input to NCHW, of a map to channels last and back, as a channel shuffle's middle step, of ResNeSt's attention before its softmax, or around an adaptive pooling's GatherND",
        lower: { try $0.lowerTranspose() })

    mutating func lowerTranspose() throws {
        let x = try operand(0)
        if x == inputName && inputIsNHWC {
            // The NHWC input made NCHW: what the engine takes anyway.
            return try alias()
        }
        if x == affineValue && inputIsNHWC && ints("perm", default: []) == [0, 3, 1, 2] {
            // The same, after the model's own rescaling of the input (still to be applied).
            affineValue = try result()
            nodeOf[affineValue!] = Graph.inputName
            return
        }
        if try transposeRadixView(x) { return }
        if var shuffle = shuffles[x], !shuffle.transposed {
            guard ints("perm", default: []) == [0, 2, 1, 3, 4] else {
                throw nodeFail("perm \(ints("perm", default: [])) of a [N, groups, C/groups, H, W] view: only a channel shuffle's [0, 2, 1, 3, 4] is supported")
            }
            shuffle.transposed = true
            shuffles[try result()] = shuffle
            return
        }
        if try lowerAdaptiveTranspose(x) { return }
        if [[0, 2, 3, 1], [0, 3, 1, 2]].contains(ints("perm", default: [])), try perImageShape(x).count == 1 {
            // Pooled features ([C, 1, 1] to [1, 1, C] or back): the same values.
            return try alias()
        }
        if let base = channelsLastViews[x], ints("perm", default: []) == [0, 3, 1, 2] {
            // Back from channels last: the map itself (with the zeros of a Pad there, still
            // to become the padding of the convolution that reads it).
            nodeOf[try result()] = base
            if let pads = pendingPads[x] { pendingPads[try result()] = pads }
            return
        }
        // NCHW -> NHWC: a view of the map, for a Flatten (the flatten order of the whole
        // graph) or channel-wise work (`lowerOnChannelsLast`).
        guard ints("perm", default: []) == [0, 2, 3, 1] else {
            throw nodeFail("perm \(ints("perm", default: [])) is supported only as [0, 2, 3, 1] (to channels last) and back")
        }
        channelsLastViews[try result()] = try source(x)
    }
}
