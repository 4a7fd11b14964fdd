import Datasets
import Foundation
import Numerics
import OutputFolders

/// What a shard's result was made from. A shard is reused only when its record's key
/// equals the key of the run asking for it: the same settings (the plan's fingerprint:
/// data, model, configuration, seed, threads, the shard layout and the program), and the
/// same inputs as found when it ran (the data's and the model's SHA-256).
public struct ShardKey: Codable, Equatable, Sendable {
    /// `ShardPlan.fingerprint`.
    public var plan: String
    /// SHA-256 of the inputs the shard read, by name (`data`, `model`).
    public var inputs: [String: String]

    public init(plan: String, inputs: [String: String]) {
        self.plan = plan
        self.inputs = inputs
    }
}

/// A shard's done record (`done.json`), written last: its presence means every file it
/// names is complete.
public struct ShardRecord: Codable, Equatable, Sendable {
    public var stage: String
    public var index: Int
    public var key: ShardKey
    /// SHA-256 of each file the shard wrote, by name.
    public var files: [String: String]
    public var seconds: Double
    /// Where it ran (host name), for `status`.
    public var host: String
    /// The job's peak resident memory when the shard was done (MiB), to size `--mem`.
    public var peakMiB: Double?
}

/// `<output>/shards`: what a sharded run keeps between its stages, one folder per stage and
/// shard (`<stage>/00003/`), each filled in a temporary folder and renamed into place whole
/// with its `done.json` (img2dataset's habit: the stats file last, as the done marker). A
/// shard that fails leaves `<stage>/00003.failed` (its error, one line); one killed leaves
/// only a temporary folder, removed once an attempt succeeds. Nothing outside this folder is
/// written by a shard.
public struct ShardFolder: Sendable {
    public let output: String

    public init(output: String) { self.output = URL(fileURLWithPath: output).standardizedFileURL.path }

    public static let name = "shards"
    public var root: String { (output as NSString).appendingPathComponent(Self.name) }
    public var planPath: String { (root as NSString).appendingPathComponent("plan.json") }
    public var logs: String { (root as NSString).appendingPathComponent("logs") }

    public func stage(_ stage: String) -> String { (root as NSString).appendingPathComponent(stage) }
    public func shard(_ stage: String, _ index: Int) -> String {
        (self.stage(stage) as NSString).appendingPathComponent(String(format: "%05d", index))
    }
    public func failedPath(_ stage: String, _ index: Int) -> String { shard(stage, index) + ".failed" }
    /// File `name` in a shard's folder.
    public func file(_ stage: String, _ index: Int, _ name: String) -> String {
        (shard(stage, index) as NSString).appendingPathComponent(name)
    }

    /// The bytes of file `name` that a shard wrote; its absence (the shard is not done)
    /// names the file.
    public func read(_ stage: String, _ index: Int, _ name: String) throws -> Data {
        let path = file(stage, index, name)
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path: path, problem: "is missing (its shard is not done)") }
        return data
    }
    /// The log Slurm writes for a shard (`sbatch --output`).
    public func log(_ stage: String, _ index: Int) -> String {
        (logs as NSString).appendingPathComponent(String(format: "%@-%05d.log", stage, index))
    }

    static let recordName = "done.json"

    /// The shard's done record, when it has one.
    public func record(_ stage: String, _ index: Int) -> ShardRecord? {
        let path = (shard(stage, index) as NSString).appendingPathComponent(Self.recordName)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ShardRecord.self, from: data)
    }

    /// Whether the shard is done with `key` (a record from other settings or inputs is not).
    public func isDone(_ stage: String, _ index: Int, key: ShardKey) -> Bool { record(stage, index)?.key == key }

    /// The error a failed attempt left, when the last attempt failed.
    public func failure(_ stage: String, _ index: Int) -> String? {
        (try? String(contentsOfFile: failedPath(stage, index), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes the temporary folders earlier attempts at a shard left (killed ones, often on
    /// another node, under another process id), once the shard is done.
    func removeAttempts(_ stage: String, _ index: Int) {
        let prefix = (shard(stage, index) as NSString).lastPathComponent + ".partial-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: self.stage(stage))) ?? [] where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: (self.stage(stage) as NSString).appendingPathComponent(name))
        }
    }

    /// Runs one shard: skipped (returns false) when it is done with `key`; else `body`
    /// fills a fresh temporary folder and returns nothing or throws; the files it made are
    /// fingerprinted into `done.json`, and the folder renamed into place whole. A failure
    /// is recorded in `<shard>.failed` and thrown again.
    @discardableResult
    public func produce(_ stage: String, _ index: Int, key: ShardKey, body: (_ folder: String) throws -> Void) throws -> Bool {
        if isDone(stage, index, key: key) { return false }
        let final = shard(stage, index)
        let temporary = final + ".partial-\(ProcessInfo.processInfo.hostName)-\(getpid())"
        let fm = FileManager.default
        try Folders.make(self.stage(stage))
        try? fm.removeItem(atPath: failedPath(stage, index))
        try? fm.removeItem(atPath: temporary)
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            try fm.createDirectory(atPath: temporary, withIntermediateDirectories: false)
            try body(temporary)
            var files: [String: String] = [:]
            for name in try fm.subpathsOfDirectory(atPath: temporary).sorted() {
                let path = (temporary as NSString).appendingPathComponent(name)
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue {
                    // Mapped, not read: a decode shard's pixels run to gigabytes.
                    files[name] = try MappedPixels(path: path).withBytes { SHA256.hex($0) }
                }
            }
            let record = ShardRecord(stage: stage, index: index, key: key, files: files,
                                     seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                                     host: ProcessInfo.processInfo.hostName, peakMiB: Memory.peakResidentMiB())
            try JSONEncoder.sorted.encode(record).write(to: URL(fileURLWithPath: (temporary as NSString).appendingPathComponent(Self.recordName)))
            // A stale shard (other settings, or an attempt that died after its rename) goes
            // first; the rename of a whole folder is the commit.
            try? fm.removeItem(atPath: final)
            guard rename(temporary, final) == 0 else {
                throw FileError(path: final, problem: "cannot be written (\(String(cString: strerror(errno))))")
            }
            removeAttempts(stage, index)
            return true
        } catch {
            try? fm.removeItem(atPath: temporary)
            try? (String(describing: error).replacingOccurrences(of: "\n", with: " ") + "\n")
                .write(toFile: failedPath(stage, index), atomically: true, encoding: .utf8)
            throw error
        }
    }
}

/// Making `<output>/shards` ours without touching anything of the user's.
public enum ShardFolders {
    /// The file that says a `shards` folder is cnn-inte's.
    static let markerName = ".cnn-inte-shards"

    /// Creates `folder.root` with its marker, or checks that an existing one has it.
    public static func claim(_ folder: ShardFolder) throws {
        let marker = (folder.root as NSString).appendingPathComponent(markerName)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.root, isDirectory: &isDir) {
            guard isDir.boolValue, FileManager.default.fileExists(atPath: marker) else {
                throw FileError(path: folder.root, problem: "exists and was not written by cnn-inte; cnn-inte will not write into it (move it away or choose another --output)")
            }
            return
        }
        try Folders.make(folder.root)
        try FileWriting.atomically(Data("cnn-inte's shards of a run split over jobs; 'cnn-inte status --output' shows them\n".utf8), to: marker)
    }
}
