import Foundation
import Numerics

/// The sum of two or more inputs (`add`, a residual connection). Its backward hands the
/// output's gradient to every input unchanged.
final class AddKernel: Kernel {
    let forwardPrimitive: Primitive
    /// The inputs in the first one's layout: oneDNN's sum of inputs in different layouts
    /// is its reference code, so an input in another layout is reordered first.
    let sources: [DNNLMemory]
    let alignments: [(Primitive, from: DNNLMemory, to: DNNLMemory)]
    let output: DNNLMemory
    /// Whether `forwardPrimitive` is a binary addition of two inputs, not a sum of all.
    let pairwise: Bool
    var copies: [(Primitive, DNNLMemory, DNNLMemory)] = []

    init(_ c: KernelContext) throws {
        let layout = c.inputs[0].descriptor
        var sources: [DNNLMemory] = [], alignments: [(Primitive, from: DNNLMemory, to: DNNLMemory)] = []
        for input in c.inputs {
            if input.descriptor == layout { sources.append(input); continue }
            let aligned = try DNNLMemory(layout)
            alignments.append((try Primitive(try .reorder(from: input.descriptor, to: layout)), input, aligned))
            sources.append(aligned)
        }
        (self.sources, self.alignments) = (sources, alignments)
        // oneDNN 2.6's sum has only its reference code for a blocked layout whose channels
        // do not fill the last block (4 channels in blocks of 8): then a binary addition,
        // applied to one more input at a time.
        let sum = try PrimitiveDescriptor.sum(destination: layout, scales: sources.map { _ in 1 }, sources: sources.map(\.descriptor))
        pairwise = sum.isReference
        forwardPrimitive = try Primitive(pairwise ? try .add(source0: layout, source1: layout, destination: layout) : sum)
        output = try DNNLMemory(layout)
        try c.executor.register(c.node.name, output: output)
        guard c.training else { return }
        let diff = c.executor.diffs[c.node.name]!
        for case let target? in c.diffTargets {
            copies.append((try Primitive(try .reorder(from: diff.descriptor, to: target.descriptor)), diff, target))
        }
    }

    func forward() {
        for (reorder, from, to) in alignments { reorder.execute([(.from, from), (.to, to)]) }
        if pairwise {
            for (i, s) in sources.enumerated().dropFirst() {
                forwardPrimitive.execute([(.source, i == 1 ? sources[0] : output), (.source1, s), (.destination, output)])
            }
            return
        }
        var args: [(Argument, DNNLMemory)] = [(.destination, output)]
        for (i, s) in sources.enumerated() { args.append((.multipleSource(i), s)) }
        forwardPrimitive.execute(args)
    }

    func backward() {
        for (primitive, diff, target) in copies { primitive.execute([(.from, diff), (.to, target)]) }
    }
}

/// The inputs side by side along the channels (`concat`). The output is kept channels
/// last (or plain, for vectors), so each input's part of the gradient is a window of it.
final class ConcatKernel: Kernel {
    let forwardPrimitive: Primitive
    var sources: [DNNLMemory]
    /// Inference: inputs copied into plain layouts first (see `init`).
    private(set) var alignments: [Step] = []
    let output: DNNLMemory
    var parts: [(Primitive, DNNLMemory, DNNLMemory)] = []

