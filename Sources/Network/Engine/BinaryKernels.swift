import Numerics

/// Two computed tensors combined element by element (`Binary`), broadcast: oneDNN's
/// binary primitive, whose first input has the output's dims and whose second may have
/// dims of 1. A vector beside a feature map is read as `[N, C, 1, 1]` (its plain bytes).
/// When the first input is the one broadcast, a commutative operation swaps them; a
/// subtraction is turned around and negated; otherwise the first is expanded first.
final class BinaryKernel: Kernel {
    private(set) var steps: [Step] = []
    let output: DNNLMemory
    /// Memories only the steps point at, kept alive with the kernel.
    private var scratch: [DNNLMemory] = []

    init(_ c: KernelContext, _ op: Binary) throws {
        guard !c.training else { throw GraphError("node '\(c.node.name)': \(op.kind.rawValue) runs at inference only") }
        let out = c.outputDims
        var steps: [Step] = []
        // Each input as a tensor of the output's rank (a vector beside a map as [N, C, 1, 1]).
        var inputs: [DNNLMemory] = []
        for (memory, shape) in zip(c.inputs, c.inputShapes) {
            guard shape.count == 1 && out.count == 4 else { inputs.append(memory); continue }
            let plain = try Step.plain(memory, &steps)
            inputs.append(try DNNLMemory(try plain.descriptor.reshaped([c.batch, shape[0], 1, 1]), handle: plain.pointer))
            scratch.append(plain)
        }
        var (first, second) = (inputs[0], inputs[1])
        var negate = false
        if first.descriptor.dims != out {
            if second.descriptor.dims == out && [.add, .mul, .max, .min, .sub].contains(op.kind) {
                (first, second) = (second, first)
                negate = op.kind == .sub  // a - b = -(b - a)
            } else {
                // Both broadcast, or a division of a broadcast value: the first expanded as 0 + a.
                let zeros = try DNNLMemory(MemoryDescriptor(dims: out)), expanded = try DNNLMemory(MemoryDescriptor(dims: out))
                steps.append(Step(primitive: try Primitive(try .binary(.add, source0: zeros.descriptor, source1: first.descriptor,
                                                                       destination: expanded.descriptor)),
                                  arguments: [(.source, zeros), (.source1, first), (.destination, expanded)]))
                scratch += [zeros, expanded]
                first = expanded
            }
        }
        // The output in the first input's layout; plain inputs where oneDNN has no fast kernel for these.
        var pd = try PrimitiveDescriptor.binary(op.kind, source0: first.descriptor, source1: second.descriptor, destination: first.descriptor)
        if pd.isReference {
            (first, second) = (try Step.plain(first, &steps), try Step.plain(second, &steps))
            pd = try .binary(op.kind, source0: first.descriptor, source1: second.descriptor, destination: first.descriptor)
        }
        output = try DNNLMemory(pd.memory(.destination))
        steps.append(Step(primitive: try Primitive(pd), arguments: [(.source, first), (.source1, second), (.destination, output)]))
        if negate {
            steps.append(Step(primitive: try Primitive(try .eltwiseForward(.inference, .linear(scale: -1, shift: 0), data: output.descriptor,
                                                                           useDestinationForBackward: false)),
                              arguments: [(.source, output), (.destination, output)]))
        }
        self.steps = steps
        scratch += inputs
        try c.executor.register(c.node.name, output: output)
    }

    func forward() { for step in steps { step.run() } }
    func backward() { preconditionFailure("binary operations run at inference only") }
}
