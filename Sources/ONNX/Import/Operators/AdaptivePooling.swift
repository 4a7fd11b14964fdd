import Network

/// PyTorch's `AdaptiveAvgPool2d` to a map larger than its input, as torch.export writes it
/// (AlexNet's and VGG's `(7, 7)` / `(6, 6)` pooling below 224 px): Transpose to
/// [H, W, N, C], GatherND at constant [Ho, 1, Wo, 1, 2] indices (each output cell's window
/// one input pixel), Transpose back to [N, C, Ho, 1, Wo, 1], ReduceMean over the window axes.
/// When every index is PyTorch's window start, floor(i H / Ho) and floor(j W / Wo), that is
/// a nearest resize on asymmetric coordinates rounded down; windows of unequal sizes (a
/// GatherND followed by Where and Div) are refused.
struct AdaptiveWindows {
    /// The feature map pooled, and its height and width.
    var source: String
    var height: Int, width: Int
    /// The output size, once the GatherND is seen.
    var outHeight = 0, outWidth = 0
    /// 0 after the first Transpose, 1 after the GatherND, 2 after the second Transpose.
    var stage = 0
}

extension Lowering {
    static let adaptivePooling = OperatorLowering(
        operators: ["GatherND"],
        summary: "GatherND as PyTorch's adaptive average pooling to a larger map writes it (torch.export; Transpose, GatherND, Transpose, ReduceMean)",
        lower: { try $0.lowerGatherND() })

    mutating func lowerGatherND() throws {
        let data = try operand(0), indices = try operand(1)
        if let windows = adaptiveWindows[data], let t = constants[indices], t.dims.count == 5, t.dims[1] > 1 || t.dims[3] > 1 {
            throw nodeFail("adaptive average pooling of a \(windows.height)x\(windows.width) map to \(t.dims[0])x\(t.dims[2]) takes windows of "
                           + "unequal sizes, which is not supported; at an input size where each side of that map divides the output's "
                           + "(each window one pixel, a 1x1 map always) or equals it, the model loads")
        }
        guard var windows = adaptiveWindows[data], windows.stage == 0, int("batch_dims", default: 0) == 0,
              let t = constants[indices], let values = t.integers, t.dims.count == 5, t.dims[1] == 1, t.dims[3] == 1, t.dims[4] == 2 else {
            throw nodeFail("GatherND is supported only as PyTorch's adaptive average pooling to a larger map (torch.export's "
                           + "Transpose to [H, W, N, C], GatherND at constant indices, Transpose back, ReduceMean)")
        }
        let (outHeight, outWidth) = (t.dims[0], t.dims[2])
        for i in 0..<outHeight {
            for j in 0..<outWidth {
                let k = 2 * (i * outWidth + j)
                guard values[k] == Int64(i * windows.height / outHeight), values[k + 1] == Int64(j * windows.width / outWidth) else {
                    throw nodeFail("gathers pixels other than adaptive pooling's windows from a \(windows.height)x\(windows.width) map; "
                                   + "only each window's first pixel, as PyTorch pools to a larger map, is supported")
                }
            }
        }
        (windows.outHeight, windows.outWidth, windows.stage) = (outHeight, outWidth, 1)
        adaptiveWindows[try result()] = windows
    }

    /// The Transposes around the GatherND; false when `x` is not part of one.
    mutating func lowerAdaptiveTranspose(_ x: String) throws -> Bool {
        let perm = ints("perm", default: [])
        if perm == [2, 3, 0, 1], let shape = try? perImageShape(x), shape.count == 3, adaptiveWindows[x] == nil {
            adaptiveWindows[try result()] = AdaptiveWindows(source: try source(x), height: shape[1], width: shape[2])
            return true
        }
        guard var windows = adaptiveWindows[x] else { return false }
        guard windows.stage == 1, perm == [4, 5, 0, 1, 2, 3] else {
            throw nodeFail("perm \(perm) of an adaptive pooling's gathered windows: only [4, 5, 0, 1, 2, 3] is supported")
        }
        windows.stage = 2
        adaptiveWindows[try result()] = windows
        return true
    }

    /// The ReduceMean that ends the pattern: the resize itself; false when `x` is not one.
    mutating func lowerAdaptiveMean(_ x: String) throws -> Bool {
        guard let windows = adaptiveWindows[x] else { return false }
        let axes = Set(try reduceAxes())
        guard windows.stage == 2, current.opType == "ReduceMean", axes == [3, 5] || axes == [-3, -1], int("keepdims", default: 1) == 0 else {
            throw nodeFail("an adaptive pooling's gathered windows must end in a ReduceMean over axes (3, 5) without keepdims")
        }
        try add(.resize(Resize(height: windows.outHeight, width: windows.outWidth, mode: .nearest, coordinates: .asymmetric, rounding: .floor)),
                inputs: [windows.source])
        return true
    }
}
