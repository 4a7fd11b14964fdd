import Foundation
import Numerics

/// The folder given with `--output`, as cnn-inte writes it. Three promises:
///
/// - **Nothing of the user's is lost.** A result folder (`model`, `interpretation`,
///   `report`, `pdf`) is replaced only when cnn-inte wrote it: its `Manifest` lists every
///   file in it. A folder without one, or holding a file its manifest does not name, is
///   refused, naming it. (Folders written by 0.1.0, before manifests, are recognised by
///   their content; see `LegacyFolders`.)
/// - **One writer at a time.** Opening for writing takes a lock (`.cnn-inte.lock`); a
///   second cnn-inte writing the same folder is refused at once, naming the first.
/// - **All or nothing.** Results are built in staging folders and put in place together by
///   `commit`, which first writes a journal of the renames it will make. If the process
///   dies during them, the next cnn-inte to open the folder finishes them (every staged
///   folder was complete before the journal was written), and removes the staging
///   folders of runs that died before committing.
public final class OutputFolder {
    public let path: String
    private let lock: Int32
    private let lockPath: String

    static let lockName = ".cnn-inte.lock"
    static let journalName = ".cnn-inte.commit"

    /// Opens `path` for writing, creating it if needed.
    public init(writing path: String) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        self.path = url.path
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: self.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw FileError(path: self.path, problem: "is a file; --output takes a folder") }
        } else {
            do { try fm.createDirectory(atPath: self.path, withIntermediateDirectories: true) } catch {
                throw FileError(path: self.path, problem: "cannot be created (\(FileError.reason(error)))")
            }
        }
        guard access(self.path, W_OK) == 0 else { throw FileError(path: self.path, problem: "is not writable") }
        lockPath = (self.path as NSString).appendingPathComponent(Self.lockName)
        lock = try Self.takeLock(lockPath, output: self.path)
        ftruncate(lock, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { Foundation.write(lock, $0, strlen($0)) }
        Interruption.opened(output: self.path, lockFile: lockPath)
        try recover()
    }

    /// The lock file is removed when the writer is done (nothing of ours stays in the
    /// user's folder), so a lock taken on a file that was removed meanwhile is no lock:
    /// taken again on the file now at `lockPath`.
    private static func takeLock(_ lockPath: String, output: String) throws -> Int32 {
        while true {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw FileError(path: lockPath, problem: "cannot be created (\(String(cString: strerror(errno))))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                close(fd)
                throw FileError(path: output, problem: "is being written by another cnn-inte (process \(holder.map { $0.isEmpty ? "?" : $0 } ?? "?")); wait for it to finish or choose another --output")
            }
            var held = stat(), current = stat()
            if fstat(fd, &held) == 0, stat(lockPath, &current) == 0, held.st_dev == current.st_dev, held.st_ino == current.st_ino {
                return fd
            }
            close(fd)
        }
    }

    deinit {
        Interruption.closed(output: path)
        unlink(lockPath)  // while still held: see takeLock
        flock(lock, LOCK_UN)
        close(lock)
    }

    /// Staging folders for `names`, after checking that each final folder may be replaced.
    public func stage(_ names: [String]) throws -> [StagedFolder] {
        for name in names { try checkReplaceable(name) }
        var staged: [StagedFolder] = []
        do {
            for name in names { staged.append(try StagedFolder(output: path, name: name)) }
        } catch {
            staged.forEach { $0.discard() }
            throw error
        }
        return staged
    }

    /// Stages `names`, runs `body` on the staging folders and commits them all, or
    /// discards them all when `body` throws.
    public func transaction<T>(_ names: [String], _ body: ([StagedFolder]) throws -> T) throws -> T {
        let staged = try stage(names)
        do {
            let result = try body(staged)
            try commit(staged)
            return result
        } catch {
            staged.forEach { $0.discard() }
            throw error
        }
    }

    /// Puts `staged` in place, replacing the folders there (checked again: the user may
    /// have added a file since the run began).
    public func commit(_ staged: [StagedFolder]) throws {
        for folder in staged { try checkReplaceable(folder.name) }
        for folder in staged {
            var manifest = Manifest.read(folder.path) ?? Manifest(kind: folder.name, files: nil)
            manifest.files = Manifest.listing(folder.path)
            do { try manifest.write(into: folder.path) } catch {
                throw FileError(path: folder.finalPath, problem: "cannot be written (\(FileError.reason(error)))")
            }
        }
        let journal = Journal(moves: staged.map { .init(staged: $0.path, final: $0.finalPath) })
        let journalPath = (path as NSString).appendingPathComponent(Self.journalName)
        // Ctrl-C or SIGTERM now would leave the renames half made: they wait until the
        // commit is over (SIGKILL cannot wait; the journal covers it).
        var blocked = sigset_t(), previous = sigset_t()
        sigemptyset(&blocked)
        for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&blocked, signal) }
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try Interruption.committing(staged.map { ($0.path, $0.finalPath) }) {
            do {
                try Self.writeJournal(try JSONEncoder.sorted.encode(journal), to: journalPath)
            } catch {
                throw FileError(path: journalPath, problem: "cannot be written (\(FileError.reason(error)))")
            }
            try Self.finish(journal, journalPath: journalPath)
        }
    }

    /// The journal written whole under a name of our own, then renamed into place:
    /// Foundation's atomic write would leave its own temporary file (`.dat.nosync...`) in
    /// the output folder when the process is killed between the two, which `recover` could
    /// not recognise; ours it removes.
    static func writeJournal(_ data: Data, to journalPath: String) throws {
        let partial = journalPath + ".partial"
        guard FileManager.default.createFile(atPath: partial, contents: data) else {
            throw FileError(path: partial, problem: "cannot be written")
        }
        let fd = open(partial, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
        guard rename(partial, journalPath) == 0 else {
            unlink(partial)
            throw FileError(path: journalPath, problem: "cannot be written (\(String(cString: strerror(errno))))")
        }
    }

    /// For readers: finishes a commit a dead process left half done in `path`, unless
    /// another cnn-inte is writing there (then its own commit will). Never throws: a
    /// reader that cannot settle the folder reads it as it is.
    public static func settle(_ path: String) {
        let standard = URL(fileURLWithPath: path).standardizedFileURL.path
        let journal = (standard as NSString).appendingPathComponent(journalName)
        guard FileManager.default.fileExists(atPath: journal) else { return }
        let lockPath = (standard as NSString).appendingPathComponent(lockName)
        let fd = open(lockPath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return }
        defer { flock(fd, LOCK_UN) }
        try? OutputFolder.recover(in: standard)
    }

    /// The result folder a staging folder's name belongs to: `.<kind>.partial-<pid>`,
    /// `.<kind>.partial-<pid>.old` or `.<kind>.partial-<pid>.new`.
    static func stagingKind(_ entry: String) -> String? {
        var name = Substring(entry)
        guard name.hasPrefix(".") else { return nil }
        name = name.dropFirst()
        if name.hasSuffix(".old") || name.hasSuffix(".new") { name = name.dropLast(4) }
        guard let range = name.range(of: ".partial-"), !name[range.upperBound...].isEmpty,
              name[range.upperBound...].allSatisfy(\.isNumber) else { return nil }
        let kind = String(name[..<range.lowerBound])
        return ["model", "interpretation", "report", "pdf"].contains(kind) ? kind : nil
    }

    // MARK: - Replacing only what is ours

    /// Throws unless `<output>/name` is absent or a folder cnn-inte wrote that holds
    /// nothing else.
    func checkReplaceable(_ name: String) throws {
        let final = (path as NSString).appendingPathComponent(name)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: final, isDirectory: &isDir) else { return }
        guard isDir.boolValue else {
            throw FileError(path: final, problem: "is a file, not a folder cnn-inte wrote; cnn-inte will not replace it (move it away or choose another --output)")
        }
        guard let manifest = Manifest.read(final) else {
            if LegacyFolders.isOurs(final, kind: name) { return }
            throw FileError(path: final, problem: "exists and was not written by cnn-inte; cnn-inte will not replace it (move it away or choose another --output)")
        }
        let listed = Set(manifest.files ?? [])
        let extra = Manifest.listing(final).filter { !listed.contains($0) }
        if let first = extra.first {
            throw FileError(path: final, problem: "holds \(extra.count.counted("file")) cnn-inte did not write (\(first)\(extra.count > 1 ? ", ..." : "")); cnn-inte will not replace it (move \(extra.count == 1 ? "it" : "them") away or choose another --output)")
        }
    }

    // MARK: - The journal

    struct Journal: Codable {
        struct Move: Codable { var staged: String; var final: String }
        var moves: [Move]
    }

    /// Makes every move of `journal` that is not made yet, then forgets the old folders
    /// and the journal. Safe to repeat after a crash at any point.
    static func finish(_ journal: Journal, journalPath: String) throws {
        let fm = FileManager.default
        var olds: [String] = []
        for move in journal.moves {
            let old = move.staged + ".old"
            olds.append(old)
            guard fm.fileExists(atPath: move.staged) else { continue }  // moved before a crash
            if fm.fileExists(atPath: move.final) {
                try? fm.removeItem(atPath: old)
                guard rename(move.final, old) == 0 else {
                    throw FileError(path: move.final, problem: "cannot be replaced (\(String(cString: strerror(errno))))")
                }
            }
            guard rename(move.staged, move.final) == 0 else {
                throw FileError(path: move.final, problem: "cannot be moved into place (\(String(cString: strerror(errno))))")
            }
        }
        unlink(journalPath)
        for old in olds { try? fm.removeItem(atPath: old) }
    }

    /// Finishes a commit a dead process left half done, and removes staging folders of
    /// processes that are gone (holding the lock, no other cnn-inte writes here).
    func recover() throws { try Self.recover(in: path) }

    static func recover(in path: String) throws {
        let fm = FileManager.default
        let journalPath = (path as NSString).appendingPathComponent(Self.journalName)
        unlink(journalPath + ".partial")  // a journal never put in place: no move was made
        if let data = fm.contents(atPath: journalPath) {
            if let journal = try? JSONDecoder().decode(Journal.self, from: data),
               journal.moves.allSatisfy({ ($0.final as NSString).deletingLastPathComponent == path }) {
                try finish(journal, journalPath: journalPath)
            } else {
                unlink(journalPath)  // written half by a crash before any move: nothing to finish
            }
        }
        for entry in (try? fm.contentsOfDirectory(atPath: path)) ?? [] {
            guard let kind = Self.stagingKind(entry) else { continue }
            let full = (path as NSString).appendingPathComponent(entry)
            // A staging folder has its marker from the start; an `.old` one is a result
            // folder this code renamed aside (a 0.1.0 one has no marker); a `.new` one was
            // being made and holds at most the marker (perhaps half written).
            let making = entry.hasSuffix(".new")
                && ((try? fm.contentsOfDirectory(atPath: full)) ?? ["?"]).allSatisfy { $0 == Manifest.fileName }
            if entry.hasSuffix(".old") || making || Manifest.read(full)?.kind == kind { try? fm.removeItem(atPath: full) }
        }
    }
}

