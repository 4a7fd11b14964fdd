import CZlib
import Foundation

/// Reads a file that may be gzip-compressed, through zlib's gz* API.
///
/// zlib quirks handled here (both silent by default):
/// - `gzread` passes bytes that are not gzip through unchanged, so a file named `.gz` that
///   holds garbage would be "read" fine. `gzdirect` tells whether that happened.
/// - A truncated gzip stream is reported only by `gzerror` after the last read or by the
///   return value of `gzclose` (`Z_BUF_ERROR`), never by `gzread` returning an error.
public enum GzipFile {
    /// The decoded bytes of `path`, and whether they were gzip-compressed.
    public static func read(_ path: String) throws -> (bytes: [UInt8], wasGzip: Bool) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DatasetError.missingFile(path: path)
        }
        if isDir.boolValue { throw DatasetError.badFile(path: path, problem: "is a folder, not a file") }
        guard let file = gzopen(path, "rb") else {
            throw DatasetError.badFile(path: path, problem: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        gzbuffer(file, 1 << 17)
        var out = [UInt8]()
        let chunk = 1 << 18
        var readError: String?
        while true {
            let start = out.count
            out.reserveCapacity(start + chunk)
            out.append(contentsOf: repeatElement(0, count: chunk))
            let n = out.withUnsafeMutableBufferPointer { buffer in
                gzread(file, buffer.baseAddress! + start, UInt32(chunk))
            }
            if n < 0 {
                readError = lastError(file)
                out.removeLast(chunk)
                break
            }
            out.removeLast(chunk - Int(n))
            if n == 0 { break }
        }
        // Ask before closing: after gzclose the handle is gone.
        let direct = gzdirect(file) == 1
        var errnum: Int32 = Z_OK
        _ = gzerror(file, &errnum)
        let pendingMessage = lastError(file)
        let closeStatus = gzclose(file)

        // Z_BUF_ERROR from gzerror or gzclose: the input ended inside the gzip stream.
        if errnum == Z_BUF_ERROR || closeStatus == Z_BUF_ERROR {
            throw DatasetError.badFile(path: path, problem: "truncated gzip data (the stream ends early)")
        }
        if let readError { throw DatasetError.badFile(path: path, problem: "corrupt gzip data (\(readError))") }
        if errnum != Z_OK && errnum != Z_STREAM_END {
            throw DatasetError.badFile(path: path, problem: "corrupt gzip data (\(pendingMessage))")
        }
        if closeStatus != Z_OK {
            throw DatasetError.badFile(path: path, problem: "gzip read failed (zlib status \(closeStatus))")
        }
        if out.isEmpty { throw DatasetError.badFile(path: path, problem: "empty file") }
        if direct && path.hasSuffix(".gz") {
            throw DatasetError.badFile(path: path, problem: "named .gz but is not gzip data")
        }
        return (out, !direct)
    }

    /// zlib's message without the "path: " prefix it adds.
    private static func lastError(_ file: gzFile) -> String {
        var errnum: Int32 = 0
        guard let message = gzerror(file, &errnum) else { return "zlib error \(errnum)" }
        let text = String(cString: message)
        if let range = text.range(of: ": ", options: .backwards) { return String(text[range.upperBound...]) }
        return text
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
