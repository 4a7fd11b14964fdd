import Foundation

/// The safetensors file format (Hugging Face): an 8-byte little-endian header length N,
/// N bytes of JSON `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
/// "__metadata__": {string: string}}`, then the raw little-endian tensor data, offsets
/// relative to its start. cnn-inte writes F32 (weights, thresholds), I32 (tree
/// structure) and U8 (a sharded run's binned forest pool), names sorted, data in name
/// order, the header padded with spaces to a multiple of 8 bytes.
public enum SafeTensors {
    public enum DType: String, Sendable {
        case f32 = "F32", i32 = "I32", u8 = "U8"

        var size: Int { self == .u8 ? 1 : 4 }
    }

    public struct Entry: Equatable {
        public var shape: [Int]
        public var dtype: DType
        /// The values of an F32 tensor (empty for the others).
        public var values: [Float]
        /// The values of an I32 tensor (empty for the others).
        public var integers: [Int32]
        /// The values of a U8 tensor (empty for the others).
        public var bytes: [UInt8] = []

        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.dtype = .f32
            self.values = values
            self.integers = []
        }

        public init(shape: [Int], integers: [Int32]) {
            self.shape = shape
            self.dtype = .i32
            self.values = []
            self.integers = integers
        }

        public init(shape: [Int], bytes: [UInt8]) {
            self.shape = shape
            self.dtype = .u8
            self.values = []
            self.integers = []
            self.bytes = bytes
        }

        var byteCount: Int {
            switch dtype {
            case .f32: return 4 * values.count
            case .i32: return 4 * integers.count
            case .u8: return bytes.count
            }
        }
    }

    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    /// Serialises `tensors` with `metadata`.
    public static func encode(_ tensors: [String: Entry], metadata: [String: String]) -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let entry = tensors[name]!
            let bytes = entry.byteCount
            header[name] = ["dtype": entry.dtype.rawValue, "shape": entry.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = [UInt8](try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        out.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(contentsOf: json)
        // Float32 and Int32 are little-endian on every platform Swift supports here.
        for name in names {
            let entry = tensors[name]!
            switch entry.dtype {
            case .f32: entry.values.withUnsafeBytes { out.append(contentsOf: $0) }
            case .i32: entry.integers.withUnsafeBytes { out.append(contentsOf: $0) }
            case .u8: out.append(contentsOf: entry.bytes)
            }
        }
        return out
    }

    /// Parses a safetensors file's bytes; `path` names it in errors. Every offset, shape
    /// and length is checked, so a truncated or corrupt file is refused, never misread.
    public static func decode(_ bytes: [UInt8], path: String) throws -> (tensors: [String: Entry], metadata: [String: String]) {
        func fail(_ problem: String) -> FormatError { FormatError(path: path, problem: problem) }
        guard bytes.count >= 8 else { throw fail(bytes.isEmpty ? "empty file" : "too short for a safetensors header (\(bytes.count) bytes)") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("truncated or not safetensors: header length \(headerLength) exceeds the \(bytes.count - 8) bytes that follow")
        }
        guard headerLength <= 100_000_000 else { throw fail("header length \(headerLength) is implausibly large") }
        let headerEnd = 8 + Int(headerLength)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = object as? [String: Any] else { throw fail("header is not a JSON object") }
        var metadata: [String: String] = [:]
        if let meta = header["__metadata__"] {
            guard let dictionary = meta as? [String: Any] else { throw fail("__metadata__ is not an object") }
            for (key, value) in dictionary {
                guard let string = value as? String else { throw fail("__metadata__ value of '\(key)' is not a string") }
                metadata[key] = string
            }
        }
        let dataLength = bytes.count - headerEnd
        var tensors: [String: Entry] = [:]
        var ranges: [(Int, Int, String)] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else { throw fail("tensor '\(name)' is not described by an object") }
            guard let dtype = info["dtype"] as? String else { throw fail("tensor '\(name)' has no dtype") }
            guard let type = DType(rawValue: dtype) else { throw fail("tensor '\(name)' has dtype \(dtype); cnn-inte reads F32, I32 and U8 only") }
            guard let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  shape.count == (info["shape"] as? [Any])?.count, shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)' has a malformed shape")
            }
            guard let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw fail("tensor '\(name)' has malformed data_offsets")
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (needed, tooMany) = count.multipliedReportingOverflow(by: type.size)
            guard !overflow, !tooMany, offsets[1] - offsets[0] == needed else {
                throw fail("tensor '\(name)': shape \(shape) needs \(needed) bytes but data_offsets span \(offsets[1] - offsets[0])")
            }
            guard offsets[1] <= dataLength else {
                throw fail("truncated: tensor '\(name)' ends at byte \(offsets[1]) of the data but the file holds \(dataLength)")
            }
            tensors[name] = entry(type, shape: shape, count: count, from: bytes, (headerEnd + offsets[0])..<(headerEnd + offsets[1]))
            ranges.append((offsets[0], offsets[1], name))
        }
        // The tensors must tile the data exactly: no overlap, no gap, nothing after.
        ranges.sort { $0.0 < $1.0 }
        var expected = 0
        for (begin, end, name) in ranges {
            guard begin == expected else { throw fail("tensor '\(name)' starts at byte \(begin), expected \(expected) (overlap or gap)") }
            expected = end
        }
        guard expected == dataLength else {
            throw fail("\(dataLength - expected) bytes after the last tensor: not a complete safetensors file")
        }
        return (tensors, metadata)
    }

    /// The tensor of `count` values of `type` in `bytes[range]` (checked to span them).
    static func entry(_ type: DType, shape: [Int], count: Int, from bytes: [UInt8], _ range: Range<Int>) -> Entry {
        func copied<T>(_ zero: T) -> [T] {
            var values = [T](repeating: zero, count: count)
            values.withUnsafeMutableBytes { target in
                bytes.withUnsafeBytes { target.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[range])) }
            }
            return values
        }
        switch type {
        case .f32: return Entry(shape: shape, values: copied(Float(0)))
        case .i32: return Entry(shape: shape, integers: copied(Int32(0)))
        case .u8: return Entry(shape: shape, bytes: Array(bytes[range]))
        }
    }
}

extension SafeTensors {
    /// The shape of every tensor of the file at `path`, from its header alone (the data
    /// is not read): enough to tell what a file holds without loading it.
    public static func shapes(atPath path: String) throws -> [String: [Int]] {
        func fail(_ problem: String) -> FormatError { FormatError(path: path, problem: problem) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw fail("missing or unreadable") }
        defer { try? handle.close() }
        let prefix = [UInt8](handle.readData(ofLength: 8))
        guard prefix.count == 8 else { throw fail("too short for a safetensors header (\(prefix.count) bytes)") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(prefix[i]) << (8 * UInt64(i)) }
        guard headerLength <= 100_000_000 else { throw fail("header length \(headerLength) is implausibly large") }
        let header = handle.readData(ofLength: Int(headerLength))
        guard header.count == Int(headerLength),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        var shapes: [String: [Int]] = [:]
        for (name, value) in object where name != "__metadata__" {
            guard let info = value as? [String: Any], let raw = info["shape"] as? [Any] else {
                throw fail("tensor '\(name)' has no shape")
            }
            let shape = raw.compactMap { ($0 as? NSNumber)?.intValue }
            guard shape.count == raw.count, shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)' has a malformed shape") }
            shapes[name] = shape
        }
        return shapes
    }
}
