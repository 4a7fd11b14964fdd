import Foundation

/// An output folder built under a temporary name beside its final place and renamed into
/// place only when complete, so a failed or interrupted run never leaves half a result.
/// An older folder at the final place is replaced only at that moment.
public struct StagedFolder {
    public struct OutputError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
        public init(path: String, problem: String) {
            self.path = path
            self.problem = problem
        }
    }

    public let finalPath: String
    /// Where to write while working.
    public let path: String

    /// Prepares `<parent>/.<name>.partial-<pid>`; creates the parent if needed.
    public init(_ finalPath: String) throws {
        let url = URL(fileURLWithPath: finalPath).standardizedFileURL
        self.finalPath = url.path
        let parent = url.deletingLastPathComponent().path
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue {
            throw OutputError(path: url.path, problem: "is a file; an output folder is needed here")
        }
        if fm.fileExists(atPath: parent, isDirectory: &isDir) {
            if !isDir.boolValue { throw OutputError(path: parent, problem: "is a file; cannot write an output folder inside it") }
        } else {
            do {
                try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
            } catch {
                throw OutputError(path: parent, problem: "cannot be created (\(StagedFolder.reason(error)))")
            }
        }
        guard access(parent, W_OK) == 0 else { throw OutputError(path: parent, problem: "is not writable") }
        path = (parent as NSString).appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
        try? fm.removeItem(atPath: path)
        do {
            try fm.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw OutputError(path: path, problem: "cannot be created (\(StagedFolder.reason(error)))")
        }
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `data` to `name` inside the staging folder, naming the final path on failure.
    public func write(_ data: Data, to name: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: file(name)))
        } catch {
            throw OutputError(path: (finalPath as NSString).appendingPathComponent(name),
                              problem: "cannot be written (\(StagedFolder.reason(error)))")
        }
    }

    /// Moves the finished folder into place, replacing an older one.
    public func commit() throws {
        let fm = FileManager.default
        let old = path + ".old"
        if fm.fileExists(atPath: finalPath) {
            guard rename(finalPath, old) == 0 else {
                throw OutputError(path: finalPath, problem: "cannot be replaced (\(String(cString: strerror(errno))))")
            }
        }
        guard rename(path, finalPath) == 0 else {
            let problem = String(cString: strerror(errno))
            _ = rename(old, finalPath)
            throw OutputError(path: finalPath, problem: "cannot be moved into place (\(problem))")
        }
        try? fm.removeItem(atPath: old)
    }

    /// Removes the staging folder (after a failure).
    public func discard() { try? FileManager.default.removeItem(atPath: path) }

    public static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        if nsError.code == NSFileWriteOutOfSpaceError { return "no space left on device" }
        if nsError.code == NSFileWriteNoPermissionError { return "permission denied" }
        return nsError.localizedDescription
    }
}
