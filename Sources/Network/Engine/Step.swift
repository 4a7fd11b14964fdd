import Numerics

/// One primitive run with its arguments: kernels made of several primitives list them so
/// (the executor finds every primitive to report its implementation).
struct Step {
    let primitive: Primitive
    let arguments: [(Argument, DNNLMemory)]
    func run() { primitive.execute(arguments) }

    /// A reorder from one memory into another.
    static func reorder(_ from: DNNLMemory, _ to: DNNLMemory) throws -> Step {
        Step(primitive: try Primitive(try .reorder(from: from.descriptor, to: to.descriptor)), arguments: [(.from, from), (.to, to)])
    }

    /// `input` in `layout` (nil: as it is): itself, or a copy and the step that fills it
    /// from `input` before each use.
    static func copy(_ input: DNNLMemory, into layout: MemoryDescriptor?) throws -> (memory: DNNLMemory, step: Step?) {
        guard let layout, layout != input.descriptor else { return (input, nil) }
        if sameBytes(layout, input.descriptor) { return (try DNNLMemory(layout, handle: input.pointer), nil) }
        let copy = try DNNLMemory(layout)
        return (copy, try reorder(input, copy))
    }

    /// Whether two descriptors lay out the same bytes: a [N, C, 1, 1] map (pooled
    /// features) is one row of C per image in plain NCHW and channels last alike, and
    /// oneDNN's reorder between them cost 0.9 ms a batch of 14 (4.6% of EfficientNet-B0
    /// at 224x224, after each squeeze-and-excitation pooling).
    static func sameBytes(_ a: MemoryDescriptor, _ b: MemoryDescriptor) -> Bool {
        let dims = a.dims
        guard dims == b.dims, dims.count == 4, dims[2] == 1, dims[3] == 1 else { return false }
        let forms = [MemoryDescriptor(dims: dims), MemoryDescriptor.channelsLast(dims)]
        return forms.contains(a) && forms.contains(b)
    }

    /// `input` in `layout`: itself, or a copy made by a step appended to `steps`.
    static func aligned(_ input: DNNLMemory, to layout: MemoryDescriptor, _ steps: inout [Step]) throws -> DNNLMemory {
        let (memory, step) = try copy(input, into: layout)
        if let step { steps.append(step) }
        return memory
    }

    /// `input` as plain row-major memory of its own dims.
    static func plain(_ input: DNNLMemory, _ steps: inout [Step]) throws -> DNNLMemory {
        try aligned(input, to: MemoryDescriptor(dims: input.descriptor.dims), &steps)
    }
}
