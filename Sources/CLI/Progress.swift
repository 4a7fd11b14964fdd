import Foundation
import Numerics

/// Progress on stderr. Plain lines when stderr is not a terminal (logs, CI), where the
/// per-batch status is thinned to one line every 5 seconds; on a terminal a status line
/// that rewrites itself. `--quiet` silences all of it.
final class StderrProgress: @unchecked Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var transient = false
    /// In a log, a status line every 5 seconds, the first 5 seconds after the start (a
    /// stage done sooner says only its closing line).
    private var lastPlainStatus = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    private let lock = NSLock()

    static func sink(quiet: Bool) -> ProgressSink {
        if quiet { return .silent }
        let printer = StderrProgress()
        return ProgressSink(line: printer.line, status: printer.status)
    }

    func line(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        write((transient ? "\r\u{1B}[K" : "") + text + "\n")
        transient = false
    }

    func status(_ text: String) {
        lock.lock(); defer { lock.unlock() }
        if isTerminal {
            write("\r\u{1B}[K" + text)
            transient = true
            return
        }
        let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        if now - lastPlainStatus >= 5 {
            lastPlainStatus = now
            write(text + "\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
