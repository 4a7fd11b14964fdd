import Foundation
import Numerics

/// Lloyd's iterations with Hamerly's bounds: assigning points to their nearest centre and
/// moving the centres, the part of k-means that reads the data again and again.
extension KMeans {
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
            let (next, moved, shift, reseeded) = movedCentroids(data, centroids: centroids, sums: sums, counts: counts, distances: &distances)
            if reseeded { bounded = false }
            centroids = Matrix(rows: k, columns: d, values: next)
            if shift <= tolerance { break }
            if bounded { loosen(upper: &upper, lower: &lower, assignments: assignments, moved: moved) }
        }
        fullPass()
        let inertia = distances.reduce(0.0) { $0 + Double($1) }
        return KMeans(centroids: centroids, assignments: assignments, inertia: inertia, iterations: iterations)
    }

    /// Each centre at the mean of its points (`sums / counts`); an empty cluster re-seeded
    /// with the point farthest from its centre (its distance then 0). Returns the centres,
    /// how far each moved, the total squared shift, and whether any was re-seeded.
    static func movedCentroids(_ data: Matrix, centroids: Matrix, sums: [Double], counts: [Int],
                               distances: inout [Float]) -> (next: [Float], moved: [Float], shift: Double, reseeded: Bool) {
        let (n, d, k) = (data.rows, data.columns, centroids.rows)
        var next = centroids.values
        var taken = Set<Int>()
        var reseeded = false
        for c in 0..<k {
            if counts[c] == 0 {
                var far = -1
                var farValue: Float = -1
                for i in 0..<n where !taken.contains(i) && distances[i] > farValue { farValue = distances[i]; far = i }
                taken.insert(far)
                distances[far] = 0
                for j in 0..<d { next[c * d + j] = data.values[far * d + j] }
                reseeded = true
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
        return (next, moved, shift, reseeded)
    }

    /// Hamerly's bounds after the centres moved by `moved`: each point's upper bound grows by
    /// its centre's move, each lower bound shrinks by the largest move of another centre.
    static func loosen(upper: inout [Float], lower: inout [Float], assignments: [Int], moved: [Float]) {
        var first = 0
        for c in 1..<max(moved.count, 1) where moved[c] > moved[first] { first = c }
        var runnerUp: Float = 0
        for c in 0..<moved.count where c != first { runnerUp = max(runnerUp, moved[c]) }
        for i in 0..<upper.count {
            let a = assignments[i]
            upper[i] += moved[a]
            lower[i] -= a == first ? runnerUp : moved[first]
        }
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
