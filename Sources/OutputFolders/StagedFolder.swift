import Foundation
import Numerics

/// One result folder (`model`, `interpretation`, `report`, `pdf`) built under a temporary
/// name beside its final place, `.<name>.partial-<pid>`, and put in place by
/// `OutputFolder.commit` only when complete, so a failed or interrupted run never leaves
/// half a result. A marker file (`Manifest`) says from the start that cnn-inte made it,
/// so a later run may remove it if this one dies.
public struct StagedFolder {
    /// The folder's name in the output folder ("model", "report", ...).
    public let name: String
    public let finalPath: String
    /// Where to write while working.
    public let path: String

    /// The staging name of `name` for process `pid`.
    static func stagingName(_ name: String, pid: Int32 = getpid()) -> String { ".\(name).partial-\(pid)" }

    /// Creates `<output>/.<name>.partial-<pid>` with its marker.
    init(output: String, name: String) throws {
        self.name = name
        finalPath = (output as NSString).appendingPathComponent(name)
        path = (output as NSString).appendingPathComponent(Self.stagingName(name))
        let fm = FileManager.default
        try? fm.removeItem(atPath: path)
        // Made under `<path>.new` with its marker, then renamed: a process killed in
        // between leaves a `.new` folder holding at most the marker, which the next run
        // removes (OutputFolder.recover), never a staging folder without one.
        let making = path + ".new"
        try? fm.removeItem(atPath: making)
        do {
            try fm.createDirectory(atPath: making, withIntermediateDirectories: false)
            try Manifest(kind: name, files: nil).write(into: making)
            guard rename(making, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            Interruption.staged(path, final: finalPath)
        } catch {
            try? fm.removeItem(atPath: making)
            throw FileError(path: path, problem: "cannot be created (\(FileError.reason(error)))")
        }
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `data` to `name` inside the staging folder, naming the final path on failure.
    public func write(_ data: Data, to name: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: file(name)))
        } catch {
            throw FileError(path: (finalPath as NSString).appendingPathComponent(name),
                            problem: "cannot be written (\(FileError.reason(error)))")
        }
    }

    /// Removes the staging folder (after a failure).
    public func discard() {
        try? FileManager.default.removeItem(atPath: path)
        Interruption.unstaged(path)
    }
}

/// `.cnn-inte.json`, in every folder cnn-inte writes: what made it, and once complete the
/// list of every file it put there. A folder is replaced only when it has one and holds
/// nothing the list does not name, so nothing of the user's is ever removed.
public struct Manifest: Codable, Equatable, Sendable {
    public static let fileName = ".cnn-inte.json"

    public var tool = "cnn-inte"
    public var version = Release.version
    public var kind: String
    /// Every file, relative to the folder, sorted; nil while the folder is being written.
    public var files: [String]?
    /// What the folder was made from (a report: the SHA-256 of the interpretation and of
    /// the model it was drawn from).
    public var sources: [String: String]?

    public init(kind: String, files: [String]?, sources: [String: String]? = nil) {
        self.kind = kind
        self.files = files
        self.sources = sources
    }

    /// Records `sources` in the manifest of `folder` (a staging folder), if it has one.
    public static func record(sources: [String: String], in folder: String) throws {
        guard var manifest = read(folder) else { return }
        manifest.sources = sources
        try manifest.write(into: folder)
    }

    func write(into folder: String) throws {
        try JSONEncoder.pretty.encode(self).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(Self.fileName)))
    }

    /// The manifest of `folder`, nil when it has none (or not one of cnn-inte's).
    public static func read(_ folder: String) -> Manifest? {
        guard let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(fileName)),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data), manifest.tool == "cnn-inte" else { return nil }
        return manifest
    }

    /// Every regular file and link under `folder`, relative, sorted; the manifest aside.
    static func listing(_ folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            if walker.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { continue }
            if relative != fileName { files.append(relative) }
        }
        return files.sorted()
    }
}
