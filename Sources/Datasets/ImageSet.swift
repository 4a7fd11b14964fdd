import Foundation

/// A stack of same-sized images, one byte per sample: image after image, each row-major
/// with its channels interleaved (height x width x channels, "HWC"), as decoders and IDX
/// files give them. `channels` is 1 (grey, 0 = background in MNIST-style data) or 3 (RGB).
public struct ImageSet: Equatable, Sendable {
    public let count: Int
    public let rows: Int
    public let columns: Int
    public let channels: Int
    /// `count * rows * columns * channels` bytes.
    public let pixels: [UInt8]

    public init(count: Int, rows: Int, columns: Int, channels: Int = 1, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "images are grey or RGB")
        precondition(pixels.count == count * rows * columns * channels, "pixel buffer does not match its shape")
        self.count = count
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.pixels = pixels
    }

    /// Bytes per image: rows x columns x channels.
    public var pixelsPerImage: Int { rows * columns * channels }

    /// "28x28 grey" or "32x32 RGB", for messages.
    public var shapeDescription: String { "\(rows)x\(columns) \(channels == 1 ? "grey" : "RGB")" }

    /// The pixels of image `index`.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        pixels[(index * pixelsPerImage)..<((index + 1) * pixelsPerImage)]
    }

    /// Images `indices`, in that order.
    public func images(at indices: [Int]) -> ImageSet {
        var out = [UInt8]()
        out.reserveCapacity(indices.count * pixelsPerImage)
        for i in indices { out += image(i) }
        return ImageSet(count: indices.count, rows: rows, columns: columns, channels: channels, pixels: out)
    }

    /// The same images with `channels` channels: grey repeated into R, G and B, or RGB
    /// reduced to grey by ITU-R BT.601 luma (0.299 R + 0.587 G + 0.114 B, rounded), the
    /// weights PIL's `convert("L")` and torchvision's `Grayscale` use.
    public func converted(toChannels target: Int) -> ImageSet {
        precondition(target == 1 || target == 3)
        if target == channels { return self }
        let plane = count * rows * columns
        var out = [UInt8](repeating: 0, count: plane * target)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target3 in
                if target == 3 {
                    for p in 0..<plane {
                        let v = source[p]
                        target3[3 * p] = v; target3[3 * p + 1] = v; target3[3 * p + 2] = v
                    }
                } else {
                    for p in 0..<plane {
                        // Fixed point, 16 fractional bits: 19595 + 38470 + 7471 = 65536.
                        let sum = 19595 * Int(source[3 * p]) + 38470 * Int(source[3 * p + 1]) + 7471 * Int(source[3 * p + 2])
                        target3[p] = UInt8((sum + 32768) >> 16)
                    }
                }
            }
        }
        return ImageSet(count: count, rows: rows, columns: columns, channels: target, pixels: out)
    }
}
