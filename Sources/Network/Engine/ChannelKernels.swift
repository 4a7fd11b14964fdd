import Numerics

// Operations over the channels at each position, from imported models (inference only):
// a window of channels, a reduction over them, a softmax over them, a layer normalization
// over them. Each takes its input in the producer's layout where oneDNN has a fast kernel
// for that, else in a plain one it reorders into first.

/// The first of `candidates` (layouts to bring the input into) for which `make` gives a
/// descriptor that is not oneDNN's reference code; the last candidate's otherwise.
private func firstFast(_ input: DNNLMemory, _ candidates: [MemoryDescriptor],
                       _ make: (MemoryDescriptor) throws -> PrimitiveDescriptor) throws -> (PrimitiveDescriptor, MemoryDescriptor) {
    var last: (PrimitiveDescriptor, MemoryDescriptor)?
    for layout in candidates {
        guard let pd = try? make(layout) else { continue }
        if !pd.isReference { return (pd, layout) }
        last = (pd, layout)
    }
    if let last { return last }
    return (try make(input.descriptor), input.descriptor)
}

/// The layouts worth trying for an input of `dims`: its own, channels last, plain.
private func candidates(_ input: DNNLMemory) -> [MemoryDescriptor] {
    let dims = input.descriptor.dims
    var out = [input.descriptor]
    if dims.count == 4 { out.append(.channelsLast(dims)) }
    out.append(MemoryDescriptor(dims: dims))
    return out
}

/// Throws for a kernel asked for while training: the operations imported models bring run at inference only.
func inferenceOnly(_ c: KernelContext) throws {
    if c.training { throw GraphError("node '\(c.node.name)' (\(c.node.op.kind)) runs at inference only") }
}

/// Channels `start..<end` (`channels`): a reorder from a window of the input into a
/// memory of its own (from a plain copy when the input's blocks do not align with it).
final class ChannelWindowKernel: Kernel {
    private(set) var steps: [Step] = []
    let output: DNNLMemory

    init(_ c: KernelContext, start: Int, end: Int) throws {
        try inferenceOnly(c)
        let input = c.inputs[0], dims = input.descriptor.dims
        var window = dims, offsets = dims.map { _ in 0 }
        (window[1], offsets[1]) = (end - start, start)
        let layout = input.descriptor.layout4D.map { MemoryDescriptor(dims: window, layout: $0) } ?? MemoryDescriptor(dims: window)
        output = try DNNLMemory(layout)
        var steps: [Step] = []
        if let part = try? input.descriptor.submemory(dims: window, offsets: offsets),
           let reorder = try? PrimitiveDescriptor.reorder(from: part, to: layout), !reorder.isReference {
            steps.append(Step(primitive: try Primitive(reorder), arguments: [(.from, try DNNLMemory(part, handle: input.pointer)), (.to, output)]))
        } else {
            let plain = try Step.plain(input, &steps)
            let part = try DNNLMemory(try plain.descriptor.submemory(dims: window, offsets: offsets), handle: plain.pointer)
            steps.append(try .reorder(part, output))
        }
        self.steps = steps
        try c.executor.register(c.node.name, output: output)
    }

    func forward() { for step in steps { step.run() } }
    func backward() { preconditionFailure("inference only") }
}

/// A mean, max, min or sum over the channels (`channelReduction`). oneDNN 2.6 reduces
/// fast only over a matrix's rows (a reduction over the channels of a 4-D tensor, in any
/// layout, is its reference code): the map is brought channels last and read as
/// `[N * H * W, C]`, reduced to `[N * H * W, 1]`, the bytes of `[N, 1, H, W]`.
final class ChannelReductionKernel: Kernel {
    private(set) var steps: [Step] = []
    let output: DNNLMemory

    init(_ c: KernelContext, _ op: ChannelReduction) throws {
        try inferenceOnly(c)
        let input = c.inputs[0], dims = input.descriptor.dims
        var steps: [Step] = []
        let rows = dims.count == 4 ? dims[0] * dims[2] * dims[3] : dims[0]
        let source = try Step.aligned(input, to: dims.count == 4 ? .channelsLast(dims) : MemoryDescriptor(dims: dims), &steps)
        let matrix = try DNNLMemory(MemoryDescriptor(dims: [rows, dims[1]]), handle: source.pointer)
        let reduced = try DNNLMemory(MemoryDescriptor(dims: [rows, 1]))
        steps.append(Step(primitive: try Primitive(try .reduction(op.kind, source: matrix.descriptor, destination: reduced.descriptor)),
                          arguments: [(.source, matrix), (.destination, reduced)]))
        output = try DNNLMemory(MemoryDescriptor(dims: c.outputDims), handle: reduced.pointer)
        self.reduced = reduced
        self.steps = steps
        try c.executor.register(c.node.name, output: output)
    }

    /// The reduction's own output (`output` is a view of it).
    private var reduced: DNNLMemory?

    func forward() { for step in steps { step.run() } }
    func backward() { preconditionFailure("inference only") }
}

