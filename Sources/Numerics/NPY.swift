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

    /// Writes `matrix` to `path` (atomically: a failed write leaves no partial file).
    public static func write(_ matrix: Matrix, to path: String) throws {
        do {
            try Data(encode(matrix)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw StagedFolder.OutputError(path: path, problem: "cannot be written (\(StagedFolder.reason(error)))")
        }
    }
}
