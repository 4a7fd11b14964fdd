import Numerics

/// A convolution as one matrix product over the batch, at inference, where oneDNN 2.6's
/// direct kernels are slow: small output planes.
///
/// oneDNN's direct convolution computes a few output pixels of one image per weight block
/// it loads; on a plane of 4x4 or 2x2 pixels (a ResNet's last stages on 64-pixel images)
/// it reaches half of what its GEMM does on the same arithmetic (2 cores, AVX2: 27 ms
/// against 13 ms for a 512-channel 3x3 convolution of 100 2x2 images). So the images'
/// patches are laid out as rows (im2col, channels-last: tap by tap, each tap's channels
/// contiguous) and multiplied by the weights seen as [filters, taps x channels], for
/// several images at once. The output is channels-last (NHWC), which every later
/// primitive takes.
enum GemmConvolution {
    /// Output planes of at most this many pixels take the GEMM path.
    static let maximumPlane = 64
    /// The im2col buffer holds at most this many floats (16 MiB); more images are done in
    /// several products.
    static let columnBudget = 1 << 22

    /// Fewer filters than this keep oneDNN's direct kernel: a GEMM that narrow runs below
    /// its speed (DenseNet's 32-filter convolutions ran at half onnxruntime's speed).
    static let minimumFilters = 64

    /// Whether convolution `op` producing `outputShape` ([C, H, W]) runs as a GEMM: one
    /// group, a kernel larger than 1x1 (a 1x1 convolution has oneDNN's fast 1x1 kernel),
    /// a small output plane, enough filters, and an activation oneDNN has.
    static func suits(_ op: Convolution, outputShape: [Int]) -> Bool {
        op.groups == 1 && op.kernel.reduce(1, *) > 1 && outputShape.count == 3 && outputShape[0] >= minimumFilters
            && outputShape[1] * outputShape[2] <= maximumPlane && op.activation.eltwises != nil
    }

    /// The same, for node `name` of `graph`, whose output (or that of the addition and
    /// activation fused with it, `fused`) is read by no concatenation: its channels-last
    /// output beside the blocked outputs of oneDNN's convolutions sends a concat to its
    /// plain fallback (GoogLeNet's and DenseNet's).
    static func suits(_ op: Convolution, outputShape: [Int], node name: String, fused: [String] = [], in graph: Graph) -> Bool {
        guard suits(op, outputShape: outputShape) else { return false }
        let consumers = graph.consumers
        return ([name] + fused).allSatisfy { value in
            (consumers[value] ?? []).allSatisfy { graph.node($0).map { $0.op != .concat } ?? true }
        }
    }

    /// Writes the patches of images `images` (NHWC in `source`, dims `input` = [N, C, H, W])
    /// as rows of `columns`: row (n, oh, ow) holds, tap by tap (kh, kw), the C channels at
    /// that tap, zeros where it falls in the padding.
    static func im2col(source: UnsafePointer<Float>, input: [Int], images: Range<Int>, output: [Int], kernel: [Int],
                       stride: [Int], dilation: [Int], paddingBegin: [Int], columns: UnsafeMutablePointer<Float>) {
        let (c, h, w) = (input[1], input[2], input[3])
        let (oh, ow) = (output[2], output[3])
        var row = columns
        for n in images {
            let image = source + n * h * w * c
            for y in 0..<oh {
                for x in 0..<ow {
                    for ky in 0..<kernel[0] {
                        let iy = y * stride[0] - paddingBegin[0] + ky * dilation[0]
                        for kx in 0..<kernel[1] {
                            let ix = x * stride[1] - paddingBegin[1] + kx * dilation[1]
                            if iy >= 0, iy < h, ix >= 0, ix < w {
                                row.update(from: image + (iy * w + ix) * c, count: c)
                            } else {
                                row.update(repeating: 0, count: c)
                            }
                            row += c
                        }
                    }
                }
            }
        }
    }
}

/// `GemmConvolution`'s kernel: the input reordered to NHWC if it is not, the destination
/// filled with the bias (and the residual, when a residual addition is fused into it),
/// one GEMM per group of images adding the products, then the activation in place.
final class GemmConvolutionKernel: Kernel {
    let op: Convolution
    let padding: ResolvedPadding
    let inputDims: [Int]
    let outputDims: [Int]
    let source: DNNLMemory
    let sourceReorder: Step?
    /// The weights as [filters, kh, kw, channels]: the GEMM's B, transposed.
    let weights: WeightView
    let bias: Parameter?
    let output: DNNLMemory
    let residualCopy: Step?
    let residual: Bool
    let activations: [Primitive]
    /// The im2col rows of one product's images.
    let columns: DNNLMemory
    let imagesPerProduct: Int

