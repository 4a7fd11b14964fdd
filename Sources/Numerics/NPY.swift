import Foundation

/// NumPy's `.npy` format (version 1.0) for a Float32 matrix, so Python users can load
/// hidden-layer features with `numpy.load`.
public enum NPY {
    public static func encode(_ matrix: Matrix) -> [UInt8] {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(matrix.rows), \(matrix.columns)), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let length = UInt16(header.utf8.count)
        out += [UInt8(length & 0xFF), UInt8(length >> 8)]
        out += Array(header.utf8)
        matrix.values.withUnsafeBytes { out.append(contentsOf: $0) }
        return out
    }

    /// Reads what `encode` writes: a little-endian Float32 matrix, C order, format 1.0.
    public static func decode(_ bytes: [UInt8]) throws -> Matrix {
        struct NotNPY: Error, CustomStringConvertible { var description: String }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8), bytes[6] == 1 else {
            throw NotNPY(description: "not a version 1 .npy file")
        }
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        guard bytes.count >= 10 + length else { throw NotNPY(description: "truncated .npy header") }
        let header = String(decoding: bytes[10..<(10 + length)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NotNPY(description: ".npy header is not a little-endian float32 matrix in C order")
        }
        let dims = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count == 2, dims.allSatisfy({ $0 >= 0 }), bytes.count == 10 + length + 4 * dims[0] * dims[1] else {
            throw NotNPY(description: ".npy shape does not match its data")
        }
        var values = [Float](repeating: 0, count: dims[0] * dims[1])
        values.withUnsafeMutableBytes { $0.copyBytes(from: bytes[(10 + length)...]) }
        return Matrix(rows: dims[0], columns: dims[1], values: values)
    }

    /// Writes `matrix` to `path` (atomically: a failed write leaves no partial file).
    public static func write(_ matrix: Matrix, to path: String) throws {
        do {
            try Data(encode(matrix)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FileError(path: path, problem: "cannot be written (\(FileError.reason(error)))")
        }
    }
}
