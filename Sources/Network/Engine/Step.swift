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
        let copy = try DNNLMemory(layout)
        return (copy, try reorder(input, copy))
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
