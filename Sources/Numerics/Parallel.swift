import Foundation

/// Splits loops over the cores. Work is cut into a fixed number of contiguous ranges that
/// depends only on `threads`, so results (including reductions combined in range order)
/// are the same on every run with the same thread count.
public enum Parallel {
    /// Worker count; set once at start-up (`--threads`), defaults to the core count.
    public nonisolated(unsafe) static var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body` once per range of `0..<count`, on up to `threads` cores at once.
    /// Ranges are never smaller than `grain` elements, so tiny loops stay on one thread.
    @inline(__always)
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let pieces = min(threads, max(1, count / max(grain, 1)))
        if pieces <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            body(range(piece, of: pieces, count: count))
        }
    }

    /// The `piece`-th of `pieces` near-equal contiguous ranges of `0..<count`.
    @inline(__always)
    public static func range(_ piece: Int, of pieces: Int, count: Int) -> Range<Int> {
        let base = count / pieces, extra = count % pieces
        let start = piece * base + min(piece, extra)
        return start..<(start + base + (piece < extra ? 1 : 0))
    }
}