    init(_ c: KernelContext) throws {
        sources = c.inputs
        let dims = c.outputDims
        // Channels last, unless oneDNN has only its reference code for that from these
        // inputs (plain NCHW ones: then plain NCHW, where a window of channels is a window
        // of memory too).
        var layout = dims.count == 4 ? MemoryDescriptor.channelsLast(dims) : MemoryDescriptor(dims: dims)
        var pd = try PrimitiveDescriptor.concat(destination: layout, axis: 1, sources: sources.map(\.descriptor))
        let inputLayouts = c.inputs.map(\.descriptor.layout4D)
        if !c.training, dims.count == 4, let shared = inputLayouts[0], shared != .nhwc, inputLayouts.allSatisfy({ $0 == shared }) {
            // Inference (no gradient windows needed): the inputs' own layout when they share
            // one, so the convolutions after keep oneDNN's blocked kernels (SqueezeNet's,
            // GoogLeNet's and DenseNet's concatenations left them plain: 3-5x slower).
            let same = MemoryDescriptor(dims: dims, layout: shared)
            let other = try PrimitiveDescriptor.concat(destination: same, axis: 1, sources: c.inputs.map(\.descriptor))
            if !other.isReference { (layout, pd) = (same, other) }
        }
        if pd.isReference, dims.count == 4 {
            let plain = MemoryDescriptor(dims: dims)
            let other = try PrimitiveDescriptor.concat(destination: plain, axis: 1, sources: sources.map(\.descriptor))
            if !other.isReference { (layout, pd) = (plain, other) }
        }
        if pd.isReference, !c.training {
            // Inputs in blocks their channels do not fill (from a channel window): plain copies.
            var steps: [Step] = []
            sources = try sources.map { try Step.plain($0, &steps) }
            alignments = steps
            layout = MemoryDescriptor(dims: dims)
            pd = try PrimitiveDescriptor.concat(destination: layout, axis: 1, sources: sources.map(\.descriptor))
        }
        forwardPrimitive = try Primitive(pd)
        output = try DNNLMemory(layout)
        try c.executor.register(c.node.name, output: output)
        guard c.training else { return }
        let diff = c.executor.diffs[c.node.name]!
        var offset = 0
        for (i, shape) in c.inputShapes.enumerated() {
            defer { offset += shape[0] }
            guard let target = c.diffTargets[i] else { continue }
            var window = dims, offsets = dims.map { _ in 0 }
            window[1] = shape[0]
            offsets[1] = offset
            let part = try DNNLMemory(try layout.submemory(dims: window, offsets: offsets), handle: diff.pointer)
            parts.append((try Primitive(try .reorder(from: part.descriptor, to: target.descriptor)), part, target))
        }
    }

    func forward() {
        for step in alignments { step.run() }
        var args: [(Argument, DNNLMemory)] = [(.destination, output)]
        for (i, s) in sources.enumerated() { args.append((.multipleSource(i), s)) }
        forwardPrimitive.execute(args)
    }

    func backward() {
        for (primitive, part, target) in parts { primitive.execute([(.from, part), (.to, target)]) }
    }
}

/// A feature map as a vector (`flatten`), in the graph's flatten order: the map is copied
/// into that order, and the same bytes are the `[N, F]` output.
final class FlattenKernel: Kernel {
    let reorder: Primitive?
    let source: DNNLMemory
    let ordered: DNNLMemory
    let output: DNNLMemory
    var backwardPrimitive: (Primitive, DNNLMemory, DNNLMemory)?

    init(_ c: KernelContext) throws {
        source = c.inputs[0]
        let dims = [c.batch] + c.inputShapes[0]
        let flat = MemoryDescriptor(dims: c.outputDims)
        guard dims.count == 4 else {
            // Already a vector.
            reorder = nil
            ordered = source
            output = source
            try c.executor.register(c.node.name, output: output)
            if c.training, let target = c.diffTargets[0] {
                let diff = c.executor.diffs[c.node.name]!
                backwardPrimitive = (try Primitive(try .reorder(from: diff.descriptor, to: target.descriptor)), diff, target)
            }
            return
        }
        let layout = c.executor.graph.flattenOrder == .channelsLast ? MemoryDescriptor.channelsLast(dims) : MemoryDescriptor(dims: dims)
        ordered = try DNNLMemory(layout)
        reorder = try Primitive(try .reorder(from: source.descriptor, to: layout))
        output = try DNNLMemory(flat, handle: ordered.pointer)
        try c.executor.register(c.node.name, output: output)
        guard c.training, let target = c.diffTargets[0] else { return }
        let diff = c.executor.diffs[c.node.name]!
        let diff4 = try DNNLMemory(layout, handle: diff.pointer)
        backwardPrimitive = (try Primitive(try .reorder(from: layout, to: target.descriptor)), diff4, target)
    }

    func forward() { reorder?.execute([(.from, source), (.to, ordered)]) }

    func backward() {
        guard let (primitive, diff, target) = backwardPrimitive else { return }
        primitive.execute([(.from, diff), (.to, target)])
    }
}
