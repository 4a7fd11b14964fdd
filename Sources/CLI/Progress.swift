import Foundation

/// Progress lines on stderr. Plain lines when stderr is not a terminal (logs, CI); on a
/// terminal a status line that rewrites itself. `--quiet` silences all of it.
public final class Progress: @unchecked Sendable {
    public let quiet: Bool
    let isTerminal: Bool
    private var transient = false
    private let lock = NSLock()

    public init(quiet: Bool) {
        self.quiet = quiet
        self.isTerminal = isatty(STDERR_FILENO) == 1
    }

    /// A line that stays.
    public func line(_ text: String) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        write((transient ? "\r\u{1B}[K" : "") + text + "\n")
        transient = false
    }

    /// A status that the next status replaces on a terminal; a plain line elsewhere.
    public func status(_ text: String) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        if isTerminal {
            write("\r\u{1B}[K" + text)
            transient = true
        } else {
            write(text + "\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
