import Numerics

/// PyTorch's adaptive average pooling (`adaptiveAveragePooling`), at inference. oneDNN's
/// pooling has one window size and stride; these windows differ in size, so the kernel
/// reads the map in plain NCHW and averages plane by plane (`adaptiveAveragePool`), the
/// planes spread over the cores. Its maps are small (VGG's 512 channels of 3x3 to 7x7).
final class AdaptivePoolingKernel: Kernel {
    private(set) var steps: [Step] = []
    let output: DNNLMemory
    private let source: DNNLMemory
    private let rows: [Range<Int>], columns: [Range<Int>]
    private let planes: Int, inputArea: (height: Int, width: Int)

    init(_ c: KernelContext, _ op: AdaptivePooling) throws {
        try inferenceOnly(c)
        let shape = c.inputShapes[0]
        var steps: [Step] = []
        source = try Step.plain(c.inputs[0], &steps)
        output = try DNNLMemory(MemoryDescriptor(dims: c.outputDims))
        rows = AdaptivePooling.windows(input: shape[1], output: op.height)
        columns = AdaptivePooling.windows(input: shape[2], output: op.width)
        (planes, inputArea) = (c.batch * shape[0], (shape[1], shape[2]))
        self.steps = steps
        try c.executor.register(c.node.name, output: output)
    }

    func forward() {
        for step in steps { step.run() }
        let (x, y, rows, columns, area) = (UnsafePointer(source.floats), output.floats, rows, columns, inputArea)
        let (inPlane, outPlane) = (area.height * area.width, rows.count * columns.count)
        Parallel.forRanges(planes, grain: 16) { range in
            for p in range {
                adaptiveAveragePool(x + p * inPlane, width: area.width, rows: rows, columns: columns, into: y + p * outPlane)
            }
        }
    }

    func backward() { preconditionFailure("inference only") }
}

/// One plane, row-major with `width` columns, averaged over each output cell's window:
/// `rows[i]` x `columns[j]` into `y[i * columns.count + j]`.
func adaptiveAveragePool(_ x: UnsafePointer<Float>, width: Int, rows: [Range<Int>], columns: [Range<Int>], into y: UnsafeMutablePointer<Float>) {
    for (i, r) in rows.enumerated() {
        for (j, c) in columns.enumerated() {
            var total: Float = 0
            for a in r { for b in c { total += x[a * width + b] } }
            y[i * columns.count + j] = total / Float(r.count * c.count)
        }
    }
}
