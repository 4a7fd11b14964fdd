import Foundation
import Numerics

/// Max or average pooling (`Pooling`). Max pooling keeps, while training, which input
/// won each window (oneDNN's workspace) for its backward.
final class PoolingKernel: Kernel {
    let forwardPrimitive: Primitive
    let source: DNNLMemory
    let output: DNNLMemory
    var workspace: DNNLMemory?
    var backwardPrimitive: (Primitive, DNNLMemory, DNNLMemory)?
    /// At inference, a copy of the input into a layout oneDNN pools fast.
    private var steps: [Step] = []

    init(_ c: KernelContext, _ op: Pooling) throws {
        let padding = try c.executor.graph.resolvedPadding(c.node, shapes: c.executor.shapes)
        let max = op.kind == .max
        func describe(_ input: MemoryDescriptor) throws -> PrimitiveDescriptor {
            try PrimitiveDescriptor.poolingForward(c.propagation, max: max, includePadding: op.countPadding, source: input,
                                                   destination: .any(c.outputDims), kernel: op.window, strides: op.stride,
                                                   paddingBegin: padding.begin, paddingEnd: padding.end)
        }
        var pd = try describe(c.inputs[0].descriptor)
        var source = c.inputs[0]
        if !c.training, pd.implementation.hasPrefix("simple") || pd.isReference, c.inputs[0].descriptor.dims.count == 4 {
            // On plain NCHW (after a convolution run as a GEMM, or a pad node) oneDNN 2.6
            // pools with `simple_nchw`, 10% of AlexNet's time: a copy into its 8-channel
            // blocks (when the channels fill them: a padded block sends the nodes after to
            // reference code) or channels last is much faster.
            let dims = c.inputs[0].descriptor.dims
            let layouts: [MemoryDescriptor.Layout4D] = dims[1] % 8 == 0 ? [.nChw8c, .nhwc] : [.nhwc]
            for layout in layouts {
                let candidate = MemoryDescriptor(dims: dims, layout: layout)
                guard let fast = try? describe(candidate), !fast.implementation.hasPrefix("simple"), !fast.isReference else { continue }
                source = try Step.aligned(c.inputs[0], to: candidate, &steps)
                pd = fast
                break
            }
        }
        self.source = source
        forwardPrimitive = try Primitive(pd)
        output = try DNNLMemory(pd.memory(.destination))
        try c.executor.register(c.node.name, output: output)
        guard c.training else { return }
        if max { workspace = try DNNLMemory(pd.memory(.workspace)) }
        if let target = c.diffTargets[0] {
            let diff = c.executor.diffs[c.node.name]!
            let bd = try PrimitiveDescriptor.poolingBackward(max: max, includePadding: op.countPadding, diffSource: target.descriptor,
                                                             diffDestination: diff.descriptor, kernel: op.window, strides: op.stride,
                                                             paddingBegin: padding.begin, paddingEnd: padding.end, hint: pd)
            backwardPrimitive = (try Primitive(bd), diff, target)
        }
    }

    func forward() {
        for step in steps { step.run() }
        var args: [(Argument, DNNLMemory)] = [(.source, source), (.destination, output)]
        if let workspace { args.append((.workspace, workspace)) }
        forwardPrimitive.execute(args)
    }

    func backward() {
        guard let (primitive, diff, target) = backwardPrimitive else { return }
        var args: [(Argument, DNNLMemory)] = [(.diffDestination, diff), (.diffSource, target)]
        if let workspace { args.append((.workspace, workspace)) }
        primitive.execute(args)
    }
}

/// Global average pooling: `[N, C, H, W]` -> `[N, C]`, an average pooling whose window is
/// the whole map. The pooling writes in its own layout (a plain one on blocked input made
/// oneDNN fall back to its reference code); a copy makes it the `[N, C]` matrix.
final class GlobalPoolingKernel: Kernel {
    let forwardPrimitive: Primitive
    let source: DNNLMemory
    let pooled: DNNLMemory
    /// The pooled map reordered to plain; nil where it is already those bytes (channels
    /// last: `Step.sameBytes`).
    let toMatrix: Step?
    /// `[N, C, 1, 1]` plain; `output` is the same bytes as `[N, C]`.
    let plain: DNNLMemory
    let output: DNNLMemory
    var backwardPrimitive: (Primitive, Primitive, DNNLMemory, DNNLMemory, DNNLMemory)?

    init(_ c: KernelContext) throws {
        source = c.inputs[0]
        let x = c.inputShapes[0]
        let dims = [c.batch, x[0], 1, 1]
        let pd = try PrimitiveDescriptor.poolingForward(c.propagation, max: false, includePadding: false, source: source.descriptor,
                                                        destination: .any(dims), kernel: [x[1], x[2]], strides: [1, 1],
                                                        paddingBegin: [0, 0], paddingEnd: [0, 0])
        forwardPrimitive = try Primitive(pd)
        pooled = try DNNLMemory(pd.memory(.destination))
        (plain, toMatrix) = try Step.copy(pooled, into: MemoryDescriptor(dims: dims))
        output = try DNNLMemory(MemoryDescriptor(dims: [c.batch, x[0]]), handle: plain.pointer)
        try c.executor.register(c.node.name, output: output)
        guard c.training, let target = c.diffTargets[0] else { return }
        let diff = c.executor.diffs[c.node.name]!
        let diffPlain = try DNNLMemory(plain.descriptor, handle: diff.pointer)
        let diffPooled = try DNNLMemory(pooled.descriptor)
        let bd = try PrimitiveDescriptor.poolingBackward(max: false, includePadding: false, diffSource: target.descriptor,
                                                         diffDestination: pooled.descriptor, kernel: [x[1], x[2]], strides: [1, 1],
                                                         paddingBegin: [0, 0], paddingEnd: [0, 0], hint: pd)
        backwardPrimitive = (try Primitive(try .reorder(from: plain.descriptor, to: pooled.descriptor)), try Primitive(bd),
                             diffPlain, diffPooled, target)
    }

    func forward() {
        forwardPrimitive.execute([(.source, source), (.destination, pooled)])
        toMatrix?.run()
    }

    func backward() {
        guard let (fromMatrix, primitive, diff, diffPooled, target) = backwardPrimitive else { return }
        fromMatrix.execute([(.from, diff), (.to, diffPooled)])
        primitive.execute([(.diffDestination, diffPooled), (.diffSource, target)])
    }
}
