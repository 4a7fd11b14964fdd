import Network

/// PyTorch's `AdaptiveAvgPool2d` where a side does not divide the other's, as torch.export
/// writes it (AlexNet's and VGG's `(6, 6)` / `(7, 7)` pooling below 224 px, or above it where
/// the map is not a multiple of 7): Transpose to [H, W, N, C], GatherND at constant
/// [Ho, Kh, Wo, Kw, 2] indices (each output cell's window, padded to Kh x Kw pixels),
/// Transpose back to [N, C, Ho, Kh, Wo, Kw]; then either
/// - ReduceMean over the window axes, where every window has Kh x Kw pixels: where that is
///   one pixel, a nearest resize on asymmetric coordinates rounded down (oneDNN's
///   resampling), else the pooling (10 rows to 4: windows of 3 that overlap);
/// - or, where windows differ in size: Where nodes zeroing the padded positions (rows, then
///   columns), a Gather of each window position (axis 3, then 4), Adds of them all, and a Div
///   by each window's size: PyTorch's adaptive average pooling (`AdaptivePooling`).
/// The windows' pixels, masks and sizes are checked against PyTorch's windows,
/// floor(i H / Ho) ..< ceil((i + 1) H / Ho); anything else is refused.
struct AdaptiveWindows {
    /// The feature map pooled, and its height and width.
    var source: String
    var height: Int, width: Int
    /// The output size and the window's padded extent, once the GatherND is seen.
    var outHeight = 0, outWidth = 0
    var rowSpan = 1, columnSpan = 1
    enum Stage: Equatable {
        /// After the first Transpose, the GatherND, the second Transpose.
        case transposed, gathered, windows
        /// A Gather of one window row; the sum of some window positions (row * columnSpan + column).
        case row(Int)
        case sum(Set<Int>)
    }
    var stage = Stage.transposed
    /// Whether the Where nodes zeroing the padded rows and columns have come.
    var rowsMasked = false, columnsMasked = false

    var rows: [Range<Int>] { AdaptivePooling.windows(input: height, output: outHeight) }
    var columns: [Range<Int>] { AdaptivePooling.windows(input: width, output: outWidth) }
    /// Whether every window is one pixel (the nearest resize).
    var onePixel: Bool { rowSpan == 1 && columnSpan == 1 }
    /// Whether every window has all Kh x Kw pixels (nothing padded to mask).
    var fullWindows: Bool { rows.allSatisfy { $0.count == rowSpan } && columns.allSatisfy { $0.count == columnSpan } }
}

extension Lowering {
    static let adaptivePooling = OperatorLowering(
        operators: ["GatherND", "Where"],
        summary: "GatherND and Where as PyTorch's adaptive average pooling writes them (torch.export; Transpose, GatherND, Transpose, then ReduceMean, or Where, Gather, Add and Div for windows of unequal sizes)",
        lower: { try $0.lowerAdaptivePooling() })

    mutating func lowerAdaptivePooling() throws {
        if current.opType == "Where" { return try lowerAdaptiveMask() }
        let data = try operand(0), indices = try operand(1)
        guard var windows = adaptiveWindows[data], windows.stage == .transposed, int("batch_dims", default: 0) == 0,
              let t = constants[indices], let values = t.integers, t.dims.count == 5, t.dims[4] == 2 else {
            throw nodeFail("GatherND is supported only as PyTorch's adaptive average pooling (torch.export's "
                           + "Transpose to [H, W, N, C], GatherND at constant indices, Transpose back)")
        }
        (windows.outHeight, windows.rowSpan, windows.outWidth, windows.columnSpan) = (t.dims[0], t.dims[1], t.dims[2], t.dims[3])
        let (rows, columns) = (windows.rows, windows.columns)
        guard windows.rowSpan == rows.map(\.count).max(), windows.columnSpan == columns.map(\.count).max() else {
            throw nodeFail("gathers windows of \(windows.rowSpan)x\(windows.columnSpan) pixels from a \(windows.height)x\(windows.width) map; "
                           + "adaptive pooling to \(t.dims[0])x\(t.dims[2]) takes windows of at most \(rows.map(\.count).max() ?? 0)x\(columns.map(\.count).max() ?? 0)")
        }
        for (i, r) in rows.enumerated() {
            for a in 0..<r.count {
                for (j, c) in columns.enumerated() {
                    for b in 0..<c.count {
                        let k = 2 * (((i * windows.rowSpan + a) * windows.outWidth + j) * windows.columnSpan + b)
                        guard values[k] == Int64(r.lowerBound + a), values[k + 1] == Int64(c.lowerBound + b) else {
                            throw nodeFail("gathers pixels other than adaptive pooling's windows from a \(windows.height)x\(windows.width) map; "
                                           + "only PyTorch's windows, floor(i H / Ho) ..< ceil((i + 1) H / Ho), are supported")
                        }
                    }
                }
            }
        }
        windows.stage = .gathered
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
        guard windows.stage == .gathered, perm == [4, 5, 0, 1, 2, 3] else {
            throw nodeFail("perm \(perm) of an adaptive pooling's gathered windows: only [4, 5, 0, 1, 2, 3] is supported")
        }
        windows.stage = .windows
        adaptiveWindows[try result()] = windows
        return true
    }

