import CImageCodecs
import Foundation

/// Encodes 8-bit HWC images (1 or 3 channels) to PNG or JPEG bytes: for the generated
/// colour data set, the bench and tests.
public enum ImageEncoder {
    public enum Format { case png, jpeg(quality: Int) }

    /// The encoded file, or nil if the encoder fails (it only does on absurd sizes).
    public static func encode(_ pixels: [UInt8], rows: Int, columns: Int, channels: Int, format: Format) -> [UInt8]? {
        precondition(pixels.count == rows * columns * channels && (channels == 1 || channels == 3))
        var size = 0
        let quality: Int32
        switch format {
        case .png: quality = 0
        case let .jpeg(q): quality = Int32(min(max(q, 1), 100))
        }
        guard let buffer = pixels.withUnsafeBufferPointer({
            cnninte_image_encode($0.baseAddress, Int32(columns), Int32(rows), Int32(channels), quality, &size)
        }) else { return nil }
        defer { cnninte_image_free(buffer) }
        return Array(UnsafeBufferPointer(start: buffer, count: size))
    }
}