/// A softmax over the channels or a vector's values inside a network (`softmax` not as
/// the last node, whose probabilities the model computes itself).
final class SoftmaxKernel: Kernel {
    private(set) var steps: [Step] = []
    let output: DNNLMemory

    init(_ c: KernelContext) throws {
        try inferenceOnly(c)
        let input = c.inputs[0]
        let (pd, layout) = try firstFast(input, candidates(input)) { try .softmaxForward(data: $0, axis: 1) }
        var steps: [Step] = []
        let source = try Step.aligned(input, to: layout, &steps)
        output = try DNNLMemory(pd.memory(.destination))
        steps.append(Step(primitive: try Primitive(pd), arguments: [(.source, source), (.destination, output)]))
        self.steps = steps
        try c.executor.register(c.node.name, output: output)
    }

    func forward() { for step in steps { step.run() } }
    func backward() { preconditionFailure("inference only") }
}

/// ShuffleNet's channel shuffle (`channelShuffle`): a copy, where a 1x1 convolution by the
/// permutation would cost C multiply-adds per value. On oneDNN's shuffle primitive in the
/// layout the map comes in where it has a fast kernel (its blocked layouts need the
/// channels to fill whole blocks: not ShuffleNetV2's 116); else plane by plane in plain
/// NCHW, one memcpy per channel plane.
final class ChannelShuffleKernel: Kernel {
    private(set) var steps: [Step] = []
    let output: DNNLMemory
    /// For the plane copies: the plain input, and the input channel of each output channel.
    private var plain: (source: DNNLMemory, from: [Int], channels: Int, area: Int, batch: Int)?

    init(_ c: KernelContext, groups: Int) throws {
        try inferenceOnly(c)
        let input = c.inputs[0], shape = c.inputShapes[0]
        // oneDNN's group size is the channels per group (output u + v (C/G) reads u G + v).
        let perGroup = shape[0] / groups
        var steps: [Step] = []
        if let (pd, layout) = try? firstFast(input, candidates(input), { try .shuffleForward(data: $0, groupSize: perGroup) }), !pd.isReference {
            let source = try Step.aligned(input, to: layout, &steps)
            output = try DNNLMemory(pd.memory(.destination))
            steps.append(Step(primitive: try Primitive(pd), arguments: [(.source, source), (.destination, output)]))
        } else {
            let source = try Step.plain(input, &steps)
            output = try DNNLMemory(MemoryDescriptor(dims: c.outputDims))
            var from = [Int](repeating: 0, count: shape[0])
            for i in 0..<groups { for j in 0..<perGroup { from[j * groups + i] = i * perGroup + j } }
            plain = (source, from, shape[0], shape[1] * shape[2], c.batch)
        }
        self.steps = steps
        try c.executor.register(c.node.name, output: output)
    }

    func forward() {
        for step in steps { step.run() }
        guard let plain else { return }
        let (x, y, area, channels, from) = (UnsafePointer(plain.source.floats), output.floats, plain.area, plain.channels, plain.from)
        Parallel.forRanges(plain.batch * channels, grain: 16) { range in
            for p in range {
                let (image, channel) = p.quotientAndRemainder(dividingBy: channels)
                (y + p * area).update(from: x + (image * channels + from[channel]) * area, count: area)
            }
        }
    }

    func backward() { preconditionFailure("inference only") }
}

/// Layer normalization over the channels at each position (`layerNormalization`), with a
/// scale and a shift per channel. oneDNN normalizes over a tensor's last dimension, so a
/// feature map is brought channels last and read as `[N, H, W, C]`; the output stays
/// channels last (the same bytes seen as `[N, C, H, W]`).
final class LayerNormalizationKernel: Kernel {
    private(set) var steps: [Step] = []
    let output: DNNLMemory
    let scale: Parameter
    let shift: Parameter

    init(_ c: KernelContext, epsilon: Float) throws {
        try inferenceOnly(c)
        let input = c.inputs[0], dims = input.descriptor.dims
        scale = c.parameter("scale")
        shift = c.parameter("shift")
        var steps: [Step] = []
        let physical = dims.count == 4 ? MemoryDescriptor.channelsLast(dims) : MemoryDescriptor(dims: dims)
        let source = try Step.aligned(input, to: physical, &steps)
        let logical = dims.count == 4 ? [dims[0], dims[2], dims[3], dims[1]] : dims
        let data = MemoryDescriptor(dims: logical)
        let pd = try PrimitiveDescriptor.layerNormalizationForward(data: data, epsilon: epsilon)
        let result = try DNNLMemory(pd.memory(.destination))
        output = try DNNLMemory(physical, handle: result.pointer)
        steps.append(Step(primitive: try Primitive(pd), arguments: [(.source, try DNNLMemory(data, handle: source.pointer)), (.destination, result),
                                                                     (.scale, scale.value), (.shift, shift.value)]))
        self.steps = steps
        self.result = result
        try c.executor.register(c.node.name, output: output)
    }

    /// The normalization's own output memory (`output` is a view of it).
    private var result: DNNLMemory?

    func forward() { for step in steps { step.run() } }
    func backward() { preconditionFailure("inference only") }
}
