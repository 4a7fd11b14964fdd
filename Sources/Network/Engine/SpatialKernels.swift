import Foundation
import Numerics

// Resizing and padding a feature map's height and width, from imported models (inference
// only). oneDNN 2.6 has no padding primitive, and its resampling does not offer ONNX's
// coordinate modes; both are loops over plain NCHW planes here, one plane per task.

/// A kernel that brings its input to plain NCHW, then fills its plain output plane by
/// plane with `plane(input, output)` (pointers to one plane each).
class PlaneKernel: Kernel {
    private(set) var steps: [Step] = []
    let source: DNNLMemory
    let output: DNNLMemory
    let inputPlane: Int
    let outputPlane: Int
    let planes: Int

    init(_ c: KernelContext) throws {
        if c.training { throw GraphError("node '\(c.node.name)' (\(c.node.op.kind)) runs at inference only") }
        var steps: [Step] = []
        source = try Step.plain(c.inputs[0], &steps)
        self.steps = steps
        let x = c.inputShapes[0], y = c.outputShape
        (inputPlane, outputPlane, planes) = (x[1] * x[2], y[1] * y[2], c.batch * x[0])
        output = try DNNLMemory(MemoryDescriptor(dims: c.outputDims))
        try c.executor.register(c.node.name, output: output)
    }

    func plane(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {}

    func forward() {
        for step in steps { step.run() }
        let (x, y, inputPlane, outputPlane) = (UnsafePointer(source.floats), output.floats, inputPlane, outputPlane)
        Parallel.forRanges(planes, grain: 1) { range in
            for p in range { self.plane(x + p * inputPlane, y + p * outputPlane) }
        }
    }

    func backward() { preconditionFailure("inference only") }
}

/// ONNX's Resize on height and width: each output coordinate mapped back onto the input
/// (`Resize.Coordinates`), then the nearest pixel (`Resize.Rounding`) or the bilinear
/// blend of the four around it, neighbours beyond the edge clamped to it.
final class ResizeKernel: PlaneKernel {
    /// Per output row and column: the two input indices and the second one's weight.
    let rows: [(Int, Int, Float)]
    let columns: [(Int, Int, Float)]
    let inputWidth: Int

    init(_ c: KernelContext, _ op: Resize) throws {
        let x = c.inputShapes[0]
        rows = Self.taps(input: x[1], output: op.height, scale: op.scales?[0], op)
        columns = Self.taps(input: x[2], output: op.width, scale: op.scales?[1], op)
        inputWidth = x[2]
        try super.init(c)
    }

    /// Where each of `output` positions reads from an axis of `input` positions.
    static func taps(input: Int, output: Int, scale given: Float?, _ op: Resize) -> [(Int, Int, Float)] {
        let scale = Double(given ?? Float(output) / Float(input))
        return (0..<output).map { o in
            let position: Double
            switch op.coordinates {
            case .halfPixel: position = (Double(o) + 0.5) / scale - 0.5
            case .pytorchHalfPixel: position = output > 1 ? (Double(o) + 0.5) / scale - 0.5 : 0
            case .alignCorners: position = output > 1 ? Double(o) * Double(input - 1) / Double(output - 1) : 0
            case .asymmetric: position = Double(o) / scale
            }
            func clamp(_ i: Int) -> Int { min(max(i, 0), input - 1) }
            switch op.mode {
            case .nearest:
                let i: Double
                switch op.rounding {
                case .roundPreferFloor: i = position - position.rounded(.down) == 0.5 ? position.rounded(.down) : position.rounded()
                case .roundPreferCeil: i = position - position.rounded(.down) == 0.5 ? position.rounded(.up) : position.rounded()
                case .floor: i = position.rounded(.down)
                case .ceil: i = position.rounded(.up)
                }
                return (clamp(Int(i)), clamp(Int(i)), 0)
            case .linear:
                let low = position.rounded(.down)
                return (clamp(Int(low)), clamp(Int(low) + 1), Float(position - low))
            }
        }
    }

    override func plane(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        let width = columns.count
        for (r, (r0, r1, ry)) in rows.enumerated() {
            let top = input + r0 * inputWidth, bottom = input + r1 * inputWidth, out = output + r * width
            for (k, (c0, c1, rx)) in columns.enumerated() {
                let a = top[c0] + (top[c1] - top[c0]) * rx, b = bottom[c0] + (bottom[c1] - bottom[c0]) * rx
                out[k] = a + (b - a) * ry
            }
        }
    }
}

/// ONNX's Pad on height and width: a constant, a reflection (without the edge repeated)
/// or the edge repeated.
final class PadKernel: PlaneKernel {
    let op: Pad
    let height: Int
    let width: Int

    init(_ c: KernelContext, _ op: Pad) throws {
        self.op = op
        (height, width) = (c.inputShapes[0][1], c.inputShapes[0][2])
        try super.init(c)
    }

    /// The input index an output index reads along an axis of `n`, or nil for the constant.
    @inline(__always)
    func source(_ i: Int, _ n: Int) -> Int? {
        if i >= 0 && i < n { return i }
        switch op.mode {
        case .constant: return nil
        case .edge: return min(max(i, 0), n - 1)
        case .reflect: return i < 0 ? -i : 2 * (n - 1) - i
        }
    }

    override func plane(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        let outWidth = width + op.left + op.right
        var fill: Float = 0
        if case let .constant(value) = op.mode { fill = value }
        for r in 0..<(height + op.top + op.bottom) {
            let out = output + r * outWidth
            guard let y = source(r - op.top, height) else {
                for k in 0..<outWidth { out[k] = fill }
                continue
            }
            let row = input + y * width
            for k in 0..<outWidth { out[k] = source(k - op.left, width).map { row[$0] } ?? fill }
        }
    }
}
