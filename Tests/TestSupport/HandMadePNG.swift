import Foundation

/// PNG files written by hand, byte by byte, so the decoder tests can make what
/// ImageEncoder does not write: 16-bit samples, palettes with transparency, grey + alpha,
/// 0-pixel and enormous headers. The image data is one stored (uncompressed) deflate block.
public enum HandMadePNG {
    /// `rows` of raw scanline bytes (without the filter byte) in a PNG of the given
    /// colour type (0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA) and bit depth.
    public static func file(width: Int, height: Int, bitDepth: UInt8, colourType: UInt8, rows: [[UInt8]],
                     palette: [UInt8]? = nil, transparency: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(width) + be32(height) + [bitDepth, colourType, 0, 0, 0])
        if let palette { out += chunk("PLTE", palette) }
        if let transparency { out += chunk("tRNS", transparency) }
        let raw: [UInt8] = rows.flatMap { (row: [UInt8]) -> [UInt8] in [0] + row }  // filter type 0 on every row
        out += chunk("IDAT", zlibStored(raw))
        out += chunk("IEND", [])
        return out
    }

    static func be32(_ v: Int) -> [UInt8] { [UInt8((v >> 24) & 255), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)] }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return be32(data.count) + typed + be32(Int(crc32(typed)))
    }

    /// A zlib stream of one stored block (data up to 65,535 bytes) and its Adler-32.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        precondition(data.count <= 65_535)
        let n = data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
        return [0x78, 0x01, 0x01, UInt8(n & 255), UInt8(n >> 8), UInt8(~n & 255), UInt8((~n >> 8) & 255)] + data + be32(Int((b << 16) | a))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            c ^= UInt32(byte)
            for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }
}
