import Foundation

/// The IDX file format of MNIST: a big-endian header (two zero bytes, a type code, the
/// number of dimensions, then one UInt32 per dimension) followed by the raw payload.
public enum IDX {
    public static let imagesMagic: UInt32 = 2051  // 0x00000803: unsigned bytes, 3 dimensions
    public static let labelsMagic: UInt32 = 2049  // 0x00000801: unsigned bytes, 1 dimension

    /// Parses an IDX image file already decoded from gzip. `path` only names it in errors.
    public static func parseImages(_ bytes: [UInt8], path: String) throws -> ImageSet {
        let dims = try header(bytes, path: path, magic: imagesMagic, what: "images", dimensions: 3)
        let (count, rows, columns) = (dims[0], dims[1], dims[2])
        // Each side fits in 32 bits, so the product cannot overflow 64; found by the fuzzer
        // when it could (a header declaring 4294967295 x 4294967295 pixels).
        let (pixels, overflow) = rows.multipliedReportingOverflow(by: columns)
        if rows == 0 || columns == 0 || overflow {
            throw DatasetError.badFile(path: path, problem: "header declares images of \(rows)x\(columns) pixels")
        }
        let payload = try checkedPayload(bytes, headerSize: 16, items: count, itemSize: pixels,
                                         what: "images of \(rows)x\(columns)", path: path)
        return ImageSet(count: count, rows: rows, columns: columns, pixels: payload)
    }

    /// Parses an IDX label file already decoded from gzip.
    public static func parseLabels(_ bytes: [UInt8], path: String) throws -> [UInt8] {
        let dims = try header(bytes, path: path, magic: labelsMagic, what: "labels", dimensions: 1)
        return try checkedPayload(bytes, headerSize: 8, items: dims[0], itemSize: 1, what: "labels", path: path)
    }

    /// Encodes images as an IDX file (used by tests and by `data` tooling).
    public static func encode(images: ImageSet) -> [UInt8] {
        var out = bigEndian(imagesMagic)
        for d in [images.count, images.rows, images.columns] { out += bigEndian(UInt32(d)) }
        return out + images.pixels
    }

    /// Encodes labels as an IDX file.
    public static func encode(labels: [UInt8]) -> [UInt8] {
        bigEndian(labelsMagic) + bigEndian(UInt32(labels.count)) + labels
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func readUInt32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (UInt32(bytes[offset]) << 24) | (UInt32(bytes[offset + 1]) << 16)
            | (UInt32(bytes[offset + 2]) << 8) | UInt32(bytes[offset + 3])
    }

    private static func header(_ bytes: [UInt8], path: String, magic: UInt32, what: String,
                               dimensions: Int) throws -> [Int] {
        let headerSize = 4 + 4 * dimensions
        if bytes.isEmpty { throw DatasetError.badFile(path: path, problem: "empty file") }
        if bytes.count < 4 {
            throw DatasetError.badFile(path: path, problem: "too short for an IDX header (\(bytes.count) bytes)")
        }
        let found = readUInt32(bytes, at: 0)
        if found != magic {
            let hint: String
            switch found {
            case imagesMagic: hint = " (this is an IDX images file)"
            case labelsMagic: hint = " (this is an IDX labels file)"
            default: hint = ""
            }
            throw DatasetError.badFile(
                path: path,
                problem: "bad magic number \(found) (0x\(String(found, radix: 16))), expected \(magic) for IDX \(what)\(hint)")
        }
        if bytes.count < headerSize {
            throw DatasetError.badFile(path: path, problem: "truncated IDX header (\(bytes.count) of \(headerSize) bytes)")
        }
        return (0..<dimensions).map { Int(readUInt32(bytes, at: 4 + 4 * $0)) }
    }

    private static func checkedPayload(_ bytes: [UInt8], headerSize: Int, items: Int, itemSize: Int,
                                       what: String, path: String) throws -> [UInt8] {
        let (expected, overflow) = items.multipliedReportingOverflow(by: itemSize)
        let found = bytes.count - headerSize
        if overflow || found < expected {
            throw DatasetError.badFile(
                path: path,
                problem: "short payload: header declares \(items) \(what) (\(expected) bytes) but only \(found) bytes follow")
        }
        if found > expected {
            throw DatasetError.badFile(
                path: path,
                problem: "count mismatch: header declares \(items) \(what) (\(expected) bytes) but \(found) bytes follow")
        }
        return Array(bytes[headerSize...])
    }
}
