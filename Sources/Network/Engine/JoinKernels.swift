import Foundation
import Numerics

/// The sum of two or more inputs (`add`, a residual connection). Its backward hands the
/// output's gradient to every input unchanged.
final class AddKernel: Kernel {
    let forwardPrimitive: Primitive
    let sources: [DNNLMemory]
    let output: DNNLMemory
    var copies: [(Primitive, DNNLMemory, DNNLMemory)] = []

    init(_ c: KernelContext) throws {
        sources = c.inputs
        let layout = sources[0].descriptor
        forwardPrimitive = try Primitive(try .sum(destination: layout, scales: sources.map { _ in 1 }, sources: sources.map(\.descriptor)))
        output = try DNNLMemory(layout)
        try c.executor.register(c.node.name, output: output)
        guard c.training else { return }
        let diff = c.executor.diffs[c.node.name]!
        for case let target? in c.diffTargets {
            copies.append((try Primitive(try .reorder(from: diff.descriptor, to: target.descriptor)), diff, target))
        }
    }

    func forward() {
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
    let sources: [DNNLMemory]
    let output: DNNLMemory
    var parts: [(Primitive, DNNLMemory, DNNLMemory)] = []

    init(_ c: KernelContext) throws {
        sources = c.inputs
        let dims = c.outputDims
        let layout = dims.count == 4 ? MemoryDescriptor.channelsLast(dims) : MemoryDescriptor(dims: dims)
        forwardPrimitive = try Primitive(try .concat(destination: layout, axis: 1, sources: sources.map(\.descriptor)))
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
