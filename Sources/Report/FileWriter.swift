import Foundation

/// Plain file writes for the many small files of a report. Foundation's `Data.write`
/// flushes every file to disk (fsync), which cost about a tenth of a report's time; the
/// report is built in a staging folder that is renamed into place only when complete, so
/// per-file durability buys nothing here.
enum FileWriter {
    static func write<C: Collection>(_ bytes: C, to path: String) throws where C.Element == UInt8 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ReportError.write(path: path, problem: "cannot be written (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        let status: Int? = bytes.withContiguousStorageIfAvailable { buffer -> Int in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return Int(errno)
                }
                offset += n
            }
            return 0
        }
        if status == nil { return try write(Array(bytes), to: path) }
        if let status, status != 0 {
            throw ReportError.write(path: path, problem: "cannot be written (\(String(cString: strerror(Int32(status)))))")
        }
    }

    static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// The name a file is written under before `moveIntoPlace` gives it its own: beside it
    /// (one file system, so the rename is atomic) and per process (report workers may
    /// write the same picture at once).
    static func temporaryName(for path: String) -> String { path + ".tmp-\(getpid())" }

    /// Renames `temporary` to `path`, so nobody ever reads a half-written file; on failure
    /// removes `temporary` and throws naming `path`.
    static func moveIntoPlace(_ temporary: String, as path: String) throws {
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ReportError.write(path: path, problem: "cannot be written (\(reason))")
        }
    }
}
