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
}
