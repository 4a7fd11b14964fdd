import Network

extension Lowering {
    static let transpose = OperatorLowering(
        operators: ["Transpose"],
        summary: "Transpose of an NHWC input to NCHW, to NHWC just before a Flatten, or as a channel shuffle's middle step",
        lower: { try $0.lowerTranspose() })

    mutating func lowerTranspose() throws {
        let x = try operand(0)
        if x == inputName && inputIsNHWC {
            // The NHWC input made NCHW: what the engine takes anyway.
            return try alias()
        }
        if var shuffle = shuffles[x], !shuffle.transposed {
            guard ints("perm", default: []) == [0, 2, 1, 3, 4] else {
                throw nodeFail("perm \(ints("perm", default: [])) of a [N, groups, C/groups, H, W] view: only a channel shuffle's [0, 2, 1, 3, 4] is supported")
            }
            shuffle.transposed = true
            shuffles[try result()] = shuffle
            return
        }
        // Only NCHW -> NHWC before a Flatten: the flatten order of the whole graph.
        guard ints("perm", default: []) == [0, 2, 3, 1] else {
            throw nodeFail("perm \(ints("perm", default: [])) is supported only as [0, 2, 3, 1] just before a Flatten")
        }
        channelsLastViews[try result()] = try source(x)
    }
}
