import Foundation
import Numerics

/// Exact k-nearest-neighbour search in a layer's activations (Euclidean): squared
/// distances from a block of queries to every reference row come from one GEMM
/// (|q|^2 - 2 q.r + |r|^2), then the k smallest of each row are kept. Blocks of queries
/// bound the memory to `block x reference rows` floats.
public enum NearestNeighbours {
    public struct Result: Equatable, Sendable {
        /// `k` reference rows per query, nearest first (ties: lower index first).
        public var indices: [Int32]
        /// Their Euclidean distances.
        public var distances: [Float]
        public var k: Int
    }

    /// The `k` nearest rows of `reference` to each row of `queries`. When `excluding` is
    /// given, `excluding[i]` (a reference row, or -1) is never a neighbour of query `i`: an
    /// augmented copy of a training image is not its own source's neighbour.
    public static func search(_ queries: Matrix, in reference: Matrix, k: Int, excluding: [Int]? = nil, block: Int = 512,
                              progress: ProgressMeter? = nil) -> Result {
        precondition(queries.columns == reference.columns, "NearestNeighbours: widths differ")
        let k = min(k, reference.rows - (excluding == nil ? 0 : 1))
        guard k > 0, queries.rows > 0 else { return Result(indices: [], distances: [], k: max(k, 0)) }
        var indices = [Int32](repeating: 0, count: queries.rows * k)
        var distances = [Float](repeating: 0, count: queries.rows * k)
        for start in stride(from: 0, to: queries.rows, by: block) {
            let end = min(start + block, queries.rows)
            defer { progress?.advance(by: end - start) }
            let chunk = queries.rows(Array(start..<end))
            let d2 = KMeans.squaredDistances(chunk, norms: KMeans.rowNorms(chunk), centroids: reference)
            let n = reference.rows
            indices.withUnsafeMutableBufferPointer { ib in
                distances.withUnsafeMutableBufferPointer { db in
                    let (ip, dp) = (ib.baseAddress!, db.baseAddress!)
                    d2.withUnsafeBufferPointer { d in
                        let rowBase = d.baseAddress!
                        Parallel.forRanges(end - start, grain: 8) { range in
                            for r in range {
                                let row = rowBase + r * n
                                let skip = excluding?[start + r] ?? -1
                                // The k best so far, kept sorted (k is small): insertion.
                                var bestD = [Float](repeating: .infinity, count: k), bestI = [Int32](repeating: -1, count: k)
                                for j in 0..<n where j != skip {
                                    let v = max(row[j], 0)
                                    if v >= bestD[k - 1] { continue }
                                    var p = k - 1
                                    while p > 0 && bestD[p - 1] > v { bestD[p] = bestD[p - 1]; bestI[p] = bestI[p - 1]; p -= 1 }
                                    bestD[p] = v
                                    bestI[p] = Int32(j)
                                }
                                for t in 0..<k {
                                    ip[(start + r) * k + t] = bestI[t]
                                    dp[(start + r) * k + t] = bestD[t].squareRoot()
                                }
                            }
                        }
                    }
                }
            }
        }
        return Result(indices: indices, distances: distances, k: k)
    }
}
