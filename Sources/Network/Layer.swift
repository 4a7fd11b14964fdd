/// One named stage of a network. Forward keeps what backward needs; backward turns the
/// gradient of the loss with respect to the output into gradients of the parameters
/// (overwritten, not accumulated) and, when asked, of the input.
///
/// Shapes are per sample, without the batch dimension: `[height, width, channels]` for
/// images (NHWC in memory), `[features]` for vectors.
public protocol Layer: AnyObject {
    var name: String { get }
    var inputShape: [Int] { get }
    var outputShape: [Int] { get }
    var parameters: [Parameter] { get }

    /// `input` is `[batch] + inputShape`. The returned tensor belongs to the layer and is
    /// overwritten by the next call.
    func forward(_ input: Tensor, training: Bool) -> Tensor

    /// `gradOutput` is `[batch] + outputShape` and may be modified in place. Returns the
    /// input gradient when `needInputGradient`, else nil (the first layer skips that work).
    func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor?
}

extension Layer {
    /// Inference: `layer(x)`.
    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input, training: false) }
}

/// The non-linearity fused into a convolution or dense layer.
public enum Activation: String, Codable, Sendable {
    case relu
    case none

    /// Multiplies `gradient` by the activation's derivative, read from its `output`.
    @inline(__always)
    func backward(_ gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int) {
        guard self == .relu else { return }
        Parallel.forRanges(count, grain: 1 << 16) { range in
            // A select rather than a branch, so the loop vectorises.
            for i in range { gradient[i] = output[i] > 0 ? gradient[i] : 0 }
        }
    }
}

/// Adds `bias[c]` to every row of a `rows x channels` matrix and applies the activation,
/// in one pass over the memory.
@inline(__always)
func addBiasAndActivate(_ matrix: UnsafeMutablePointer<Float>, rows: Int, channels: Int, bias: UnsafePointer<Float>,
                        activation: Activation) {
    let relu = activation == .relu
    Parallel.forRanges(rows, grain: max(1, 16_384 / max(channels, 1))) { range in
        for r in range {
            let row = matrix + r * channels
            if relu {
                for c in 0..<channels { row[c] = max(row[c] + bias[c], 0) }
            } else {
                for c in 0..<channels { row[c] += bias[c] }
            }
        }
    }
}

/// Column sums of a `rows x channels` matrix into `out` (the bias gradient). Partial sums
/// per range, combined in range order: deterministic for a given thread count.
func columnSums(_ matrix: UnsafePointer<Float>, rows: Int, channels: Int, into out: UnsafeMutablePointer<Float>) {
    let pieces = max(1, min(Parallel.threads, rows / 256))
    var partial = [Float](repeating: 0, count: pieces * channels)
    partial.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let sums = base + piece * channels
            for r in Parallel.range(piece, of: pieces, count: rows) {
                let row = matrix + r * channels
                for c in 0..<channels { sums[c] += row[c] }
            }
        }
    }
    for c in 0..<channels { out[c] = 0 }
    for piece in 0..<pieces {
        for c in 0..<channels { out[c] += partial[piece * channels + c] }
    }
}

import Foundation
import Numerics
