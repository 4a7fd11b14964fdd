import CZlib
import Foundation

/// Reads a file that may be gzip-compressed, with zlib's inflate over the whole file, so
/// that every way a file can be wrong is told apart (zlib's gz* API lets several pass):
/// data that is not gzip in a file named `.gz`, a stream that ends early, a corrupt
/// stream, and bytes after the last gzip member that are not another member (gzread
/// ignores such trailing garbage). Several concatenated members read as one, as gzip does.
public enum GzipFile {
    /// Most bytes a file may decompress to: far above any data set cnn-inte reads, low
    /// enough that a small file cannot make it allocate the machine's memory.
    public static let maximumDecodedBytes = 1 << 31

    /// The decoded bytes of `path`, and whether they were gzip-compressed.
    public static func read(_ path: String) throws -> (bytes: [UInt8], wasGzip: Bool) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DatasetError.missingFile(path: path)
        }
        if isDir.boolValue { throw DatasetError.badFile(path: path, problem: "is a folder, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.badFile(path: path, problem: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        let raw = [UInt8](data)
        if raw.isEmpty { throw DatasetError.badFile(path: path, problem: "empty file") }
        guard raw.count >= 2, raw[0] == 0x1F, raw[1] == 0x8B else {
            if path.hasSuffix(".gz") { throw DatasetError.badFile(path: path, problem: "named .gz but is not gzip data") }
            return (raw, false)
        }
        let bytes = try inflate(raw, path: path)
        if bytes.isEmpty { throw DatasetError.badFile(path: path, problem: "empty file (the gzip data holds no bytes)") }
        return (bytes, true)
    }

    /// The concatenated content of the gzip members in `input`.
    static func inflate(_ input: [UInt8], path: String, limit: Int = maximumDecodedBytes) throws -> [UInt8] {
        func bad(_ problem: String) -> DatasetError { .badFile(path: path, problem: problem) }
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw bad("zlib could not start decompressing")
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8]()
        out.reserveCapacity(min(input.count * 4, limit))
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        return try input.withUnsafeBufferPointer { source -> [UInt8] in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress!)
            stream.avail_in = UInt32(source.count)
            while true {
                let status = buffer.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress!
                    stream.avail_out = UInt32(chunk)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                out.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                if out.count > limit {
                    throw bad("decompresses to more than \(limit) bytes; cnn-inte refuses such files")
                }
                switch status {
                case Z_OK:
                    // Input exhausted with the stream unfinished: it ends early.
                    if stream.avail_in == 0 && stream.avail_out != 0 { throw bad("truncated gzip data (the stream ends early)") }
                case Z_STREAM_END:
                    let left = Int(stream.avail_in)
                    if left == 0 { return out }
                    let next = source.count - left
                    guard left >= 2, source[next] == 0x1F, source[next + 1] == 0x8B else {
                        throw bad("\(left) byte\(left == 1 ? "" : "s") of trailing garbage after the gzip data")
                    }
                    guard inflateReset(&stream) == Z_OK else { throw bad("zlib could not read the next gzip member") }
                case Z_BUF_ERROR:
                    throw bad("truncated gzip data (the stream ends early)")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    throw bad("corrupt gzip data (\(message))")
                }
            }
        }
    }
}

extension GzipFile {
    /// Writes `bytes` gzip-compressed to `path` (temporary name, then rename), e.g. to
    /// save a subset of a data set in the standard layout.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        guard let file = gzopen(temporary, "wb9") else {
            throw DatasetError.badFile(path: path, problem: "cannot be created (\(String(cString: strerror(errno))))")
        }
        var offset = 0
        var failed = false
        while offset < bytes.count && !failed {
            let n = min(1 << 20, bytes.count - offset)
            let written = bytes.withUnsafeBufferPointer { gzwrite(file, $0.baseAddress! + offset, UInt32(n)) }
            if written != n { failed = true }
            offset += n
        }
        let closed = gzclose(file)
        guard !failed, closed == Z_OK, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw DatasetError.badFile(path: path, problem: "could not be written")
        }
    }
}
