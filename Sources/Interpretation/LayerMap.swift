import Foundation
import Numerics

/// A 2-D map of a layer's activations that keeps neighbourhoods, and so the clusters,
/// apart: UMAP's method (McInnes, Healy and Melville, 2018) in its plain form.
///
/// 1. A Gaussian random projection to `projection` dimensions (Johnson-Lindenstrauss:
///    distances kept within a few percent), so the exact k-nearest-neighbour search below
///    costs a GEMM of 64 rather than 1,024 columns.
/// 2. The `neighbours` nearest points of each (exact, `NearestNeighbours`).
/// 3. Fuzzy weights `exp(-(d - rho_i) / sigma_i)`, `rho_i` the nearest distance and
///    `sigma_i` found by bisection so the weights sum to log2(k); symmetrised as
///    `a + b - ab`.
/// 4. Start from the projection's first two axes, scaled to [-10, 10]; then `epochs`
///    passes of stochastic gradient descent on UMAP's cross-entropy (min_dist 0.1: a =
///    1.577, b = 0.8951), each edge sampled in proportion to its weight, `negatives`
///    random points pushed away per sample, the step falling linearly to 0.
///
/// The descent runs on one thread, in a fixed order from the seed: the same seed gives the
/// same map at any `--threads`.
public enum LayerMap {
    public struct Configuration: Sendable {
        public var neighbours = 15
        public var projection = 64
        public var epochs = 200
        public var negatives = 5
        public var seed: UInt64 = 1
        public init() {}
    }

    static let a: Float = 1.577, b: Float = 0.8951

    /// `data`'s rows through a random `p x columns` projection of N(0, 1/p) entries.
    static func project(_ data: Matrix, to p: Int, rng: inout SplitMix64) -> [Float] {
        let n = data.rows
        let scale = 1 / Float(p).squareRoot()
        let r = Matrix(rows: p, columns: data.columns, values: (0..<(p * data.columns)).map { _ in Float(rng.nextGaussian()) * scale })
        var projected = [Float](repeating: 0, count: n * p)
        data.values.withUnsafeBufferPointer { x in
            r.values.withUnsafeBufferPointer { rp in
                projected.withUnsafeMutableBufferPointer { o in
                    GEMM.sgemm(transB: true, m: n, n: p, k: data.columns, alpha: 1, a: x.baseAddress!, lda: data.columns,
                               b: rp.baseAddress!, ldb: data.columns, c: o.baseAddress!, ldc: p)
                }
            }
        }
        return projected
    }

    /// UMAP's fuzzy graph of the `points` points' neighbours `found`: each directed weight
    /// `exp(-(d - rho) / sigma)` with sigma making the weights sum to log2(k), then each pair
    /// joined as `w + w' - w w'`. The edges `i < j` in order, with their weights.
    static func fuzzyEdges(_ found: NearestNeighbours.Result, points n: Int) -> (heads: [Int32], tails: [Int32], weights: [Float]) {
        let k = found.k
        var directed = [Float](repeating: 0, count: n * k)
        let target = log2(Float(k))
        for i in 0..<n {
            let d = Array(found.distances[(i * k)..<((i + 1) * k)])
            let rho = d.first { $0 > 0 } ?? 0
            var (lo, hi, sigma): (Float, Float, Float) = (0, .infinity, 1)
            for _ in 0..<64 {
                let sum = d.reduce(Float(0)) { $0 + exp(-max($1 - rho, 0) / sigma) }
                if abs(sum - target) < 1e-5 { break }
                if sum > target { hi = sigma; sigma = (lo + hi) / 2 } else { lo = sigma; sigma = hi == .infinity ? sigma * 2 : (lo + hi) / 2 }
            }
            for t in 0..<k { directed[i * k + t] = exp(-max(d[t] - rho, 0) / max(sigma, 1e-6)) }
        }
        var weights: [Int: Float] = [:]  // key i * n + j with i < j
        weights.reserveCapacity(n * k)
        for i in 0..<n {
            for t in 0..<k {
                let j = Int(found.indices[i * k + t])
                let key = min(i, j) * n + max(i, j), w = directed[i * k + t]
                if let old = weights[key] { weights[key] = old + w - old * w } else { weights[key] = w }
            }
        }
        let keys = weights.keys.sorted()
        return (keys.map { Int32($0 / n) }, keys.map { Int32($0 % n) }, keys.map { weights[$0]! })
    }

