import Foundation

/// A stack of same-sized images, one byte per sample: image after image, each row-major
/// with its channels interleaved (height x width x channels, "HWC"), as decoders and IDX
/// files give them. `channels` is 1 (grey, 0 = background in MNIST-style data) or 3 (RGB).
///
/// The bytes are held in memory, or mapped from raw pixel files (`MappedPixels`: the
/// image shards of a sharded run), in which case only the images a job reads are paged in:
/// read images one at a time through `withImage` or `image`; `pixels` copies them all.
public struct ImageSet: Equatable, Sendable {
    public let count: Int
    public let rows: Int
    public let columns: Int
    public let channels: Int
    private let storage: PixelStorage

    public init(count: Int, rows: Int, columns: Int, channels: Int = 1, pixels: [UInt8]) {
        precondition(channels == 1 || channels == 3, "images are grey or RGB")
        precondition(pixels.count == count * rows * columns * channels, "pixel buffer does not match its shape")
        self.count = count
        self.rows = rows
        self.columns = columns
        self.channels = channels
        self.storage = .bytes(pixels)
    }

    /// The images of `files`, one after another: file `k` holds `files[k].count` whole
    /// images of this shape (and nothing else).
    public init(mapped files: [MappedPixels], rows: Int, columns: Int, channels: Int) {
        precondition(channels == 1 || channels == 3, "images are grey or RGB")
        let per = rows * columns * channels
        var segments: [PixelStorage.Segment] = [], first = 0
        for file in files {
            precondition(per > 0 && file.length % per == 0, "\(file.path) does not hold whole \(rows)x\(columns)x\(channels) images")
            if file.length > 0 { segments.append(.init(file: file, first: first, count: file.length / per)) }
            first += file.length / per
        }
        (self.count, self.rows, self.columns, self.channels) = (first, rows, columns, channels)
        self.storage = .mapped(segments)
    }

    /// Bytes per image: rows x columns x channels.
    public var pixelsPerImage: Int { rows * columns * channels }

    /// "28x28 grey" or "32x32 RGB", for messages.
    public var shapeDescription: String { "\(rows)x\(columns) \(channels == 1 ? "grey" : "RGB")" }

    /// Whether the bytes are mapped from files rather than held.
    public var isMapped: Bool { if case .mapped = storage { return true }; return false }

    /// Every byte, image after image. Held images: the array itself; mapped images: a copy
    /// of all of them (for small sets and whole-set writers only).
    public var pixels: [UInt8] {
        switch storage {
        case let .bytes(bytes): return bytes
        case let .mapped(segments):
            var out = [UInt8](); out.reserveCapacity(count * pixelsPerImage)
            forEachPart { out.append(contentsOf: $0) }
            return out
        }
    }

    /// Calls `body` with the bytes of image `index` (`pixelsPerImage` of them), without
    /// copying them.
    public func withImage<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        precondition(index >= 0 && index < count, "image \(index) of \(count)")
        let per = pixelsPerImage
        switch storage {
        case let .bytes(bytes):
            return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[(index * per)..<((index + 1) * per)])) }
        case let .mapped(segments):
            let s = segments[PixelStorage.segment(of: index, in: segments)]
            return try body(UnsafeBufferPointer(start: s.file.base + (index - s.first) * per, count: per))
        }
    }

    /// Calls `body` with every byte, image after image, in as few contiguous parts as the
    /// storage has (one array, or one part per mapped file).
    public func forEachPart(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        switch storage {
        case let .bytes(bytes): try bytes.withUnsafeBufferPointer(body)
        case let .mapped(segments):
            for s in segments { try body(UnsafeBufferPointer(start: s.file.base, count: s.count * pixelsPerImage)) }
        }
    }

    /// The pixels of image `index`.
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        if case let .bytes(bytes) = storage { return bytes[(index * pixelsPerImage)..<((index + 1) * pixelsPerImage)] }
        return withImage(index) { ArraySlice($0) }
    }

    /// Images `start ..< end`, held in memory.
    public func images(in range: Range<Int>) -> ImageSet {
        images(at: Array(range))
    }

    /// Images `indices`, in that order.
    public func images(at indices: [Int]) -> ImageSet {
        var out = [UInt8]()
        out.reserveCapacity(indices.count * pixelsPerImage)
        for i in indices { withImage(i) { out.append(contentsOf: $0) } }
        return ImageSet(count: indices.count, rows: rows, columns: columns, channels: channels, pixels: out)
    }

    public static func == (a: ImageSet, b: ImageSet) -> Bool {
        guard (a.count, a.rows, a.columns, a.channels) == (b.count, b.rows, b.columns, b.channels) else { return false }
        if case let .bytes(x) = a.storage, case let .bytes(y) = b.storage { return x == y }
        return (0..<a.count).allSatisfy { i in a.withImage(i) { x in b.withImage(i) { y in x.elementsEqual(y) } } }
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
