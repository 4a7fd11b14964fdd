import CZlib
import Foundation

/// A PNG writer for opaque Cairo image surfaces, tuned for diagrams: mostly flat white
/// with thin lines and text. Cairo's own writer (libpng at its default level) spent about
/// two thirds of a diagram's render time compressing; zlib at level 1 on `Up`-filtered
/// rows is several times faster for a file within a few per cent of the size.
/// It also records the resolution (pHYs), so a 300 dpi PNG dropped into a paper comes
/// in at its real size.
public enum PNGEncoder {
    /// `pixels` is Cairo's ARGB32/RGB24 layout: 4 bytes per pixel, native-endian
    /// 0xAARRGGBB words, `stride` bytes per row. Alpha is dropped.
    public static func encode(pixels: UnsafePointer<UInt8>, width: Int, height: Int, stride: Int, dpi: Double) -> [UInt8] {
        // Filtered scanlines: one filter byte, then RGB, "Up"-filtered (the difference from
        // the row above), which turns a diagram's flat areas into runs of zeros.
        let rowBytes = 1 + 3 * width
        let rawCount = rowBytes * height
        let raw = UnsafeMutablePointer<UInt8>.allocate(capacity: rawCount)
        defer { raw.deallocate() }
        for y in 0..<height {
            // Little-endian 0xAARRGGBB words: bytes B, G, R, A.
            let row = pixels + y * stride
            let above = y == 0 ? row : pixels + (y - 1) * stride
            let out = raw + y * rowBytes
            out[0] = 2
            if y == 0 {
                for x in 0..<width {
                    out[1 + 3 * x] = row[4 * x + 2]
                    out[2 + 3 * x] = row[4 * x + 1]
                    out[3 + 3 * x] = row[4 * x]
                }
            } else {
                for x in 0..<width {
                    out[1 + 3 * x] = row[4 * x + 2] &- above[4 * x + 2]
                    out[2 + 3 * x] = row[4 * x + 1] &- above[4 * x + 1]
                    out[3 + 3 * x] = row[4 * x] &- above[4 * x]
                }
            }
        }
        var compressedLength = compressBound(uLong(rawCount))
        let compressed = [UInt8](unsafeUninitializedCapacity: Int(compressedLength)) { buffer, count in
            let status = compress2(buffer.baseAddress, &compressedLength, raw, uLong(rawCount), 1)
            precondition(status == Z_OK, "zlib compress2 failed with \(status)")
            count = Int(compressedLength)
        }

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]  // 8 bits, RGB, deflate, adaptive filtering, no interlace
        chunk("IHDR", header, into: &png)
        let perMetre = UInt32((dpi / 0.0254).rounded())
        chunk("pHYs", bigEndian(perMetre) + bigEndian(perMetre) + [1], into: &png)
        chunk("IDAT", compressed, into: &png)
        chunk("IEND", [], into: &png)
        return png
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(data.count))
        png += typeBytes
        png += data
        var crc = crc32(0, typeBytes, uInt(typeBytes.count))
        crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt(data.count)) }
        png += bigEndian(UInt32(crc))
    }
}