/// Folders cnn-inte 0.1.0 wrote, before manifests: recognised by content, strictly, so a
/// user's own folder of the same name is never taken for one.
enum LegacyFolders {
    static func isOurs(_ folder: String, kind: String) -> Bool {
        let fm = FileManager.default
        let entries = Set((try? fm.contentsOfDirectory(atPath: folder)) ?? [])
        func json(_ name: String) -> [String: Any]? {
            fm.contents(atPath: (folder as NSString).appendingPathComponent(name))
                .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        }
        switch kind {
        case "model":
            return !entries.isEmpty && entries.isSubset(of: ["model.safetensors", "model.json"])
                && json("model.json")?["format"] as? String == "cnn-inte-model-1"
        case "interpretation":
            return !entries.isEmpty && entries.isSubset(of: ["results.json", "instances.csv", "clusters.json", "interpretation.safetensors"])
                && json("results.json")?["class_names"] != nil
        case "report":
            let index = fm.contents(atPath: (folder as NSString).appendingPathComponent("index.html")).map { String(decoding: $0, as: UTF8.self) }
            return entries.isSubset(of: ["index.html", "data.js", "style.css", "report.js", "instances", "clusters", "diagrams", "figures"])
                && index?.contains("Made by cnn-inte 0.1.0") == true
        case "pdf":
            // Only booklets the sibling report links to.
            let report = ((folder as NSString).deletingLastPathComponent as NSString).appendingPathComponent("report/index.html")
            guard let index = fm.contents(atPath: report).map({ String(decoding: $0, as: UTF8.self) }),
                  index.contains("Made by cnn-inte 0.1.0") else { return false }
            return entries.allSatisfy { $0.hasSuffix(".pdf") && index.contains("../pdf/" + $0) }
        default:
            return false
        }
    }
}