    /// Two coordinates per row of `data`, `[x0, y0, x1, y1, ...]`.
    /// `progress`, if given, counts 2 x rows steps: the neighbours of each point, then the
    /// descent's epochs.
    public static func embed(_ data: Matrix, configuration c: Configuration = Configuration(), progress: ProgressMeter? = nil) -> [Float] {
        let n = data.rows
        guard n > 2 else { return [Float](repeating: 0, count: 2 * n) }
        var rng = SplitMix64(seed: c.seed)
        // 1. Random projection (entries N(0, 1/p)).
        let p = min(c.projection, data.columns)
        let projected = project(data, to: p, rng: &rng)
        let low = Matrix(rows: n, columns: p, values: projected)
        // 2. Nearest neighbours, each point's own row left out.
        let k = min(c.neighbours, n - 1)
        let found = NearestNeighbours.search(low, in: low, k: k, excluding: Array(0..<n), progress: progress)
        // 3. Fuzzy weights, symmetrised.
        let (heads, tails, w) = fuzzyEdges(found, points: n)
        // 4. Start: the projection's first two axes, scaled into [-10, 10].
        var y = [Float](repeating: 0, count: 2 * n)
        for axis in 0..<2 {
            let column = (0..<n).map { projected[$0 * p + axis] }
            let (lo, hi) = (column.min()!, column.max()!)
            for i in 0..<n { y[2 * i + axis] = hi > lo ? 20 * (column[i] - lo) / (hi - lo) - 10 : 0 }
        }
        // The descent: edge e is sampled every (max weight / w_e) epochs.
        let top = w.max() ?? 1
        let period = w.map { top / max($0, 1e-12) }
        var next = period
        let (a, b) = (Self.a, Self.b)
        y.withUnsafeMutableBufferPointer { yb in
            let yp = yb.baseAddress!
            for epoch in 0..<c.epochs {
                progress?.advance(by: n * (epoch + 1) / c.epochs - n * epoch / c.epochs)
                let alpha = 1 - Float(epoch) / Float(c.epochs)
                for e in 0..<heads.count where next[e] <= Float(epoch + 1) {
                    let (i, j) = (Int(heads[e]), Int(tails[e]))
                    var dx = yp[2 * i] - yp[2 * j], dy = yp[2 * i + 1] - yp[2 * j + 1]
                    var d2 = dx * dx + dy * dy
                    if d2 > 0 {
                        let coefficient = -2 * a * b * pow(d2, b - 1) / (1 + a * pow(d2, b))
                        let gx = min(max(coefficient * dx, -4), 4) * alpha, gy = min(max(coefficient * dy, -4), 4) * alpha
                        yp[2 * i] += gx; yp[2 * i + 1] += gy
                        yp[2 * j] -= gx; yp[2 * j + 1] -= gy
                    }
                    next[e] += period[e]
                    for _ in 0..<c.negatives {
                        let m = rng.nextInt(below: n)
                        if m == i { continue }
                        dx = yp[2 * i] - yp[2 * m]
                        dy = yp[2 * i + 1] - yp[2 * m + 1]
                        d2 = dx * dx + dy * dy
                        let coefficient = d2 > 0 ? 2 * b / ((0.001 + d2) * (1 + a * pow(d2, b))) : 0
                        let gx = coefficient > 0 ? min(max(coefficient * dx, -4), 4) : 4, gy = coefficient > 0 ? min(max(coefficient * dy, -4), 4) : 4
                        yp[2 * i] += gx * alpha
                        yp[2 * i + 1] += gy * alpha
                    }
                }
            }
        }
        return y
    }
}
