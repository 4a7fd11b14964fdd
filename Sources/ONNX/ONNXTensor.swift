import Foundation

/// One ONNX tensor's shape and values: floating-point types as `floats`, integer types
/// as `integers` (shape tensors, axes). Data come from the typed fields, from `raw_data`
/// (little-endian) or from an external file.
public struct ONNXTensor: Equatable, Sendable {
    public let name: String
    public let dims: [Int]
    public let elementType: Int
    public var floats: [Float]?
    public var integers: [Int64]?

    public var count: Int { dims.reduce(1, *) }

    /// ONNX's `TensorProto.DataType` values read here.
    enum ElementType: Int {
        case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7, bool = 9, double = 11
        var size: Int {
            switch self {
            case .float, .int32: return 4
            case .uint8, .int8, .bool: return 1
            case .int64, .double: return 8
            }
        }
    }

    /// A tensor made at load (a Constant node's, or one folded from constants).
    init(name: String, dims: [Int], floats: [Float]? = nil, integers: [Int64]? = nil) {
        precondition((floats == nil) != (integers == nil), "ONNXTensor: floats or integers")
        self.name = name
        self.dims = dims
        elementType = floats != nil ? ElementType.float.rawValue : ElementType.int64.rawValue
        self.floats = floats
        self.integers = integers
    }

    /// Largest tensor read: 2^31 elements (8 GiB of floats).
    static let maximumElements = 1 << 31

    init(_ proto: Onnx_TensorProto, modelPath: String, folder: String) throws {
        name = proto.name
        elementType = Int(proto.dataType)
        func fail(_ problem: String) -> ONNXError { ONNXError(path: modelPath, problem: "initializer '\(proto.name)': \(problem)") }
        var count = 1
        for d in proto.dims {
            guard d >= 0, d <= Int64(Self.maximumElements) else { throw fail("dimension \(d) out of range") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(d))
            guard !overflow, product <= Self.maximumElements else { throw fail("more than \(Self.maximumElements) elements") }
            count = product
        }
        dims = proto.dims.map(Int.init)
        guard let type = ElementType(rawValue: elementType) else {
            throw fail("element type \(elementType) is not supported (float, double, integers and bool are)")
        }
        var raw: Data?
        if proto.dataLocation == .external {
            raw = try Self.externalData(proto, modelPath: modelPath, folder: folder, bytes: count * type.size, fail: fail)
        } else if !proto.rawData.isEmpty || (count == 0) {
            raw = proto.rawData
        }
        if let raw {
            guard raw.count == count * type.size else {
                throw fail("holds \(raw.count) bytes; its shape \(dims) of \(type) needs \(count * type.size)")
            }
            // Little-endian, perhaps unaligned inside the message: loaded byte-wise.
            func load<T: FixedWidthInteger>(_: T.Type) -> [T] {
                raw.withUnsafeBytes { p in (0..<count).map { T(littleEndian: p.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) } }
            }
            switch type {
            case .float: floats = load(UInt32.self).map { Float(bitPattern: $0) }
            case .double: floats = load(UInt64.self).map { Float(Double(bitPattern: $0)) }
            case .int64: integers = load(Int64.self)
            case .int32: integers = load(Int32.self).map(Int64.init)
            case .uint8, .bool: integers = raw.map { Int64($0) }
            case .int8: integers = raw.map { Int64(Int8(bitPattern: $0)) }
            }
        } else {
            switch type {
            case .float: floats = proto.floatData
            case .double: floats = proto.doubleData.map(Float.init)
            case .int64: integers = proto.int64Data
            case .int32, .uint8, .int8, .bool: integers = proto.int32Data.map(Int64.init)
            }
            let found = floats?.count ?? integers?.count ?? 0
            guard found == count else { throw fail("holds \(found) values; its shape \(dims) needs \(count)") }
        }
    }

    /// The bytes of an initializer stored in a side file: `location` relative to the
    /// model's folder (never outside it), `offset` and `length` checked against the file.
    static func externalData(_ proto: Onnx_TensorProto, modelPath: String, folder: String, bytes: Int,
                             fail: (String) -> ONNXError) throws -> Data {
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else { throw fail("external data without a location") }
        let components = location.split(separator: "/")
        guard !location.hasPrefix("/"), !components.contains(".."), !location.contains("\\") else {
            throw fail("external data location '\(location)' is outside the model's folder")
        }
        let file = (folder as NSString).appendingPathComponent(location)
        guard let handle = FileHandle(forReadingAtPath: file) else { throw fail("external data file \(file) cannot be read") }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()).map(Int.init) ?? 0
        guard let offset = Int(entries["offset"] ?? "0"), offset >= 0 else { throw fail("external data offset '\(entries["offset"] ?? "")' is not a number") }
        let length = try entries["length"].map { text -> Int in
            guard let value = Int(text), value >= 0 else { throw fail("external data length '\(text)' is not a number") }
            return value
        } ?? bytes
        guard length == bytes else { throw fail("external data length \(length) but its shape needs \(bytes) bytes") }
        guard offset <= size, size - offset >= length else {
            throw fail("external data \(file) holds \(size) bytes, fewer than offset \(offset) + length \(length)")
        }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: length) ?? Data()
    }
}

extension ONNXTensor.ElementType: CustomStringConvertible {
    var description: String {
        switch self {
        case .float: return "float"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .int32: return "int32"
        case .int64: return "int64"
        case .bool: return "bool"
        case .double: return "double"
        }
    }
}
