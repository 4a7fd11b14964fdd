import Foundation
import Numerics

/// k-means clustering (Lloyd's algorithm) with greedy k-means++ seeding, as scikit-learn
/// does it: each new centre is the best of `2 + ln k` candidates drawn with probability
/// proportional to the squared distance to the nearest centre chosen so far.
///
/// Distances come from one GEMM per iteration: `|x - c|^2 = |x|^2 - 2 x.c + |c|^2`. After
/// the first iteration the GEMM only scores the points whose nearest centre may have
/// changed (Hamerly's bounds, see `lloyd`): the same iterations and assignments as plain
/// Lloyd, for a fraction of the reads. Deterministic for a seed at a given thread count.
public struct KMeans: Sendable {
    public struct Configuration: Codable, Equatable, Sendable {
        public var k: Int
        /// Restarts; the run with the lowest inertia wins. One by default, as scikit-learn does
        /// with k-means++ seeding (n_init="auto"): the greedy seeding makes restarts rarely pay.
        public var restarts = 1
        public var maxIterations = 300
        /// Convergence: total squared centre shift below `tolerance` times the mean
        /// per-feature variance of the data (scikit-learn's rule).
        public var tolerance = 1e-4
        public var seed: UInt64 = 1

        public init(k: Int, restarts: Int = 1, maxIterations: Int = 300, tolerance: Double = 1e-4, seed: UInt64 = 1) {
            self.k = k
            self.restarts = restarts
            self.maxIterations = maxIterations
            self.tolerance = tolerance
            self.seed = seed
        }
    }

    /// `k x d` centres, row-major.
    public var centroids: Matrix
    /// Cluster of each point.
    public var assignments: [Int]
    /// Sum of squared distances of points to their centres.
    public var inertia: Double
    public var iterations: Int

    public var k: Int { centroids.rows }

    /// Clusters the rows of `data`. `k` larger than the number of points is an error.
    /// No cluster is ever empty: with fewer distinct points than `k` (duplicate or blank
    /// images), `k` is reduced to their number, and a cluster Lloyd's iterations leave
    /// empty is dropped. `k` on the result says how many there are.
    public static func fit(_ data: Matrix, configuration: Configuration) throws -> KMeans {
        guard configuration.k >= 1 else { throw InterpretationError.invalidOption("k must be at least 1 (got \(configuration.k))") }
        guard configuration.k <= data.rows else {
            throw InterpretationError.invalidOption("k = \(configuration.k) is larger than the \(data.rows) points to cluster")
        }
        let k = distinctRows(data, atMost: configuration.k)
        let norms = rowNorms(data)
        let variance = meanVariance(data)
        var best: KMeans?
        for restart in 0..<max(1, configuration.restarts) {
            var rng = SplitMix64(seed: configuration.seed).derived(UInt64(restart))
            let seeds = plusPlusSeeds(data, norms: norms, k: k, rng: &rng)
            let run = lloyd(data, norms: norms, initial: seeds, maxIterations: configuration.maxIterations,
                            tolerance: configuration.tolerance * variance)
            if best == nil || run.inertia < best!.inertia { best = run }
        }
        return best!.withoutEmptyClusters()
    }

    /// How many distinct rows `data` has, counting up to `limit` (so on ordinary data it
    /// stops after about `limit` rows).
    static func distinctRows(_ data: Matrix, atMost limit: Int) -> Int {
        var seen = Set<[Float]>()
        for i in 0..<data.rows {
            seen.insert(Array(data.row(i)))
            if seen.count >= limit { return limit }
        }
        return max(1, seen.count)
    }

    /// The same clustering with empty clusters removed and the rest renumbered in order.
    func withoutEmptyClusters() -> KMeans {
        var counts = [Int](repeating: 0, count: k)
        for a in assignments { counts[a] += 1 }
        guard counts.contains(0) else { return self }
        let kept = (0..<k).filter { counts[$0] > 0 }
        var renumber = [Int](repeating: -1, count: k)
        for (new, old) in kept.enumerated() { renumber[old] = new }
        return KMeans(centroids: centroids.rows(kept), assignments: assignments.map { renumber[$0] }, inertia: inertia,
                      iterations: iterations)
    }

    /// Index of the nearest centre for each row of `data`, and the distance to it.
    public func predict(_ data: Matrix) -> (clusters: [Int], distances: [Float]) {
        let d2 = KMeans.squaredDistances(data, norms: KMeans.rowNorms(data), centroids: centroids)
        var clusters = [Int](repeating: 0, count: data.rows)
        var distances = [Float](repeating: 0, count: data.rows)
        for i in 0..<data.rows {
            var bestIndex = 0
            var bestValue = d2[i * k]
            for c in 1..<k where d2[i * k + c] < bestValue { bestValue = d2[i * k + c]; bestIndex = c }
            clusters[i] = bestIndex
            distances[i] = max(bestValue, 0).squareRoot()
        }
        return (clusters, distances)
    }

    /// Euclidean distances of each row of `data` to every centre, `rows x k`.
    public func distances(_ data: Matrix) -> Matrix { KMeans.distances(data, to: centroids) }

    /// Euclidean distances of each row of `data` to each row of `centroids`.
    public static func distances(_ data: Matrix, to centroids: Matrix) -> Matrix {
        let d2 = squaredDistances(data, norms: rowNorms(data), centroids: centroids)
        return Matrix(rows: data.rows, columns: centroids.rows, values: d2.map { max($0, 0).squareRoot() })
    }

