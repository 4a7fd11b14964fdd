import Foundation
import Numerics

/// What Ctrl-C (SIGINT) or SIGTERM does to a run that writes an output folder: it removes
/// the run's own staging folders and the folder's lock, prints one line saying what was
/// kept, and ends the process by the same signal (so a shell or a scheduler sees an
/// interrupted command, exit status 130 or 143).
///
/// Without this the default action would end the process at once, leaving
/// `.interpretation.partial-PID` folders and `.cnn-inte.lock` behind until the next run
/// cleaned them, and printing nothing. The result folders themselves are never touched:
/// they change only in `OutputFolder.commit`, which holds `Interruption`'s lock while it
/// renames, so an interruption waits for a commit in progress to end.
public enum Interruption {
    private static let lock = NSLock()
    /// Output folders open for writing, by path: their lock files.
    nonisolated(unsafe) private static var lockFiles: [String: String] = [:]
    /// Staging folder path -> its final folder's path.
    nonisolated(unsafe) private static var staging: [String: String] = [:]
    /// Final folders this process put in place, in order.
    nonisolated(unsafe) private static var written: [String] = []
    /// Helper processes started, which may write into staging folders.
    nonisolated(unsafe) private static var children: Set<Int32> = []
    nonisolated(unsafe) private static var installed = false

    /// Installs the handling of SIGINT and SIGTERM (once; later calls do nothing). Call it
    /// first thing in `main`, before any other thread starts: the two signals are blocked
    /// in this thread, so in every thread started after it, and one thread of our own
    /// takes them with `sigwait`, where any code may run (a signal handler could not
    /// remove folders or print).
    public static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waited = set
        let waiter = Thread {
            var set = waited, signalNumber: Int32 = 0
            while sigwait(&set, &signalNumber) != 0 {}
            stop(by: signalNumber)
        }
        waiter.name = "cnn-inte signals"
        waiter.start()
    }

    // MARK: - What the output folder machinery registers

    static func opened(output: String, lockFile: String) { locked { lockFiles[output] = lockFile } }
    static func closed(output: String) { locked { lockFiles[output] = nil } }
    static func staged(_ path: String, final: String) { locked { staging[path] = final } }
    static func unstaged(_ path: String) { locked { staging[path] = nil } }

    /// Starts a helper process that writes into a staging folder (a report worker) with
    /// `start`, which returns its process id: started and recorded at once, so an
    /// interruption either comes first (and nothing starts) or stops it too.
    public static func startChild(_ start: () throws -> Int32) rethrows {
        lock.lock()
        defer { lock.unlock() }
        children.insert(try start())
    }

    /// A helper process that has ended and been waited for: its id may be given to another
    /// process from now on, which an interruption must not kill.
    public static func ended(child pid: Int32) { locked { children.remove(pid) } }

    /// Runs `body` (the renames of a commit) with interruptions held off until it ends.
    static func committing<T>(_ moves: [(staged: String, final: String)], _ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        let result = try body()
        for move in moves {
            staging[move.staged] = nil
            written.append(move.final)
        }
        return result
    }

    private static func locked(_ body: () -> Void) {
        lock.lock()
        body()
        lock.unlock()
    }

    // MARK: - Stopping

    /// Cleans up, says so in one line, and ends the process by `signalNumber`.
    static func stop(by signalNumber: Int32) {
        lock.lock()  // never released: the process ends here
        let outputs = Array(lockFiles.keys)
        // The workers first: one still writing would make again the folders removed below.
        for pid in children where kill(pid, SIGKILL) == 0 {
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        // Each staging folder is first renamed aside as `.old`: the report's worker
        // processes may still be writing into it until they see their parent gone, and
        // can no longer reach it by its name; whatever a last write leaves there, the next
        // run removes (OutputFolder.recover takes every `.old` folder for discarded).
        for path in staging.keys {
            let aside = path + ".old"
            removeTree(aside)
            removeTree(rename(path, aside) == 0 ? aside : path)
        }
        for (_, file) in lockFiles { unlink(file) }
        if !outputs.isEmpty {
            let line = summary(signal: signalNumber, staged: Array(staging.values), written: written)
            let prefix = isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" : ""  // over a progress line
            let text = prefix + "cnn-inte: " + line + "\n"
            _ = text.withCString { Foundation.write(STDERR_FILENO, $0, strlen($0)) }
        }
        // Ended by the signal itself, unblocked in this thread only.
        signal(signalNumber, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signalNumber)
        _exit(128 + signalNumber)
    }

    /// "interrupted: /out/model written by this run; /out/interpretation and /out/report
    /// left as they were; /out/pdf not written; staging folders and lock removed"
    static func summary(signal signalNumber: Int32, staged: [String], written: [String]) -> String {
        let fm = FileManager.default
        let kept = staged.filter { fm.fileExists(atPath: $0) }.sorted()
        let absent = staged.filter { !fm.fileExists(atPath: $0) }.sorted()
        func list(_ paths: [String]) -> String {
            paths.count <= 1 ? paths.joined() : paths.dropLast().joined(separator: ", ") + " and " + paths.last!
        }
        var parts: [String] = []
        if !written.isEmpty { parts.append("\(list(written)) written by this run") }
        if !kept.isEmpty { parts.append("\(list(kept)) left as \(kept.count == 1 ? "it was" : "they were") (the previous result)") }
        if !absent.isEmpty { parts.append("\(list(absent)) not written") }
        parts.append("staging folders and lock removed")
        let name = signalNumber == SIGINT ? "interrupted (Ctrl-C)" : signalNumber == SIGTERM ? "terminated (SIGTERM)" : "stopped by signal \(signalNumber)"
        return name + ": " + parts.joined(separator: "; ")
    }

    /// Removes a staging folder whose files another thread may still be creating: a few
    /// passes, until it is gone.
    private static func removeTree(_ path: String) {
        for _ in 0..<20 {
            try? FileManager.default.removeItem(atPath: path)
            if !FileManager.default.fileExists(atPath: path) { return }
            usleep(5_000)
        }
    }
}
