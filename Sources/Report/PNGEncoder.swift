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
        return container(width: width, height: height, colourType: 2, idat: zlibStream(raw, count: rawCount, level: 1), dpi: dpi)
    }

    /// The PNG of an image in cnn-inte's own layout (rows x columns x channels bytes), each
    /// pixel drawn as `scale` x `scale` pixels. One channel is grey drawn as ink on paper
    /// (0 white, 255 black), three are RGB in their own colours. Written as 8-bit grey or
    /// RGB without Cairo: libpng's set-up and zlib's full-size tables cost more than the
    /// pixels of a 56 x 56 picture, and a report writes tens of thousands of them.
    public static func encode(image pixels: [UInt8], rows: Int, columns: Int, channels: Int, scale: Int) -> [UInt8] {
        precondition(channels == 1 || channels == 3, "PNGEncoder: 1 or 3 channels")
        precondition(rows > 0 && columns > 0 && scale > 0 && pixels.count == rows * columns * channels)
        let width = columns * scale, height = rows * scale
        let rowBytes = 1 + channels * width
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        // One filtered row per image row, "None" filtered; its `scale - 1` copies below are
        // "Up" filtered, so all zeros (the array starts zeroed).
        for r in 0..<rows {
            let first = r * scale * rowBytes
            raw[first] = 0
            for c in 0..<columns {
                for k in 0..<channels {
                    let v = channels == 1 ? 255 - pixels[r * columns + c] : pixels[(r * columns + c) * 3 + k]
                    for s in 0..<scale { raw[first + 1 + (c * scale + s) * channels + k] = v }
                }
            }
            for copy in 1..<scale { raw[first + copy * rowBytes] = 2 }
        }
        let idat = raw.withUnsafeBufferPointer { zlibStream($0.baseAddress!, count: raw.count, level: 6) }
        return container(width: width, height: height, colourType: channels == 1 ? 0 : 2, idat: idat, dpi: nil)
    }

    /// `count` bytes as one zlib stream. The window and hash table are sized to the data
    /// (zlib's defaults allocate and clear about 256 KB whatever the input), which is most
    /// of the cost for small pictures and changes nothing for large ones.
    static func zlibStream(_ raw: UnsafePointer<UInt8>, count: Int, level: Int32) -> [UInt8] {
        var windowBits: Int32 = 9
        while windowBits < 15 && (1 << windowBits) < count + 262 { windowBits += 1 }
        let memLevel = max(1, min(8, windowBits - 7))
        var stream = z_stream()
        var status = deflateInit2_(&stream, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "zlib deflateInit2 failed with \(status)")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(count)))
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
            stream.next_in = UnsafeMutablePointer(mutating: raw)
            stream.avail_in = uInt(count)
            stream.next_out = buffer.baseAddress
            stream.avail_out = uInt(bound)
            status = deflate(&stream, Z_FINISH)
            precondition(status == Z_STREAM_END, "zlib deflate failed with \(status)")
            written = Int(stream.total_out)
        }
    }

    /// The PNG file around a compressed IDAT: 8 bits per sample, no interlace; the
    /// resolution chunk only when `dpi` is given.
    static func container(width: Int, height: Int, colourType: UInt8, idat: [UInt8], dpi: Double?) -> [UInt8] {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(width)) + bigEndian(UInt32(height))
        header += [8, colourType, 0, 0, 0]  // 8 bits, grey or RGB, deflate, adaptive filtering, no interlace
        chunk("IHDR", header, into: &png)
        if let dpi {
            let perMetre = UInt32((dpi / 0.0254).rounded())
            chunk("pHYs", bigEndian(perMetre) + bigEndian(perMetre) + [1], into: &png)
        }
        chunk("IDAT", idat, into: &png)
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