    /// The ReduceMean that ends the pattern where every window has Kh x Kw pixels: a
    /// nearest resize for windows of one pixel, else the pooling; false when `x` is not one.
    mutating func lowerAdaptiveMean(_ x: String) throws -> Bool {
        guard let windows = adaptiveWindows[x] else { return false }
        let axes = Set(try reduceAxes())
        guard windows.stage == .windows, windows.fullWindows, current.opType == "ReduceMean", axes == [3, 5] || axes == [-3, -1],
              int("keepdims", default: 1) == 0 else {
            throw nodeFail("adaptive pooling's gathered windows of one size must end in a ReduceMean over axes (3, 5) without keepdims")
        }
        guard windows.onePixel else {
            try add(.adaptiveAveragePooling(AdaptivePooling(height: windows.outHeight, width: windows.outWidth)), inputs: [windows.source])
            return true
        }
        try add(.resize(Resize(height: windows.outHeight, width: windows.outWidth, mode: .nearest, coordinates: .asymmetric, rounding: .floor)),
                inputs: [windows.source])
        return true
    }

    /// Where(mask, 0, windows): zeros at the padded window rows ([Ho, Kh, 1, 1]) or columns
    /// ([Wo, Kw]), each mask exactly the positions past its window.
    mutating func lowerAdaptiveMask() throws {
        let x = try operand(2)
        guard var windows = adaptiveWindows[x], windows.stage == .windows, !windows.onePixel,
              let mask = constants[try operand(0)]?.integers, constants[try operand(1)]?.floats == [0] else {
            throw nodeFail("Where is supported only as PyTorch's adaptive average pooling writes it (zeros at the padded window positions)")
        }
        let dims = constants[try operand(0)]!.dims
        func padded(_ windows: [Range<Int>], span: Int) -> [Int64] {
            windows.flatMap { w in (0..<span).map { Int64($0 >= w.count ? 1 : 0) } }
        }
        if dims == [windows.outHeight, windows.rowSpan, 1, 1], !windows.rowsMasked, mask == padded(windows.rows, span: windows.rowSpan) {
            windows.rowsMasked = true
        } else if dims == [windows.outWidth, windows.columnSpan], !windows.columnsMasked, mask == padded(windows.columns, span: windows.columnSpan) {
            windows.columnsMasked = true
        } else {
            throw nodeFail("masks other positions than the padding of adaptive pooling's windows")
        }
        adaptiveWindows[try result()] = windows
    }

    /// A Gather of one window row (axis 3), then of one column (axis 4); false when the data
    /// is no adaptive pooling's windows.
    mutating func lowerAdaptiveSelect(_ data: String) throws -> Bool {
        guard var windows = adaptiveWindows[data] else { return false }
        let index = constants[try operand(1)]
        guard let value = index?.integers, value.count == 1, index?.dims == [] else {
            throw nodeFail("a Gather of adaptive pooling's windows must take one position at a time")
        }
        let axis = int("axis", default: 0), k = Int(value[0])
        switch windows.stage {
        case .windows where axis == 3 || axis == -3:
            let padding = windows.rows.contains { $0.count < windows.rowSpan } && !windows.rowsMasked
                || windows.columns.contains { $0.count < windows.columnSpan } && !windows.columnsMasked
            guard !padding, (0..<windows.rowSpan).contains(k) else { throw nodeFail("reads adaptive pooling's windows before their padding is zeroed") }
            windows.stage = .row(k)
        case let .row(row) where axis == 4 || axis == -1:
            guard (0..<windows.columnSpan).contains(k) else { throw nodeFail("window column \(k) of \(windows.columnSpan)") }
            windows.stage = .sum([row * windows.columnSpan + k])
        default:
            throw nodeFail("a Gather of adaptive pooling's windows is supported only of a window row (axis 3), then a column (axis 4)")
        }
        adaptiveWindows[try result()] = windows
        return true
    }

    /// The Adds of the window positions and the Div by the windows' sizes that end the
    /// pattern (the pooling itself); false when neither operand is part of one.
    mutating func lowerAdaptiveArithmetic() throws -> Bool {
        let operands = current.input.filter { !$0.isEmpty }
        guard operands.contains(where: { adaptiveWindows[$0] != nil }) else { return false }
        let partial = operands.map { adaptiveWindows[$0] }
        if current.opType == "Add", operands.count == 2, let a = partial[0], let b = partial[1], a.source == b.source,
           case let .sum(p) = a.stage, case let .sum(q) = b.stage, p.isDisjoint(with: q) {
            var windows = a
            windows.stage = .sum(p.union(q))
            adaptiveWindows[try result()] = windows
            return true
        }
        guard current.opType == "Div", operands.count == 2, let windows = partial[0], case let .sum(terms) = windows.stage,
              terms.count == windows.rowSpan * windows.columnSpan, let sizes = constants[operands[1]]?.floats,
              sizes == windows.rows.flatMap({ r in windows.columns.map { Float(r.count * $0.count) } }),
              [[windows.outHeight, windows.outWidth], [1, 1, windows.outHeight, windows.outWidth]].contains(constants[operands[1]]!.dims) else {
            throw nodeFail("\(current.opType) of adaptive pooling's windows: only the sum of every window position divided by the windows' sizes is supported")
        }
        try add(.adaptiveAveragePooling(AdaptivePooling(height: windows.outHeight, width: windows.outWidth)), inputs: [windows.source])
        return true
    }
}
