import Foundation
import Numerics

/// Light geometric augmentation for training: a small random rotation, scaling and shift
/// of each image, resampled bilinearly. Digits survive these; flips they would not.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Largest rotation either way, in degrees.
    public var rotationDegrees: Double
    /// Largest relative change of size either way (0.1 = 90%..110%).
    public var scale: Double
    /// Largest shift either way along each axis, in pixels.
    public var shiftPixels: Double

    public init(rotationDegrees: Double = 10, scale: Double = 0.1, shiftPixels: Double = 2) {
        self.rotationDegrees = rotationDegrees
        self.scale = scale
        self.shiftPixels = shiftPixels
    }

    /// One image's transform: output pixel (x, y) samples the source at
    /// `a * (x - cx) + b * (y - cy) + cx - tx`, `c * (x - cx) + d * (y - cy) + cy - ty`.
    public struct Transform: Sendable {
        var a, b, c, d, tx, ty: Float
        public static let identity = Transform(a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0)
    }

    /// Draws a transform; called in a fixed order so runs are reproducible.
    public func draw(_ rng: inout SplitMix64) -> Transform {
        let angle = (rng.nextUnit() * 2 - 1) * rotationDegrees * .pi / 180
        let zoom = 1 + (rng.nextUnit() * 2 - 1) * scale
        let tx = (rng.nextUnit() * 2 - 1) * shiftPixels, ty = (rng.nextUnit() * 2 - 1) * shiftPixels
        // Inverse of "scale by zoom, then rotate by angle".
        let inv = 1 / zoom
        return Transform(a: Float(cos(angle) * inv), b: Float(sin(angle) * inv),
                         c: Float(-sin(angle) * inv), d: Float(cos(angle) * inv), tx: Float(tx), ty: Float(ty))
    }

    /// Writes image `index` of `images`, transformed, as floats in [0, 1] at `target`, one
    /// plane per channel (the network's NCHW input); every channel moves together.
    public static func apply(_ t: Transform, images: ImageSet, index: Int, into target: UnsafeMutablePointer<Float>) {
        let (h, w, channels) = (images.rows, images.columns, images.channels)
        let cx = Float(w - 1) / 2, cy = Float(h - 1) / 2
        images.withImage(index) { buffer in
          for channel in 0..<channels {
            let source = buffer.baseAddress! + channel
            let target = target + channel * h * w
            @inline(__always) func pixel(_ x: Int, _ y: Int) -> Float {
                (x < 0 || y < 0 || x >= w || y >= h) ? 0 : Float(source[(y * w + x) * channels])
            }
            for y in 0..<h {
                for x in 0..<w {
                    let dx = Float(x) - cx - t.tx, dy = Float(y) - cy - t.ty
                    let sx = t.a * dx + t.b * dy + cx, sy = t.c * dx + t.d * dy + cy
                    let x0 = Int(floorf(sx)), y0 = Int(floorf(sy))
                    let fx = sx - Float(x0), fy = sy - Float(y0)
                    let top = pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx
                    let bottom = pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx
                    target[y * w + x] = (top * (1 - fy) + bottom * fy) * (1 / 255)
                }
            }
          }
        }
    }
}

extension Augmentation {
    /// `copies` transformed versions of every image (image-major: copies of image 0 first),
    /// rounded back to bytes. Deterministic for a seed: transforms are drawn in order.
    public func augmentedCopies(of images: ImageSet, copies: Int, seed: UInt64) -> ImageSet {
        let pixels = images.pixelsPerImage, channels = images.channels, plane = images.rows * images.columns
        let total = images.count * copies
        var rng = SplitMix64(seed: seed)
        let transforms = (0..<total).map { _ in draw(&rng) }
        var out = [UInt8](repeating: 0, count: total * pixels)
        out.withUnsafeMutableBufferPointer { buffer in
            let op = buffer.baseAddress!
            Parallel.forRanges(total, grain: 64) { range in
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: pixels)
                defer { scratch.deallocate() }
                for j in range {
                    Augmentation.apply(transforms[j], images: images, index: j / copies, into: scratch)
                    // Planes back to interleaved channels.
                    for p in 0..<plane {
                        for c in 0..<channels {
                            op[j * pixels + p * channels + c] = UInt8(max(0, min(255, (scratch[c * plane + p] * 255).rounded())))
                        }
                    }
                }
            }
        }
        return ImageSet(count: total, rows: images.rows, columns: images.columns, channels: channels, pixels: out)
    }
}
