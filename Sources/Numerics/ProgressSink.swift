/// Where the library's long runs say how far they are. The library only formats the
/// messages; what becomes of them (stderr lines, a status line that rewrites itself on a
/// terminal, nothing under `--quiet` or in tests) is the caller's choice.
public struct ProgressSink: Sendable {
    /// A message that stays (a stage started or finished).
    public let line: @Sendable (String) -> Void
    /// A message the next one replaces (per-batch figures); a sink may drop or thin them.
    public let status: @Sendable (String) -> Void

    public init(line: @escaping @Sendable (String) -> Void, status: @escaping @Sendable (String) -> Void) {
        self.line = line
        self.status = status
    }

    /// Says nothing.
    public static let silent = ProgressSink(line: { _ in }, status: { _ in })
}
