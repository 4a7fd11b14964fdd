import Foundation
@testable import Network

/// The reference of the operations imported models bring, straight from ONNX's
/// definitions, in Double. Feature maps are `[N, C, H, W]`, vectors `[N, F]`.
extension ReferenceGraph {
    static func imported(_ op: Network.Operation, _ xs: [Tensor], dims: [Int], parameter: (String) -> [Double]) -> [Double] {
        let x = xs[0], n = dims[0]
        let area = dims.dropFirst(2).reduce(1, *), inArea = x.dims.dropFirst(2).reduce(1, *)
        var y = [Double](repeating: 0, count: dims.reduce(1, *))
        /// Value of `t` at output position (b, c, i) of `dims`, broadcast (a vector beside a map is [C, 1, 1]).
        func broadcastValue(_ t: Tensor, _ b: Int, _ c: Int, _ i: Int) -> Double {
            let td = t.dims.count == 2 && dims.count == 4 ? [t.dims[0], t.dims[1], 1, 1] : t.dims
            let tc = td[1] == 1 ? 0 : c
            guard dims.count == 4 else { return t.values[b * td[1] + tc] }
            let (yy, xx) = (i / dims[3], i % dims[3])
            let ty = td[2] == 1 ? 0 : yy, tx = td[3] == 1 ? 0 : xx
            return t.values[((b * td[1] + tc) * td[2] + ty) * td[3] + tx]
        }
        switch op {
        case let .binary(b):
            for b0 in 0..<n { for c in 0..<dims[1] { for i in 0..<area {
                let (u, v) = (broadcastValue(xs[0], b0, c, i), broadcastValue(xs[1], b0, c, i))
                let r: Double
                switch b.kind {
                case .add: r = u + v
                case .sub: r = u - v
                case .mul: r = u * v
                case .div: r = u / v
                case .max: r = max(u, v)
                case .min: r = min(u, v)
                }
                y[(b0 * dims[1] + c) * area + i] = r
            } } }
        case let .channelShuffle(groups):
            let perGroup = dims[1] / groups
            for b0 in 0..<n { for i in 0..<groups { for j in 0..<perGroup { for p in 0..<area {
                y[(b0 * dims[1] + j * groups + i) * area + p] = x.values[(b0 * dims[1] + i * perGroup + j) * area + p]
            } } } }
        case let .adaptiveAveragePooling(a):
            // PyTorch's windows: rows floor(i H / Ho) ..< ceil((i + 1) H / Ho), columns alike.
            let (h, w) = (x.dims[2], x.dims[3])
            func window(_ i: Int, _ input: Int, _ output: Int) -> Range<Int> {
                Int((Double(i * input) / Double(output)).rounded(.down))..<Int((Double((i + 1) * input) / Double(output)).rounded(.up))
            }
            for b0 in 0..<n { for c in 0..<dims[1] { for i in 0..<a.height { for j in 0..<a.width {
                let (rows, columns) = (window(i, h, a.height), window(j, w, a.width))
                var total = 0.0
                for r in rows { for q in columns { total += x.values[((b0 * dims[1] + c) * h + r) * w + q] } }
                y[((b0 * dims[1] + c) * a.height + i) * a.width + j] = total / Double(rows.count * columns.count)
            } } } }
        case let .channels(start, _):
            for b0 in 0..<n { for c in 0..<dims[1] { for i in 0..<area {
                y[(b0 * dims[1] + c) * area + i] = x.values[(b0 * x.dims[1] + start + c) * area + i]
            } } }
        case .softmax, .layerNormalization, .channelReduction:
            // Over the channels at each position (over the values of a vector).
            let scale = op.kind == "layernorm" ? parameter("scale") : [], shift = op.kind == "layernorm" ? parameter("shift") : []
            for b0 in 0..<n { for i in 0..<inArea {
                let values = (0..<x.dims[1]).map { x.values[(b0 * x.dims[1] + $0) * inArea + i] }
                switch op {
                case .softmax:
                    let top = values.max()!, e = values.map { exp($0 - top) }, total = e.reduce(0, +)
                    for c in 0..<values.count { y[(b0 * dims[1] + c) * area + i] = e[c] / total }
                case let .layerNormalization(epsilon):
                    let mean = values.reduce(0, +) / Double(values.count)
                    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
                    let spread = (variance + Double(epsilon)).squareRoot()
                    for c in 0..<values.count {
                        let normalised: Double = (values[c] - mean) / spread
                        y[(b0 * dims[1] + c) * area + i] = normalised * scale[c] + shift[c]
                    }
                case let .channelReduction(r):
                    let v: Double
                    switch r.kind {
                    case .mean: v = values.reduce(0, +) / Double(values.count)
                    case .max: v = values.max()!
                    case .min: v = values.min()!
                    case .sum: v = values.reduce(0, +)
                    }
                    y[b0 * area + i] = v
                default: break
                }
            } }
        case let .resize(r):
            let (ih, iw) = (x.dims[2], x.dims[3])
            func source(_ o: Int, _ input: Int, _ output: Int, _ given: Float?) -> Double {
                let scale = given.map(Double.init) ?? Double(output) / Double(input)
                switch r.coordinates {
                case .halfPixel: return (Double(o) + 0.5) / scale - 0.5
                case .pytorchHalfPixel: return output > 1 ? (Double(o) + 0.5) / scale - 0.5 : 0
                case .alignCorners: return output > 1 ? Double(o) * Double(input - 1) / Double(output - 1) : 0
                case .asymmetric: return Double(o) / scale
                }
            }
            func at(_ b0: Int, _ c: Int, _ yy: Int, _ xx: Int) -> Double {
                x[b0, c, min(max(yy, 0), ih - 1), min(max(xx, 0), iw - 1)]
            }
            func nearest(_ v: Double) -> Int {
                let f = v - floor(v)
                switch r.rounding {
                case .roundPreferFloor: return Int(f == 0.5 ? floor(v) : v.rounded())
                case .roundPreferCeil: return Int(f == 0.5 ? ceil(v) : v.rounded())
                case .floor: return Int(floor(v))
                case .ceil: return Int(ceil(v))
                }
            }
            for b0 in 0..<n { for c in 0..<dims[1] { for oy in 0..<dims[2] { for ox in 0..<dims[3] {
                let sy = source(oy, ih, dims[2], r.scales?[0]), sx = source(ox, iw, dims[3], r.scales?[1])
                let v: Double
                if r.mode == Resize.Mode.nearest {
                    v = at(b0, c, nearest(sy), nearest(sx))
                } else {
                    let (y0, x0) = (Int(floor(sy)), Int(floor(sx))), (ty, tx) = (sy - floor(sy), sx - floor(sx))
                    v = (1 - ty) * ((1 - tx) * at(b0, c, y0, x0) + tx * at(b0, c, y0, x0 + 1))
                        + ty * ((1 - tx) * at(b0, c, y0 + 1, x0) + tx * at(b0, c, y0 + 1, x0 + 1))
                }
                y[((b0 * dims[1] + c) * dims[2] + oy) * dims[3] + ox] = v
            } } } }
        case let .pad(p):
            let (h, w) = (x.dims[2], x.dims[3])
            func index(_ i: Int, _ size: Int) -> Int? {
                if (0..<size).contains(i) { return i }
                switch p.mode {
                case .constant: return nil
                case .edge: return min(max(i, 0), size - 1)
                case .reflect: return i < 0 ? -i : 2 * (size - 1) - i
                }
            }
            var fill = 0.0
            if case let .constant(value) = p.mode { fill = Double(value) }
            for b0 in 0..<n { for c in 0..<dims[1] { for oy in 0..<dims[2] { for ox in 0..<dims[3] {
                let v: Double
                if let yy = index(oy - p.top, h), let xx = index(ox - p.left, w) { v = x[b0, c, yy, xx] } else { v = fill }
                y[((b0 * dims[1] + c) * dims[2] + oy) * dims[3] + ox] = v
            } } } }
        default:
            preconditionFailure("not an imported operation: \(op)")
        }
        return y
    }
}
