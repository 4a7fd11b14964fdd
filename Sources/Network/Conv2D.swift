import Foundation
import Numerics

/// 2-D convolution, stride 1, 'same' padding, with a fused activation.
///
/// Shapes: input `[N, H, W, Cin]`, output `[N, H, W, Cout]` (NHWC);
/// `weight` `[KH, KW, Cin, Cout]` (HWIO, TensorFlow's layout), `bias` `[Cout]`.
///
/// Computed as one GEMM per batch (im2col): each output pixel's receptive field becomes a
/// row of `cols` `[N*H*W, KH*KW*Cin]` in (ky, kx, c) order, which is the weight's row
/// order too, so `output = cols x weight`. With NHWC the `Cin` values of each kernel tap
/// are contiguous and copy as one run.
public final class Conv2D: Layer {
    public let name: String
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let kernelSize: Int
    public let activation: Activation
    public let weight: Parameter
    public let bias: Parameter
    public var parameters: [Parameter] { [weight, bias] }

    let height, width, inputChannels, outputChannels: Int
    /// 'same' padding before the image (TensorFlow puts any odd extra after it).
    let padTop: Int
    private let cols = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let gradCols = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init(name: String, inputShape: [Int], outputChannels: Int, kernelSize: Int, activation: Activation) {
        precondition(inputShape.count == 3, "Conv2D takes [height, width, channels] input")
        self.name = name
        self.inputShape = inputShape
        (height, width, inputChannels) = (inputShape[0], inputShape[1], inputShape[2])
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.activation = activation
        self.padTop = (kernelSize - 1) / 2
        outputShape = [height, width, outputChannels]
        weight = Parameter(name: "\(name).weight", shape: [kernelSize, kernelSize, inputChannels, outputChannels])
        bias = Parameter(name: "\(name).bias", shape: [outputChannels])
    }

    var patchSize: Int { kernelSize * kernelSize * inputChannels }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.batch
        let rows = n * height * width
        cols.resize([rows, patchSize])
        im2col(input.pointer, batch: n)
        output.resize([n, height, width, outputChannels])
        BLAS.sgemm(m: rows, n: outputChannels, k: patchSize,
                   a: cols.pointer, lda: patchSize, b: weight.value.pointer, ldb: outputChannels,
                   c: output.pointer, ldc: outputChannels)
        addBiasAndActivate(output.pointer, rows: rows, channels: outputChannels, bias: bias.value.pointer,
                           activation: activation)
        return output
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor? {
        let n = gradOutput.batch
        let rows = n * height * width
        activation.backward(gradOutput.pointer, output: output.pointer, count: gradOutput.count)
        // dW = cols^T x dOut ; db = column sums of dOut
        BLAS.sgemm(transA: true, m: patchSize, n: outputChannels, k: rows,
                   a: cols.pointer, lda: patchSize, b: gradOutput.pointer, ldb: outputChannels,
                   c: weight.gradient.pointer, ldc: outputChannels)
        columnSums(gradOutput.pointer, rows: rows, channels: outputChannels, into: bias.gradient.pointer)
        guard needInputGradient else { return nil }
        // dCols = dOut x W^T, then scatter-add back to the pixels (col2im).
        gradCols.resize([rows, patchSize])
        BLAS.sgemm(transB: true, m: rows, n: patchSize, k: outputChannels,
                   a: gradOutput.pointer, lda: outputChannels, b: weight.value.pointer, ldb: outputChannels,
                   c: gradCols.pointer, ldc: patchSize)
        gradInput.resize([n] + inputShape)
        col2im(into: gradInput.pointer, batch: n)
        return gradInput
    }

    /// Fills `cols` from `input`, one image per task.
    private func im2col(_ input: UnsafePointer<Float>, batch: Int) {
        let (h, w, cin, k, pad, patch) = (height, width, inputChannels, kernelSize, padTop, patchSize)
        let colsPointer = cols.pointer
        Parallel.forRanges(batch) { images in
            for image in images {
                let source = input + image * h * w * cin
                var row = colsPointer + image * h * w * patch
                for y in 0..<h {
                    for x in 0..<w {
                        var tap = row
                        for ky in 0..<k {
                            let sy = y + ky - pad
                            if sy < 0 || sy >= h {
                                tap.update(repeating: 0, count: k * cin)
                                tap += k * cin
                                continue
                            }
                            for kx in 0..<k {
                                let sx = x + kx - pad
                                if sx < 0 || sx >= w {
                                    tap.update(repeating: 0, count: cin)
                                } else {
                                    tap.update(from: source + (sy * w + sx) * cin, count: cin)
                                }
                                tap += cin
                            }
                        }
                        row += patch
                    }
                }
            }
        }
    }

    /// Sums `gradCols` back into image gradients, one image per task (no races: each task
    /// writes only its own image).
    private func col2im(into gradient: UnsafeMutablePointer<Float>, batch: Int) {
        let (h, w, cin, k, pad, patch) = (height, width, inputChannels, kernelSize, padTop, patchSize)
        let colsPointer = UnsafePointer(gradCols.pointer)
        Parallel.forRanges(batch) { images in
            for image in images {
                let target = gradient + image * h * w * cin
                target.update(repeating: 0, count: h * w * cin)
                var row = colsPointer + image * h * w * patch
                for y in 0..<h {
                    for x in 0..<w {
                        var tap = row
                        for ky in 0..<k {
                            let sy = y + ky - pad
                            if sy < 0 || sy >= h { tap += k * cin; continue }
                            for kx in 0..<k {
                                let sx = x + kx - pad
                                if sx >= 0 && sx < w {
                                    let t = target + (sy * w + sx) * cin
                                    for c in 0..<cin { t[c] += tap[c] }
                                }
                                tap += cin
                            }
                        }
                        row += patch
                    }
                }
            }
        }
    }
}
