import Foundation
import Numerics

/// A tensor of a model (weights, a bias, a batch normalization's scale or statistics).
///
/// Its values live in whatever layout the engine last chose for them: a blocked layout of
/// oneDNN's once the model trains, so the primitives read them without a copy; its
/// gradient and the optimizer's state live in that same layout, so the update is one
/// element-wise pass. In a model file they are in the file layout of `ParameterSpec`.
public final class Parameter {
    public let spec: ParameterSpec
    public var name: String { spec.name }
    public private(set) var value: DNNLMemory
    /// Filled by each backward pass (trainable tensors only).
    public private(set) var gradient: DNNLMemory?
    /// Optimizer state (moments), in the values' layout.
    private(set) var state: [DNNLMemory] = []
    /// Counts changes of the values, so copies in other layouts know when to refresh.
    public private(set) var version = 0

    init(_ spec: ParameterSpec) throws {
        self.spec = spec
        value = try DNNLMemory(MemoryDescriptor(dims: spec.dims))
    }

    /// The values' layout.
    public var layout: MemoryDescriptor { value.descriptor }

    /// Moves the values (and gradient and state) into `layout`.
    func adopt(_ layout: MemoryDescriptor) throws {
        guard layout != value.descriptor else { return }
        func moved(_ memory: DNNLMemory) throws -> DNNLMemory {
            let target = try DNNLMemory(layout)
            try Primitive.reorder(memory, into: target)
            return target
        }
        value = try moved(value)
        if let g = gradient { gradient = try moved(g) }
        state = try state.map(moved)
    }

    /// The gradient memory, made on first use (in the values' layout).
    func ensureGradient() throws -> DNNLMemory {
        if let gradient { return gradient }
        let g = try DNNLMemory(layout)
        gradient = g
        return g
    }

    /// `count` zeroed state buffers, made on first use.
    func optimizerState(_ count: Int) throws -> [DNNLMemory] {
        while state.count < count { state.append(try DNNLMemory(layout)) }
        return state
    }

    /// Call after changing the values in place.
    func touched() { version &+= 1 }

    // MARK: - The file layout

    /// The file layout as a descriptor of the same logical dims: see `ParameterSpec`.
    func fileLayout(flattenOrder: Graph.FlattenOrder) -> MemoryDescriptor {
        let d = spec.dims
        switch spec.role {
        case .weight where d.count == 4 && spec.fileShape.count == 4:  // conv [O, I, KH, KW] as HWIO
            let (o, i, kw) = (d[0], d[1], d[3])
            return MemoryDescriptor(dims: d, strides: [1, o, kw * i * o, i * o])
        case .weight where d.count == 5:  // grouped conv [G, O/G, I/G, KH, KW] as HWIO
            let (g, og, i, kw) = (d[0], d[1], d[2], d[4])
            let o = g * og
            return MemoryDescriptor(dims: d, strides: [og, 1, o, kw * i * o, i * o])
        case .weight:  // dense [O, F] as [F, O]
            return MemoryDescriptor(dims: d, strides: [1, d[0]])
        default:
            return MemoryDescriptor(dims: d)
        }
    }

    /// The values in the file layout.
    func fileValues(flattenOrder: Graph.FlattenOrder) throws -> [Float] {
        let file = fileLayout(flattenOrder: flattenOrder)
        var values = [Float](repeating: 0, count: spec.count)
        try values.withUnsafeMutableBytes { buffer in
            try Primitive.reorder(value, into: try DNNLMemory(file, handle: buffer.baseAddress))
        }
        return values
    }

    /// The values in the logical layout (see `setLogicalValues`).
    public func logicalValues() throws -> [Float] {
        var values = [Float](repeating: 0, count: spec.count)
        try values.withUnsafeMutableBytes { buffer in
            try Primitive.reorder(value, into: try DNNLMemory(MemoryDescriptor(dims: spec.dims), handle: buffer.baseAddress))
        }
        return values
    }

    /// Sets the values from `values` in the logical layout, plain row-major over
    /// `spec.dims`: convolution weights `[O, I/groups, KH, KW]`, dense `[O, F]`, as ONNX
    /// stores them (an imported model's weights).
    public func setLogicalValues(_ values: [Float]) throws {
        guard values.count == spec.count else {
            throw GraphError("\(name): \(values.count) values given for its \(spec.count) (shape \(spec.dims))")
        }
        var copy = values
        try copy.withUnsafeMutableBytes { buffer in
            try Primitive.reorder(try DNNLMemory(MemoryDescriptor(dims: spec.dims), handle: buffer.baseAddress), into: value)
        }
        touched()
    }

    /// Sets the values from `values` in the file layout.
    func setFileValues(_ values: [Float], flattenOrder: Graph.FlattenOrder) throws {
        precondition(values.count == spec.count, "\(name): \(values.count) values for \(spec.count)")
        var copy = values
        try copy.withUnsafeMutableBytes { buffer in
            try Primitive.reorder(try DNNLMemory(fileLayout(flattenOrder: flattenOrder), handle: buffer.baseAddress), into: value)
        }
        touched()
    }
}
