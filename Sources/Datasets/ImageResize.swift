import Foundation
import Numerics

/// Resizing images to one size (`--resize HxW`), each axis on its own: area averaging
/// along an axis that shrinks (every source pixel counts in proportion to its overlap, so
/// nothing aliases), bilinear along an axis that grows (pixel centres aligned, edges
/// clamped: PIL's and torchvision's `align_corners=False`). Separable, so a 1,000x800
/// photo to 32x32 costs two passes of weights computed once per size.
public enum ImageResize {
    /// The source pixels and weights that make each output position along one axis.
    struct AxisWeights {
        var first: [Int] = []   // first source index of each output position
        var weights: [[Float]] = []

        init(from source: Int, to target: Int) {
            let scale = Double(source) / Double(target)
            for o in 0..<target {
                if target < source {
                    // Area: the output pixel covers [o * scale, (o + 1) * scale).
                    let start = Double(o) * scale, end = Double(o + 1) * scale
                    let lo = Int(start.rounded(.down)), hi = min(source, Int(end.rounded(.up)))
                    var w: [Float] = []
                    for s in lo..<hi {
                        let overlap = min(end, Double(s + 1)) - max(start, Double(s))
                        w.append(Float(overlap / scale))
                    }
                    first.append(lo); weights.append(w)
                } else {
                    // Bilinear between the two nearest source centres.
                    let centre = min(max((Double(o) + 0.5) * scale - 0.5, 0), Double(source - 1))
                    let lo = Int(centre.rounded(.down)), t = Float(centre - Double(lo))
                    if lo + 1 < source && t > 0 { first.append(lo); weights.append([1 - t, t]) }
                    else { first.append(lo); weights.append([1]) }
                }
            }
        }
    }

    /// The weights of one source size to one target size, made once for every image of
    /// that size.
    struct Plan {
        let rows, columns, targetRows, targetColumns: Int
        let across, down: AxisWeights

        init(rows: Int, columns: Int, toRows targetRows: Int, columns targetColumns: Int) {
            (self.rows, self.columns, self.targetRows, self.targetColumns) = (rows, columns, targetRows, targetColumns)
            across = AxisWeights(from: columns, to: targetColumns)
            down = AxisWeights(from: rows, to: targetRows)
        }
    }

    /// One image of `rows` x `columns` x `channels` bytes resized to `targetRows` x
    /// `targetColumns`, rounded to the nearest byte.
    public static func resize(_ source: UnsafeBufferPointer<UInt8>, rows: Int, columns: Int, channels: Int,
                              toRows targetRows: Int, columns targetColumns: Int,
                              into target: UnsafeMutableBufferPointer<UInt8>) {
        resize(source, plan: Plan(rows: rows, columns: columns, toRows: targetRows, columns: targetColumns), channels: channels, into: target)
    }

    static func resize(_ source: UnsafeBufferPointer<UInt8>, plan: Plan, channels: Int, into target: UnsafeMutableBufferPointer<UInt8>) {
        let (rows, columns, targetRows, targetColumns) = (plan.rows, plan.columns, plan.targetRows, plan.targetColumns)
        precondition(source.count >= rows * columns * channels && target.count >= targetRows * targetColumns * channels)
        let (across, down) = (plan.across, plan.down)
        // Pass 1: every source row resized across, kept in Float.
        var middle = [Float](repeating: 0, count: rows * targetColumns * channels)
        for r in 0..<rows {
            for o in 0..<targetColumns {
                let s0 = across.first[o]
                for c in 0..<channels {
                    var sum: Float = 0
                    for (k, w) in across.weights[o].enumerated() { sum += w * Float(source[(r * columns + s0 + k) * channels + c]) }
                    middle[(r * targetColumns + o) * channels + c] = sum
                }
            }
        }
        // Pass 2: down the columns.
        for o in 0..<targetRows {
            let s0 = down.first[o]
            for x in 0..<(targetColumns * channels) {
                var sum: Float = 0
                for (k, w) in down.weights[o].enumerated() { sum += w * middle[(s0 + k) * targetColumns * channels + x] }
                target[o * targetColumns * channels + x] = UInt8(min(max(sum.rounded(), 0), 255))
            }
        }
    }

    /// Parses `--resize HxW` ("32x32"): both sides 1-4096.
    public static func parseSize(_ text: String) -> (rows: Int, columns: Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let w = Int(parts[1]), (1...4096).contains(h), (1...4096).contains(w) else { return nil }
        return (h, w)
    }
}

extension ImageSet {
    /// Every image resized to `size` (see `ImageResize`), in parallel.
    public func resized(to size: ImageSize) -> ImageSet {
        if size.rows == rows && size.columns == columns { return self }
        let per = size.rows * size.columns * channels, source = pixelsPerImage
        let plan = ImageResize.Plan(rows: rows, columns: columns, toRows: size.rows, columns: size.columns)
        var out = [UInt8](repeating: 0, count: count * per)
        pixels.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                Parallel.forRanges(count, grain: 16) { range in
                    for i in range {
                        ImageResize.resize(UnsafeBufferPointer(rebasing: input[(i * source)..<((i + 1) * source)]), plan: plan,
                                           channels: channels, into: UnsafeMutableBufferPointer(rebasing: output[(i * per)..<((i + 1) * per)]))
                    }
                }
            }
        }
        return ImageSet(count: count, rows: size.rows, columns: size.columns, channels: channels, pixels: out)
    }
}