    /// `residual`: the other input of a fused addition (written into when `inPlace` and
    /// already channels-last); `activation`: the function after the sum.
    init(_ c: KernelContext, _ op: Convolution, residual: DNNLMemory? = nil, activation: Activation, inPlace: Bool = false) throws {
        precondition(!c.training, "GEMM convolutions run at inference only")
        self.op = op
        padding = try c.executor.graph.resolvedPadding(c.node, shapes: c.executor.shapes)
        inputDims = [c.batch] + c.inputShapes[0]
        outputDims = c.outputDims
        (source, sourceReorder) = try Step.copy(c.inputs[0], into: MemoryDescriptor(dims: inputDims, layout: .nhwc))
        let weight = c.parameter("weight")
        weights = try WeightView(weight, layout: MemoryDescriptor(dims: weight.spec.dims, layout: .nhwc))
        bias = c.optionalParameter("bias")
        let destination = MemoryDescriptor(dims: outputDims, layout: .nhwc)
        self.residual = residual != nil
        if let residual, inPlace, residual.descriptor == destination {
            output = residual
            residualCopy = nil
        } else {
            let output = try DNNLMemory(destination)
            self.output = output
            residualCopy = try residual.map { try Step.reorder($0, output) }
        }
        activations = try (activation.eltwises ?? []).map {
            try Primitive(try .eltwiseForward(.inference, $0, data: destination, useDestinationForBackward: false))
        }
        let rowWidth = inputDims[1] * op.kernel.reduce(1, *)
        let rowsPerImage = outputDims[2] * outputDims[3]
        imagesPerProduct = max(1, min(c.batch, GemmConvolution.columnBudget / max(1, rowWidth * rowsPerImage)))
        columns = try DNNLMemory(MemoryDescriptor(dims: [imagesPerProduct * rowsPerImage * rowWidth]))
        if residual == nil { try c.executor.register(c.node.name, output: output) }
    }

    func forward() {
        residualCopy?.run()
        sourceReorder?.run()
        let filters = outputDims[1]
        let rowsPerImage = outputDims[2] * outputDims[3]
        let rowWidth = inputDims[1] * op.kernel.reduce(1, *)
        let out = output.floats
        let rows = outputDims[0] * rowsPerImage
        // The destination starts as the bias (added to the residual when one is fused).
        let b = bias.map { UnsafePointer($0.value.floats) }
        let residual = self.residual
        if b != nil || !residual {
            Parallel.forRanges(rows, grain: 256) { range in
                for r in range {
                    let row = out + r * filters
                    switch (b, residual) {
                    case let (b?, true): for f in 0..<filters { row[f] += b[f] }
                    case let (b?, false): row.update(from: b, count: filters)
                    default: row.update(repeating: 0, count: filters)
                    }
                }
            }
        }
        let w = UnsafePointer(weights.current().floats)
        let input = UnsafePointer(source.floats)
        let columns = self.columns.floats
        var first = 0
        while first < outputDims[0] {
            let last = min(first + imagesPerProduct, outputDims[0])
            let imageColumns = rowsPerImage * rowWidth
            Parallel.forRanges(last - first) { range in
                GemmConvolution.im2col(source: input, input: inputDims, images: (first + range.lowerBound)..<(first + range.upperBound),
                                       output: outputDims, kernel: op.kernel, stride: op.stride, dilation: op.dilation,
                                       paddingBegin: padding.begin, columns: columns + range.lowerBound * imageColumns)
            }
            let m = (last - first) * rowsPerImage
            GEMM.sgemm(transB: true, m: m, n: filters, k: rowWidth, a: columns, lda: rowWidth,
                       b: w, ldb: rowWidth, beta: 1, c: out + first * rowsPerImage * filters, ldc: filters)
            first = last
        }
        for primitive in activations { primitive.execute([(.source, output), (.destination, output)]) }
    }

    func backward() { preconditionFailure("GEMM convolutions run at inference only") }
}
