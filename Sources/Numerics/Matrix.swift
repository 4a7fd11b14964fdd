import Foundation

/// A row-major matrix of Float32 values, e.g. one row of hidden-layer activations per image.
public struct Matrix: Codable, Equatable, Sendable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "Matrix: \(values.count) values for \(rows)x\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// The rows of `self`, then the rows of `other` (of the same width).
    public func appendingRows(of other: Matrix) -> Matrix {
        precondition(other.columns == columns, "Matrix: appending rows of width \(other.columns) to width \(columns)")
        return Matrix(rows: rows + other.rows, columns: columns, values: values + other.values)
    }

    public func row(_ index: Int) -> ArraySlice<Float> { values[(index * columns)..<((index + 1) * columns)] }

    /// The rows at `indices`, in that order, as a new matrix. Copied on all cores: on a
    /// large layer the first touch of the new pages costs as much as the copy.
    public func rows(_ indices: [Int]) -> Matrix {
        let d = columns
        let picked = [Float](unsafeUninitializedCapacity: indices.count * d) { out, initialized in
            if d > 0 && !indices.isEmpty {
                values.withUnsafeBufferPointer { source in
                    let (o, x) = (out.baseAddress!, source.baseAddress!)
                    Parallel.forRanges(indices.count, grain: 512) { range in
                        for r in range {
                            precondition(indices[r] >= 0 && indices[r] < rows, "Matrix.rows: row \(indices[r]) of \(rows)")
                            (o + r * d).initialize(from: x + indices[r] * d, count: d)
                        }
                    }
                }
            }
            initialized = indices.count * d
        }
        return Matrix(rows: indices.count, columns: d, values: picked)
    }
}
