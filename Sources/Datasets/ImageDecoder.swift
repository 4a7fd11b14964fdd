import CImageCodecs
import Foundation

/// Decodes one image file's bytes (PNG through libpng, JPEG through libjpeg-turbo) to
/// 8-bit samples. The only code that calls the decoders: every check a file can fail is
/// here or in the C wrapper they sit behind (`cnninte_image_codecs.h`).
///
/// - Dimensions are read from the header first, and images of more than
///   `maximumPixels` pixels are refused before any pixel is decoded (a 60-byte PNG can
///   declare 65,535 x 65,535: a decompression bomb).
/// - 16-bit PNGs are reduced to their high byte; palettes are expanded; alpha is dropped
///   (the colour channels kept as stored, as PIL's `convert("RGB")` does); CMYK and YCCK
///   JPEGs are converted to RGB.
/// - Corrupt or truncated data is refused, also where libjpeg would only warn and fill
///   the rest of the image with grey.
///
/// Why not stb_image (Debian's libstb-dev, 2.27): `cnn-inte-fuzz` aborted it on a
/// mutated JPEG within 100,000 inputs (an assertion in `stbi__jpeg_huff_decode`,
/// CVE-2022-29977; the same function has a known use-after-free); see
/// docs/EXPERIMENTS.md, "Decoding images".
public enum ImageDecoder {
    /// 50 megapixels: more than any photograph a CNN is trained on, far below what
    /// would exhaust memory (it is 150 MB decoded as RGB).
    public static let maximumPixels = 50_000_000

    /// What the file's header says.
    public struct Header: Equatable, Sendable {
        public var rows: Int
        public var columns: Int
        /// Channels as stored: 1 grey, 2 grey + alpha, 3 colour, 4 colour + alpha.
        public var storedChannels: Int
        /// Whether the samples in the file are grey (1 or 2 channels).
        public var isGrey: Bool { storedChannels <= 2 }
    }

    /// The header of an image file, or a one-line error naming `path`.
    public static func header(_ bytes: [UInt8], path: String) throws -> Header {
        try readInfo(bytes, path: path).header
    }

    private static func readInfo(_ bytes: [UInt8], path: String) throws -> (header: Header, info: cnninte_image_info) {
        if bytes.isEmpty { throw DatasetError.badFile(path: path, problem: "empty file, not an image") }
        var info = cnninte_image_info()
        var message = [CChar](repeating: 0, count: 256)
        let ok = bytes.withUnsafeBufferPointer { cnninte_image_read_info($0.baseAddress, $0.count, &info, &message, message.count) }
        guard ok == 1 else {
            let reason = problem(message, fallback: "not a PNG or JPEG file")
            throw DatasetError.badFile(path: path, problem: reason == "not a PNG or JPEG file" ? reason : "corrupt image header (\(reason))")
        }
        guard info.width > 0, info.height > 0 else {
            throw DatasetError.badFile(path: path, problem: "image of \(info.height)x\(info.width) pixels")
        }
        let (pixels, overflow) = Int(info.width).multipliedReportingOverflow(by: Int(info.height))
        if overflow || pixels > maximumPixels {
            throw DatasetError.badFile(path: path, problem: "\(info.height)x\(info.width) pixels is more than the limit of \(maximumPixels / 1_000_000) megapixels")
        }
        return (Header(rows: Int(info.height), columns: Int(info.width), storedChannels: Int(info.channels)), info)
    }

    /// Decodes `bytes` as stored: 1 sample per pixel for grey images, 3 for colour, HWC.
    /// `channels` 1 or 3 converts (see `ImageSet.converted`).
    public static func decode(_ bytes: [UInt8], path: String, channels wanted: Int? = nil) throws -> (header: Header, pixels: [UInt8]) {
        let (header, info) = try readInfo(bytes, path: path)
        let native = header.isGrey ? 1 : 3
        var pixels = [UInt8](repeating: 0, count: header.rows * header.columns * native)
        var message = [CChar](repeating: 0, count: 256)
        let ok = bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                withUnsafePointer(to: info) { cnninte_image_decode(source.baseAddress, source.count, $0, target.baseAddress, target.count, &message, message.count) }
            }
        }
        guard ok == 1 else {
            throw DatasetError.badFile(path: path, problem: "corrupt or truncated image (\(problem(message, fallback: "cannot be decoded")))")
        }
        if let wanted, wanted != native {
            pixels = ImageSet(count: 1, rows: header.rows, columns: header.columns, channels: native, pixels: pixels).converted(toChannels: wanted).pixels
        }
        return (header, pixels)
    }

    /// The decoder's message, first letter lower-cased to sit after a colon.
    private static func problem(_ message: [CChar], fallback: String) -> String {
        let text = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = text.first else { return fallback }
        return first.lowercased() + text.dropFirst()
    }
}
