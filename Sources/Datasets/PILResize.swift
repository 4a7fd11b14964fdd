import Foundation

/// Resizing as Pillow's `Image.resize(size, Image.BILINEAR)` does it, which is what
/// torchvision's `Resize` does to the PIL images its `ImageFolder` loads: each axis on its
/// own (across, then down, rounded to bytes in between), every output pixel a triangle
/// filter over the source pixels around its centre, widened by the shrink factor when
/// shrinking (antialiasing), with Pillow's 22-bit fixed-point weights and rounding, so the
/// pixels a model sees here are the pixels it saw in training.
public enum PILResize {
    /// Pillow's `PRECISION_BITS` for 8-bit images.
    static let precisionBits = 22

    /// The source span and fixed-point weights of each output position along one axis
    /// (Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc`).
    struct Axis {
        var first: [Int] = []
        var weights: [[Int]] = []

        init(from input: Int, to output: Int) {
            let scale = Double(input) / Double(output)
            let filterScale = max(scale, 1)
            let support = 1.0 * filterScale  // the bilinear (triangle) filter's support is 1
            for o in 0..<output {
                let centre = (Double(o) + 0.5) * scale
                let lo = max(Int(centre - support + 0.5), 0)
                let hi = min(Int(centre + support + 0.5), input)
                var w: [Double] = []
                for x in lo..<max(hi, lo) {
                    let t = abs((Double(x) - centre + 0.5) / filterScale)
                    w.append(t < 1 ? 1 - t : 0)
                }
                let total = w.reduce(0, +)
                if total != 0 { w = w.map { $0 / total } }
                first.append(lo)
                weights.append(w.map { v in Int(v * Double(1 << PILResize.precisionBits) + (v < 0 ? -0.5 : 0.5)) })
            }
        }
    }

    /// One image of `rows` x `columns` x `channels` bytes resized to `targetRows` x
    /// `targetColumns`.
    public static func resize(_ source: [UInt8], rows: Int, columns: Int, channels: Int, toRows targetRows: Int, columns targetColumns: Int) -> [UInt8] {
        precondition(source.count == rows * columns * channels && targetRows > 0 && targetColumns > 0)
        var image = source, width = columns
        if targetColumns != columns {
            let axis = Axis(from: columns, to: targetColumns)
            var out = [UInt8](repeating: 0, count: rows * targetColumns * channels)
            for r in 0..<rows {
                for o in 0..<targetColumns {
                    for c in 0..<channels {
                        var sum = 1 << (precisionBits - 1)
                        for (k, w) in axis.weights[o].enumerated() { sum += Int(image[(r * width + axis.first[o] + k) * channels + c]) * w }
                        out[(r * targetColumns + o) * channels + c] = clip8(sum)
                    }
                }
            }
            (image, width) = (out, targetColumns)
        }
        if targetRows != rows {
            let axis = Axis(from: rows, to: targetRows)
            var out = [UInt8](repeating: 0, count: targetRows * width * channels)
            for o in 0..<targetRows {
                for x in 0..<(width * channels) {
                    var sum = 1 << (precisionBits - 1)
                    for (k, w) in axis.weights[o].enumerated() { sum += Int(image[(axis.first[o] + k) * width * channels + x]) * w }
                    out[o * width * channels + x] = clip8(sum)
                }
            }
            image = out
        }
        return image
    }

    static func clip8(_ sum: Int) -> UInt8 { UInt8(max(0, min(255, sum >> precisionBits))) }
}

/// torchvision's evaluation framing of an image: `Resize(shorter)` (the shorter side to
/// `shorter` pixels, the longer in proportion, truncated) then `CenterCrop(crop)`; either
/// may be absent. (`--resize HxW` is the other way to one size: both sides set, the aspect
/// ratio not kept, as Keras' `image_dataset_from_directory` does.)
public struct ImageFraming: Codable, Equatable, Sendable {
    public var shorter: Int?
    public var crop: ImageSize?

    public init(shorter: Int? = nil, crop: ImageSize? = nil) {
        self.shorter = shorter
        self.crop = crop
    }

    /// "shorter side to 256 (Pillow bilinear), centre 224x224".
    public var description: String {
        [shorter.map { "shorter side to \($0) (Pillow bilinear)" }, crop.map { "centre \($0)" }].compactMap { $0 }.joined(separator: ", ")
    }

    /// The size after `Resize(shorter)` (torchvision's `_compute_resized_output_size`).
    public func resized(rows: Int, columns: Int) -> (rows: Int, columns: Int) {
        guard let shorter else { return (rows, columns) }
        let (short, long) = columns <= rows ? (columns, rows) : (rows, columns)
        let newLong = Int(Double(shorter) * Double(long) / Double(short))
        return columns <= rows ? (newLong, shorter) : (shorter, newLong)
    }

    /// The final size of an image of `rows` x `columns`; nil when the crop is larger than
    /// the resized image (torchvision would pad it with black: refused here instead).
    public func size(rows: Int, columns: Int) -> ImageSize? {
        let resized = resized(rows: rows, columns: columns)
        guard let crop else { return ImageSize(rows: resized.rows, columns: resized.columns) }
        return crop.rows <= resized.rows && crop.columns <= resized.columns ? crop : nil
    }

    /// Why an image of `rows` x `columns` cannot be framed so, in a few words.
    public func problem(rows: Int, columns: Int) -> String {
        let resized = resized(rows: rows, columns: columns)
        return "is \(resized.rows)x\(resized.columns)\(shorter.map { " after --resize-shorter \($0)" } ?? ""), smaller than --center-crop \(crop.map(\.description) ?? "")"
    }

    /// One image framed: resized as Pillow does, then its centre cut out (torchvision's
    /// offsets: half the difference, rounded half to even as Python's `round`).
    public func apply(_ pixels: [UInt8], rows: Int, columns: Int, channels: Int) -> (pixels: [UInt8], rows: Int, columns: Int) {
        let (h, w) = resized(rows: rows, columns: columns)
        let image = (h, w) == (rows, columns) ? pixels : PILResize.resize(pixels, rows: rows, columns: columns, channels: channels, toRows: h, columns: w)
        guard let crop, (crop.rows, crop.columns) != (h, w) else { return (image, h, w) }
        let top = Int((Double(h - crop.rows) / 2).rounded(.toNearestOrEven)), left = Int((Double(w - crop.columns) / 2).rounded(.toNearestOrEven))
        var out = [UInt8](repeating: 0, count: crop.rows * crop.columns * channels)
        for r in 0..<crop.rows {
            let from = ((top + r) * w + left) * channels
            out.replaceSubrange((r * crop.columns * channels)..<((r + 1) * crop.columns * channels), with: image[from..<(from + crop.columns * channels)])
        }
        return (out, crop.rows, crop.columns)
    }
}
