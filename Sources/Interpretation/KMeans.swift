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

    /// The nearest and second-nearest centre for one row of `dots` (x.c for each centre):
    /// the nearest's index and |c|^2 - 2 x.c for both; adding |x|^2 gives squared distances.
    @inline(__always)
    static func nearestTwo(_ dots: UnsafePointer<Float>, centroidNorms: [Float]) -> (Int, Float, Float) {
        var best = 0
        var bestValue = Float.infinity, secondValue = Float.infinity
        for j in 0..<centroidNorms.count {
            let v = centroidNorms[j] - 2 * dots[j]
            if v < bestValue { secondValue = bestValue; bestValue = v; best = j }
            else if v < secondValue { secondValue = v }
        }
        return (best, bestValue, secondValue)
    }

    static func assignAndSum(_ data: Matrix, norms: [Float], centroids: Matrix,
                             assignments: inout [Int], distances: inout [Float], second: inout [Float]) -> (sums: [Double], counts: [Int]) {
        let (n, d, k) = (data.rows, data.columns, centroids.rows)
        let centroidNorms = rowNorms(centroids)
        let pieces = max(1, min(Parallel.threads, n / 512))
        var partialSums = [[Double]](repeating: [], count: pieces)
        var partialCounts = [[Int]](repeating: [], count: pieces)
        let block = rowsPerBlock
        data.values.withUnsafeBufferPointer { xBuffer in
            centroids.values.withUnsafeBufferPointer { cBuffer in
                assignments.withUnsafeMutableBufferPointer { aBuffer in
                    distances.withUnsafeMutableBufferPointer { dBuffer in
                        second.withUnsafeMutableBufferPointer { secondBuffer in partialSums.withUnsafeMutableBufferPointer { sBuffer in
                            partialCounts.withUnsafeMutableBufferPointer { nBuffer in
                                let (x, c, a, dist) = (xBuffer.baseAddress!, cBuffer.baseAddress!, aBuffer.baseAddress!, dBuffer.baseAddress!)
                                let next = secondBuffer.baseAddress!
                                let (sp, np) = (sBuffer.baseAddress!, nBuffer.baseAddress!)
                                Parallel.forEach(pieces) { piece in
                                    var sums = [Double](repeating: 0, count: k * d)
                                    var counts = [Int](repeating: 0, count: k)
                                    // Float sums over a block of rows, flushed into Double.
                                    var blockSums = [Float](repeating: 0, count: k * d)
                                    let dots = UnsafeMutablePointer<Float>.allocate(capacity: block * k)
                                    defer { dots.deallocate() }
                                    let rows = Parallel.range(piece, of: pieces, count: n)
                                    var r0 = rows.lowerBound
                                    while r0 < rows.upperBound {
                                        let r1 = min(r0 + block, rows.upperBound)
                                        GEMM.sgemm(transB: true, m: r1 - r0, n: k, k: d, a: x + r0 * d, lda: d, b: c, ldb: d,
                                                   c: dots, ldc: k)
                                        blockSums.withUnsafeMutableBufferPointer { blockBuffer in
                                            let blockSum = blockBuffer.baseAddress!
                                            for i in r0..<r1 {
                                                let row = x + i * d
                                                let (best, bestValue, secondValue) = nearestTwo(dots + (i - r0) * k, centroidNorms: centroidNorms)
                                                a[i] = best
                                                dist[i] = max(bestValue + norms[i], 0)
                                                next[i] = max(secondValue + norms[i], 0)
                                                counts[best] += 1
                                                addInPlace(blockSum + best * d, row, d)
                                            }
                                        }
                                        for f in 0..<(k * d) where blockSums[f] != 0 {
                                            sums[f] += Double(blockSums[f])
                                            blockSums[f] = 0
                                        }
                                        r0 = r1
                                    }
                                    (sp + piece).pointee = sums
                                    (np + piece).pointee = counts
                                }
                            }
                        } }
                    }
                }
            }
        }
        var sums = partialSums[0]
        var counts = partialCounts[0]
        for piece in 1..<pieces {
            for i in 0..<(k * d) { sums[i] += partialSums[piece][i] }
            for j in 0..<k { counts[j] += partialCounts[piece][j] }
        }
        return (sums, counts)
    }

    /// Scores only the points `candidates` (Hamerly's pruned step): their nearest and
    /// second-nearest centres from one GEMM over gathered blocks of their rows, written to
    /// `assignments`, `upper` and `lower` (Euclidean distances). Points that changed
    /// centre move their rows between `sums` in candidate order, so the result does not
    /// depend on the thread count.
    static func assignCandidates(_ data: Matrix, norms: [Float], centroids: Matrix, candidates: [Int],
                                 assignments: inout [Int], upper: inout [Float], lower: inout [Float],
                                 sums: inout [Double], counts: inout [Int]) {
        let (d, k, m) = (data.columns, centroids.rows, candidates.count)
        guard m > 0 else { return }
        let centroidNorms = rowNorms(centroids)
        // The centre each candidate leaves (-1: stays).
        var from = [Int](repeating: -1, count: m)
        let block = rowsPerBlock
        let pieces = max(1, min(Parallel.threads, m / 256))
        data.values.withUnsafeBufferPointer { xBuffer in
            centroids.values.withUnsafeBufferPointer { cBuffer in
                assignments.withUnsafeMutableBufferPointer { aBuffer in
                    upper.withUnsafeMutableBufferPointer { uBuffer in
                        lower.withUnsafeMutableBufferPointer { lBuffer in
                            from.withUnsafeMutableBufferPointer { fBuffer in
                                let (x, c, a, u, l, f) = (xBuffer.baseAddress!, cBuffer.baseAddress!, aBuffer.baseAddress!,
                                                          uBuffer.baseAddress!, lBuffer.baseAddress!, fBuffer.baseAddress!)
                                Parallel.forEach(pieces) { piece in
                                    let rows = Parallel.range(piece, of: pieces, count: m)
                                    let gathered = UnsafeMutablePointer<Float>.allocate(capacity: min(block, rows.count) * d)
                                    let dots = UnsafeMutablePointer<Float>.allocate(capacity: min(block, rows.count) * k)
                                    defer { gathered.deallocate(); dots.deallocate() }
                                    var r0 = rows.lowerBound
                                    while r0 < rows.upperBound {
                                        let r1 = min(r0 + block, rows.upperBound)
                                        for r in r0..<r1 { (gathered + (r - r0) * d).update(from: x + candidates[r] * d, count: d) }
                                        GEMM.sgemm(transB: true, m: r1 - r0, n: k, k: d, a: gathered, lda: d, b: c, ldb: d, c: dots, ldc: k)
                                        for r in r0..<r1 {
                                            let i = candidates[r]
                                            let (best, bestValue, secondValue) = nearestTwo(dots + (r - r0) * k, centroidNorms: centroidNorms)
                                            u[i] = max(bestValue + norms[i], 0).squareRoot()
                                            l[i] = max(secondValue + norms[i], 0).squareRoot()
                                            if best != a[i] { f[r] = a[i]; a[i] = best }
                                        }
                                        r0 = r1
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let moves = (0..<m).filter { from[$0] >= 0 }
        guard !moves.isEmpty else { return }
        for r in moves {
            counts[from[r]] -= 1
            counts[assignments[candidates[r]]] += 1
        }
        // Each thread moves its own columns of every moved row, in candidate order.
        data.values.withUnsafeBufferPointer { xBuffer in
            sums.withUnsafeMutableBufferPointer { sBuffer in
                let (x, sp) = (xBuffer.baseAddress!, sBuffer.baseAddress!)
                Parallel.forRanges(d, grain: 128) { columns in
                    for r in moves {
                        let i = candidates[r]
                        let (row, old, new) = (x + i * d, sp + from[r] * d, sp + assignments[i] * d)
                        for j in columns {
                            old[j] -= Double(row[j])
                            new[j] += Double(row[j])
                        }
                    }
                }
            }
        }
    }

    /// Lloyd's iterations. Every iteration assigns each point to its nearest centre and
    /// moves each centre to the mean of its points, until the total squared shift of the
    /// centres is at most `tolerance`.
    ///
    /// Hamerly's bounds (2010) skip the points whose centre cannot change: each point
    /// keeps an upper bound on the distance to its centre and a lower bound on the
    /// distance to every other centre. When a centre moves by s, the upper bounds of its
    /// points grow by s and every lower bound shrinks by the largest move of another
    /// centre. A point whose upper bound is below both its lower bound and half the
    /// distance from its centre to the nearest other centre keeps its centre; only the
    /// rest are scored (`assignCandidates`), and the centres' sums follow the points that
    /// move. After the first iterations most points are settled, so most iterations read
    /// a small part of the data instead of all of it.
    static func lloyd(_ data: Matrix, norms: [Float], initial: Matrix, maxIterations: Int, tolerance: Double) -> KMeans {
        let (n, d, k) = (data.rows, data.columns, initial.rows)
        var centroids = initial
        var assignments = [Int](repeating: 0, count: n)
        var distances = [Float](repeating: 0, count: n)
        var second = [Float](repeating: 0, count: n)
        var upper = [Float](repeating: 0, count: n)
        var lower = [Float](repeating: 0, count: n)
        var sums: [Double] = []
        var counts: [Int] = []
        var iterations = 0
        // Whether the bounds hold; if not, the next assignment scores every point.
        var bounded = false
        func fullPass() {
            (sums, counts) = assignAndSum(data, norms: norms, centroids: centroids, assignments: &assignments,
                                          distances: &distances, second: &second)
            for i in 0..<n {
                upper[i] = distances[i].squareRoot()
                lower[i] = second[i].squareRoot()
            }
            bounded = true
        }
        while iterations < maxIterations {
            iterations += 1
            if bounded && k > 1 {
                let between = KMeans.distances(centroids, to: centroids)
                var half = [Float](repeating: .infinity, count: k)
                for a in 0..<k { for b in 0..<k where b != a { half[a] = min(half[a], between.values[a * k + b] / 2) } }
                // A little slack: the bounds carry Float rounding.
                let candidates = (0..<n).filter { upper[$0] * (1 + 1e-5) >= max(half[assignments[$0]], lower[$0]) }
                assignCandidates(data, norms: norms, centroids: centroids, candidates: candidates, assignments: &assignments,
                                 upper: &upper, lower: &lower, sums: &sums, counts: &counts)
                // An empty cluster is re-seeded from the exact distances of a full pass.
                if counts.contains(0) { fullPass() }
            } else {
                fullPass()
            }
            var next = centroids.values
            var taken = Set<Int>()
            for c in 0..<k {
                if counts[c] == 0 {
                    // Empty cluster: re-seed with the point farthest from its centre.
                    var far = -1
                    var farValue: Float = -1
                    for i in 0..<n where !taken.contains(i) && distances[i] > farValue { farValue = distances[i]; far = i }
                    taken.insert(far)
                    distances[far] = 0
                    for j in 0..<d { next[c * d + j] = data.values[far * d + j] }
                    bounded = false
                } else {
                    let scale = 1 / Double(counts[c])
                    for j in 0..<d { next[c * d + j] = Float(sums[c * d + j] * scale) }
                }
            }
            var shift = 0.0
            var moved = [Float](repeating: 0, count: k)
            for c in 0..<k {
                var s = 0.0
                for j in 0..<d {
                    let delta = Double(next[c * d + j] - centroids.values[c * d + j])
                    s += delta * delta
                }
                shift += s
                moved[c] = Float(s.squareRoot())
            }
            centroids = Matrix(rows: k, columns: d, values: next)
            if shift <= tolerance { break }
            if bounded {
                // The largest move of any centre, and of any centre but the one that moved most.
                var first = 0
                for c in 1..<max(k, 1) where moved[c] > moved[first] { first = c }
                var runnerUp: Float = 0
                for c in 0..<k where c != first { runnerUp = max(runnerUp, moved[c]) }
                for i in 0..<n {
                    let a = assignments[i]
                    upper[i] += moved[a]
                    lower[i] -= a == first ? runnerUp : moved[first]
                }
            }
        }
        fullPass()
        let inertia = distances.reduce(0.0) { $0 + Double($1) }
        return KMeans(centroids: centroids, assignments: assignments, inertia: inertia, iterations: iterations)
    }
}

/// `target += source` over `count` floats, 16 lanes at a time.
@inline(__always)
func addInPlace(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, _ count: Int) {
    var f = 0
    let rt = UnsafeMutableRawPointer(target), rs = UnsafeRawPointer(source)
    while f + 16 <= count {
        let v = rt.loadUnaligned(fromByteOffset: f * 4, as: SIMD16<Float>.self) + rs.loadUnaligned(fromByteOffset: f * 4, as: SIMD16<Float>.self)
        rt.storeBytes(of: v, toByteOffset: f * 4, as: SIMD16<Float>.self)
        f += 16
    }
    while f < count { target[f] += source[f]; f += 1 }
}
