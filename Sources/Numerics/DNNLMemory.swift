import CDNNL
import Foundation

// oneDNN's memories: element types, memory descriptors (layouts) and the memories
// themselves (see DNNL.swift).

/// Element type of a memory descriptor.
public enum DataType {
    case f32, s32, u8
    var raw: dnnl_data_type_t {
        switch self {
        case .f32: return dnnl_f32
        case .s32: return dnnl_s32
        case .u8: return dnnl_u8
        }
    }
}

/// Shape, element type and layout of a tensor. `any` lets a primitive choose its layout.
public struct MemoryDescriptor: Equatable {
    var raw: dnnl_memory_desc_t

    init(raw: dnnl_memory_desc_t) { self.raw = raw }

    /// Plain row-major ("abcd...") `dims`.
    public init(dims: [Int], type: DataType = .f32) {
        self.init(dims: dims, strides: MemoryDescriptor.rowMajorStrides(dims), type: type)
    }

    /// `dims` laid out with `strides` (in elements), e.g. NHWC as the strides of NCHW dims.
    public init(dims: [Int], strides: [Int], type: DataType = .f32) {
        raw = dnnl_memory_desc_t()
        let d = dims.map { dnnl_dim_t($0) }, s = strides.map { dnnl_dim_t($0) }
        let status = dnnl_memory_desc_init_by_strides(&raw, Int32(dims.count), d, type.raw, s)
        precondition(status == dnnl_success, "memory descriptor \(dims) / \(strides)")
    }

    /// `dims` in a layout the primitive given this descriptor chooses.
    public static func any(_ dims: [Int], type: DataType = .f32) -> MemoryDescriptor {
        var raw = dnnl_memory_desc_t()
        let status = dnnl_memory_desc_init_by_tag(&raw, Int32(dims.count), dims.map { dnnl_dim_t($0) }, type.raw, dnnl_format_tag_any)
        precondition(status == dnnl_success, "memory descriptor any \(dims)")
        return MemoryDescriptor(raw: raw)
    }

    public static func rowMajorStrides(_ dims: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        for i in stride(from: dims.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * dims[i + 1] }
        return strides
    }

    /// NCHW dims stored channels last (NHWC), as images and TensorFlow's tensors are.
    public static func channelsLast(_ dims: [Int]) -> MemoryDescriptor {
        precondition(dims.count == 4)
        let (c, h, w) = (dims[1], dims[2], dims[3])
        return MemoryDescriptor(dims: dims, strides: [h * w * c, 1, w * c, c])
    }

    /// The 4-D layouts feature maps take in the engine: plain NCHW, NHWC, and oneDNN's
    /// blocks of 8 and 16 channels (its AVX2 and AVX-512 kernels' own).
    public enum Layout4D: CaseIterable {
        case nchw, nhwc, nChw8c, nChw16c
        var tag: dnnl_format_tag_t {
            switch self {
            case .nchw: return dnnl_nchw
            case .nhwc: return dnnl_nhwc
            case .nChw8c: return dnnl_nChw8c
            case .nChw16c: return dnnl_nChw16c
            }
        }
    }

    /// `dims` (N, C, H, W) in `layout`.
    public init(dims: [Int], layout: Layout4D, type: DataType = .f32) {
        precondition(dims.count == 4)
        raw = dnnl_memory_desc_t()
        let status = dnnl_memory_desc_init_by_tag(&raw, 4, dims.map { dnnl_dim_t($0) }, type.raw, layout.tag)
        precondition(status == dnnl_success, "memory descriptor \(dims) \(layout)")
    }

    /// Which of the `Layout4D` layouts this is, if any.
    public var layout4D: Layout4D? {
        guard raw.ndims == 4 else { return nil }
        let dims = self.dims
        return Layout4D.allCases.first { MemoryDescriptor(dims: dims, layout: $0, type: .f32) == self }
    }

    public var dims: [Int] {
        withUnsafeBytes(of: raw.dims) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(Int(raw.ndims))).map(Int.init) }
    }

    /// Bytes a memory of this descriptor takes (blocked layouts pad some dimensions).
    public var byteCount: Int { Int(withUnsafePointer(to: raw) { dnnl_memory_desc_get_size($0) }) }

    /// Whether the layout is the plain row-major one.
    public var isRowMajor: Bool { self == MemoryDescriptor(dims: dims) }

    /// The same memory seen with other dims (a flatten of a plain layout).
    public func reshaped(_ dims: [Int]) throws -> MemoryDescriptor {
        var out = dnnl_memory_desc_t()
        try DNNL.check(withUnsafePointer(to: raw) { dnnl_memory_desc_reshape(&out, $0, Int32(dims.count), dims.map { dnnl_dim_t($0) }) },
                       "reshape \(self.dims) to \(dims)")
        return MemoryDescriptor(raw: out)
    }

    /// A window into this memory: `dims` from `offsets` (a concat's part).
    public func submemory(dims: [Int], offsets: [Int]) throws -> MemoryDescriptor {
        var out = dnnl_memory_desc_t()
        try DNNL.check(withUnsafePointer(to: raw) {
            dnnl_memory_desc_init_submemory(&out, $0, dims.map { dnnl_dim_t($0) }, offsets.map { dnnl_dim_t($0) })
        }, "submemory \(dims) at \(offsets) of \(self.dims)")
        return MemoryDescriptor(raw: out)
    }

    public static func == (a: MemoryDescriptor, b: MemoryDescriptor) -> Bool {
        withUnsafePointer(to: a.raw) { pa in withUnsafePointer(to: b.raw) { pb in dnnl_memory_desc_equal(pa, pb) != 0 } }
    }
}

/// A tensor's storage: owned (allocated by oneDNN) or a caller's buffer.
public final class DNNLMemory {
    public let descriptor: MemoryDescriptor
    let raw: dnnl_memory_t

    /// Owned storage, zeroed.
    public convenience init(_ descriptor: MemoryDescriptor) throws {
        try self.init(descriptor, handle: UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: -1)))  // DNNL_MEMORY_ALLOCATE
        memset(pointer, 0, descriptor.byteCount)
    }

    /// Storage at `pointer`, which must outlive this memory (or be replaced with `bind`).
    public init(_ descriptor: MemoryDescriptor, handle: UnsafeMutableRawPointer?) throws {
        self.descriptor = descriptor
        var memory: dnnl_memory_t?
        try DNNL.check(withUnsafePointer(to: descriptor.raw) { dnnl_memory_create(&memory, $0, DNNL.engine, handle) },
                       "create a memory of \(descriptor.dims)")
        raw = memory!
    }

    deinit { dnnl_memory_destroy(raw) }

    public var pointer: UnsafeMutableRawPointer {
        var handle: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(raw, &handle)
        return handle!
    }

    public var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }
    public var floatCount: Int { descriptor.byteCount / 4 }

    /// Points the memory at another buffer of the same layout.
    public func bind(_ pointer: UnsafeMutableRawPointer) { dnnl_memory_set_data_handle(raw, pointer) }
}