    // MARK: - Internals

    static func rowNorms(_ data: Matrix) -> [Float] {
        var norms = [Float](repeating: 0, count: data.rows)
        data.values.withUnsafeBufferPointer { x in
            norms.withUnsafeMutableBufferPointer { out in
                let (xp, op) = (x.baseAddress!, out.baseAddress!)
                Parallel.forRanges(data.rows, grain: 256) { range in
                    for i in range {
                        var s: Float = 0
                        let row = xp + i * data.columns
                        for j in 0..<data.columns { s += row[j] * row[j] }
                        op[i] = s
                    }
                }
            }
        }
        return norms
    }

    static func meanVariance(_ data: Matrix) -> Double {
        guard data.rows > 0 else { return 0 }
        let (n, d) = (data.rows, data.columns)
        // Each column is summed in row order by one thread, so the result does not depend
        // on the thread count; the threads split the columns.
        var perColumn = [Double](repeating: 0, count: d)
        data.values.withUnsafeBufferPointer { x in
            perColumn.withUnsafeMutableBufferPointer { out in
                let (xp, op) = (x.baseAddress!, out.baseAddress!)
                Parallel.forRanges(d, grain: 64) { columns in
                    let width = columns.count
                    var sum = [Double](repeating: 0, count: width)
                    var sumSquares = [Double](repeating: 0, count: width)
                    for i in 0..<n {
                        let row = xp + i * d + columns.lowerBound
                        for j in 0..<width {
                            let v = Double(row[j])
                            sum[j] += v
                            sumSquares[j] += v * v
                        }
                    }
                    let count = Double(n)
                    for j in 0..<width { op[columns.lowerBound + j] = sumSquares[j] / count - (sum[j] / count) * (sum[j] / count) }
                }
            }
        }
        var total = 0.0
        for v in perColumn { total += v }
        return total / Double(d)
    }

    /// `rows x k` squared distances (may be slightly negative from rounding).
    static func squaredDistances(_ data: Matrix, norms: [Float], centroids: Matrix) -> [Float] {
        let (n, k, d) = (data.rows, centroids.rows, data.columns)
        var out = [Float](repeating: 0, count: n * k)
        let centroidNorms = rowNorms(centroids)
        data.values.withUnsafeBufferPointer { x in
            centroids.values.withUnsafeBufferPointer { c in
                out.withUnsafeMutableBufferPointer { o in
                    GEMM.sgemm(transB: true, m: n, n: k, k: d, alpha: -2, a: x.baseAddress!, lda: d,
                               b: c.baseAddress!, ldb: d, c: o.baseAddress!, ldc: k)
                    let op = o.baseAddress!
                    Parallel.forRanges(n, grain: 1024) { range in
                        for i in range {
                            for j in 0..<k { op[i * k + j] += norms[i] + centroidNorms[j] }
                        }
                    }
                }
            }
        }
        return out
    }

    static func plusPlusSeeds(_ data: Matrix, norms: [Float], k: Int, rng: inout SplitMix64) -> Matrix {
        let (n, d) = (data.rows, data.columns)
        let trials = 2 + Int(log(Double(k)))
        var chosen = [rng.nextInt(below: n)]
        var closest = squaredDistances(data, norms: norms, centroids: data.rows(chosen)).map { max($0, 0) }
        while chosen.count < k {
            let total = closest.reduce(0.0) { $0 + Double($1) }
            // Candidates by D^2 sampling (uniform if every point sits on a centre).
            var candidates: [Int] = []
            for _ in 0..<trials {
                if total <= 0 { candidates.append(rng.nextInt(below: n)); continue }
                var target = rng.nextUnit() * total
                var pick = n - 1
                for i in 0..<n {
                    target -= Double(closest[i])
                    if target <= 0 { pick = i; break }
                }
                candidates.append(pick)
            }
            let d2 = squaredDistances(data, norms: norms, centroids: data.rows(candidates))
            var bestCandidate = 0
            var bestPotential = Double.infinity
            var bestClosest = closest
            for t in 0..<candidates.count {
                var potential = 0.0
                var updated = closest
                for i in 0..<n {
                    let v = min(closest[i], max(d2[i * candidates.count + t], 0))
                    updated[i] = v
                    potential += Double(v)
                }
                if potential < bestPotential {
                    bestPotential = potential
                    bestCandidate = t
                    bestClosest = updated
                }
            }
            chosen.append(candidates[bestCandidate])
            closest = bestClosest
        }
        return data.rows(chosen)
    }

    /// One pass over the data: nearest centre of every point (written to `assignments`,
    /// squared distance to `distances`, squared distance to the second-nearest centre to
    /// `second`, infinity when k = 1) and the per-centre sums and counts of the points.
    /// The data is read once, in blocks of `rowsPerBlock` rows that stay in cache (L3)
    /// between the GEMM that scores them and the sums they feed (a hand-written SIMD dot
    /// product measured slower: Swift compiles for baseline x86-64, OpenBLAS picks AVX-512
    /// at run time). Each thread
    /// sums its rows in Float per block, flushed into Double; the threads' sums are added
    /// in a fixed order, so results depend only on the thread count.
    /// Rows per GEMM call. With 256 (1 MiB of a 1,024-wide layer, one L2) the per-call cost
    /// of the GEMM showed, 10-20% slower; 32-64 were slower still.
    static let rowsPerBlock = 1024
}
