import Datasets
import Numerics

/// How an image's pixel bytes become the numbers the network's first layer reads: input
/// channel `c` is `scale[c] * byte(source[c]) + shift[c]`, where `source[c]` is the
/// stored channel it takes (a permutation: BGR models read the stored RGB reversed).
///
/// Applied while the bytes are copied into the engine's input (which happens anyway), so
/// a normalisation costs nothing: an imported model's `--input-scale`, `--mean`, `--std`
/// and `--bgr`, and a model's own normalisation of its input, end up here rather than in
/// a node of the graph. (A separate 1x1 convolution before the first layer cost a
/// reorder to a blocked layout and sent the next convolution to oneDNN's reference
/// kernel: 95x slower for a torchvision ResNet-18.)
public struct InputTransform: Equatable, Sendable, CustomStringConvertible {
    public var scale: [Float]
    public var shift: [Float]
    public var source: [Int]

    /// `scale[c] * byte(source[c]) + shift[c]`; `source` defaults to the identity.
    public init(scale: [Float], shift: [Float], source: [Int]? = nil) {
        precondition(scale.count == shift.count && (source?.count ?? scale.count) == scale.count)
        self.scale = scale
        self.shift = shift
        self.source = source ?? Array(scale.indices)
    }

    /// cnn-inte's own convention, which its networks train on: `byte / 255`.
    public static func standard(channels: Int) -> InputTransform {
        InputTransform(scale: [Float](repeating: 1 / 255, count: channels), shift: [Float](repeating: 0, count: channels))
    }

    public var channels: Int { scale.count }

    public var isStandard: Bool { self == .standard(channels: channels) }

    /// This transform followed by `a[c] * x + b[c]` on each of its channels (a model's own
    /// normalisation of what it is given).
    public func followed(byScale a: [Float], shift b: [Float]) -> InputTransform {
        precondition(a.count == channels && b.count == channels)
        return InputTransform(scale: (0..<channels).map { a[$0] * scale[$0] }, shift: (0..<channels).map { a[$0] * shift[$0] + b[$0] },
                              source: source)
    }

    public var description: String {
        let identity = source == Array(0..<channels)
        return (0..<channels).map { c in
            "\(scale[c]) * byte\(identity ? "" : "[\(source[c])]") + \(shift[c])"
        }.joined(separator: "; ")
    }

    /// Writes images `indices` of `images` into `target`, planar (NCHW): each image's
    /// interleaved channels (HWC) into planes, transformed; the images spread over the
    /// cores (on one core, a MobileNetV3-Small at 224x224 ran 763 images/s, on two 842:
    /// docs/MODELS.md).
    func write(_ images: ImageSet, indices: ArraySlice<Int>, into target: UnsafeMutablePointer<Float>) {
        let pixels = images.pixelsPerImage, channels = images.channels, plane = images.rows * images.columns
        precondition(channels == self.channels, "\(channels)-channel images for a \(self.channels)-channel input")
        let list = Array(indices)
        Parallel.forRanges(list.count, grain: max(1, 16_384 / max(pixels, 1))) { range in
            for slot in range {
                images.withImage(list[slot]) { buffer in
                    let from = buffer.baseAddress!, to = target + slot * pixels
                    for c in 0..<channels {
                        let (a, b, s, out) = (scale[c], shift[c], source[c], to + c * plane)
                        for p in 0..<plane { out[p] = a * Float(from[p * channels + s]) + b }
                    }
                }
            }
        }
    }

    /// Transforms planar images already written as `byte / 255` (the augmentation's
    /// output) in place: channel `c` becomes `scale[c] * 255 * x(source[c]) + shift[c]`.
    func apply(toStandard target: UnsafeMutablePointer<Float>, images count: Int, plane: Int) {
        guard !isStandard else { return }
        var scratch = [Float](repeating: 0, count: channels * plane)
        for image in 0..<count {
            let base = target + image * channels * plane
            scratch.withUnsafeMutableBufferPointer { copy in
                copy.baseAddress!.update(from: base, count: channels * plane)
                for c in 0..<channels {
                    let (a, b, from, out) = (scale[c] * 255, shift[c], copy.baseAddress! + source[c] * plane, base + c * plane)
                    for p in 0..<plane { out[p] = a * from[p] + b }
                }
            }
        }
    }
}
