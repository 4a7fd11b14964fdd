import Foundation
import Numerics

/// Maps each feature's values to at most 256 ordered bins, so split finding works on byte
/// histograms (as LightGBM and scikit-learn's HistGradientBoosting do). Bin `b` holds the
/// values in `(edges[b-1], edges[b]]`; a split "bin <= b" is the threshold `x <= edges[b]`,
/// so trees trained on bins predict raw values exactly as they were trained.
public struct Binner: Codable, Equatable, Sendable {
    /// Per feature, ascending upper edges of all bins but the last (at most 255).
    public var edges: [[Float]]

    public var features: Int { edges.count }

    /// Edges at quantiles of (a subsample of) `data`; features with at most 256 distinct
    /// values get one bin per value.
    public static func fit(_ data: Matrix, maxBins: Int = 256, subsample: Int = 50_000, seed: UInt64 = 1) -> Binner {
        var rows = Array(0..<data.rows)
        if data.rows > subsample {
            var rng = SplitMix64(seed: seed)
            rows.shuffle(using: &rng)
            rows = Array(rows.prefix(subsample)).sorted()
        }
        var edges = [[Float]](repeating: [], count: data.columns)
        let columns = data.columns
        edges.withUnsafeMutableBufferPointer { out in
            let outPointer = out.baseAddress!
            data.values.withUnsafeBufferPointer { x in
                let xp = x.baseAddress!
                Parallel.forRanges(columns, grain: 16) { features in
                    var values = [Float](repeating: 0, count: rows.count)
                    for f in features {
                        for (slot, r) in rows.enumerated() { values[slot] = xp[r * columns + f] }
                        values.sort()
                        var distinct: [Float] = []
                        distinct.reserveCapacity(min(values.count, 1024))
                        for v in values where distinct.last != v { distinct.append(v) }
                        var featureEdges: [Float] = []
                        if distinct.count <= maxBins {
                            for i in 0..<(distinct.count - 1) { featureEdges.append((distinct[i] + distinct[i + 1]) / 2) }
                        } else {
                            // Quantiles of the values; repeated edges collapse.
                            for q in 1..<maxBins {
                                let position = Double(q) * Double(values.count - 1) / Double(maxBins)
                                let lower = values[Int(position)], upper = values[min(Int(position) + 1, values.count - 1)]
                                let edge = (lower + upper) / 2
                                if featureEdges.last.map({ edge > $0 }) ?? true { featureEdges.append(edge) }
                            }
                        }
                        outPointer[f] = featureEdges
                    }
                }
            }
        }
        return Binner(edges: edges)
    }

    /// The bin of `value`: the number of edges below it (binary search).
    @inline(__always)
    static func bin(_ value: Float, _ edges: UnsafeBufferPointer<Float>) -> UInt8 {
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if edges[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return UInt8(lo)
    }

    /// The bins of every value, row-major: `bins[i * features + f]`.
    public func binRows(_ data: Matrix) -> [UInt8] {
        precondition(data.columns == features, "Binner: \(data.columns) features, fitted on \(features)")
        var bins = [UInt8](repeating: 0, count: data.rows * features)
        let columns = features
        bins.withUnsafeMutableBufferPointer { out in
            let op = out.baseAddress!
            data.values.withUnsafeBufferPointer { x in
                let xp = x.baseAddress!
                Parallel.forRanges(data.rows, grain: 64) { rows in
                    for i in rows {
                        for f in 0..<columns {
                            let v = xp[i * columns + f]
                            op[i * columns + f] = edges[f].withUnsafeBufferPointer { Binner.bin(v, $0) }
                        }
                    }
                }
            }
        }
        return bins
    }

    /// The bins of every value, feature-major: `bins[f * rows + i]`.
    public func transform(_ data: Matrix) -> BinnedMatrix {
        precondition(data.columns == features, "Binner: \(data.columns) features, fitted on \(features)")
        let (n, columns) = (data.rows, data.columns)
        var bins = [UInt8](repeating: 0, count: n * columns)
        bins.withUnsafeMutableBufferPointer { out in
            let op = out.baseAddress!
            data.values.withUnsafeBufferPointer { x in
                let xp = x.baseAddress!
                Parallel.forRanges(columns, grain: 8) { features in
                    for f in features {
                        let e = edges[f]
                        e.withUnsafeBufferPointer { ep in
                            for i in 0..<n {
                                let v = xp[i * columns + f]
                                op[f * n + i] = Binner.bin(v, ep)
                            }
                        }
                    }
                }
            }
        }
        return BinnedMatrix(rows: n, columns: columns, bins: bins)
    }
}

/// Feature-major byte bins of a data matrix.
public struct BinnedMatrix: Sendable {
    public let rows: Int
    public let columns: Int
    public let bins: [UInt8]

    public init(rows: Int, columns: Int, bins: [UInt8]) {
        self.rows = rows
        self.columns = columns
        self.bins = bins
    }

    /// From row-major bins (as `Binner.binRows` gives), transposed in blocks.
    public init(rowMajor: [UInt8], rows: Int, columns: Int) {
        precondition(rowMajor.count == rows * columns)
        var bins = [UInt8](repeating: 0, count: rows * columns)
        bins.withUnsafeMutableBufferPointer { out in
            rowMajor.withUnsafeBufferPointer { source in
                let (op, sp) = (out.baseAddress!, source.baseAddress!)
                Parallel.forRanges(columns, grain: 16) { features in
                    for f in features {
                        for i in 0..<rows { op[f * rows + i] = sp[i * columns + f] }
                    }
                }
            }
        }
        self.init(rows: rows, columns: columns, bins: bins)
    }
}

extension Matrix {
    /// The values column-major (`rows` per column), the layout exact split search reads:
    /// one feature's values over all rows are contiguous, as a `BinnedMatrix`'s bins are.
    public func columnMajorValues() -> [Float] {
        var parts = [self]
        return Matrix.columnMajor(&parts)
    }

    /// The rows of `parts`, one after another, column-major. `parts` is emptied, each part
    /// as soon as it is copied, so (where nothing else holds them) the peak is one copy of
    /// the values plus one part: the new array's pages are committed as they are written.
    public static func columnMajor(_ parts: inout [Matrix]) -> [Float] {
        defer { parts = [] }
        let d = parts.first?.columns ?? 0
        let n = parts.reduce(0) { $0 + $1.rows }
        precondition(parts.allSatisfy { $0.columns == d }, "Matrix.columnMajor: parts of different widths")
        return [Float](unsafeUninitializedCapacity: n * d) { out, initialized in
            var offset = 0
            for p in parts.indices {
                let part = parts[p]
                parts[p] = Matrix(rows: 0, columns: d, values: [])
                if part.rows > 0 && d > 0 {
                    part.values.withUnsafeBufferPointer { source in
                        let (o, x, rows) = (out.baseAddress! + offset, source.baseAddress!, part.rows)
                        // Blocks of 64 rows: each row's features are read once, in order.
                        Parallel.forRanges(d, grain: 64) { features in
                            var r0 = 0
                            while r0 < rows {
                                let r1 = min(r0 + 64, rows)
                                for f in features { for r in r0..<r1 { (o + f * n + r).initialize(to: x[r * d + f]) } }
                                r0 = r1
                            }
                        }
                    }
                }
                offset += part.rows
            }
            initialized = n * d
        }
    }
}
