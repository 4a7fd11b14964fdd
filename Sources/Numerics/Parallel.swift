import CSupport
import Foundation

/// Splits loops over the cores. Work is cut into a fixed number of contiguous ranges that
/// depends only on `threads`, so results (including reductions combined in range order)
/// are the same on every run with the same thread count.
///
/// The loops run on the OpenMP runtime's threads (libgomp), the pool oneDNN computes on:
/// one set of threads for the whole program, so `--threads N` means N threads in all,
/// none competing with another pool (OpenBLAS's own pool, earlier, spun between calls and
/// took a fifth of a training step from the loops between them).
public enum Parallel {
    /// Worker count; set once at start-up (`--threads`), defaults to the core count.
    public nonisolated(unsafe) static var threads = ProcessInfo.processInfo.activeProcessorCount {
        didSet {
            cnninte_set_threads(Int32(threads))
            cnninte_flush_denormals()
        }
    }

    /// Flushes denormal floats to zero on this thread and the pool's (see
    /// `cnninte_flush_denormals`): training slowed by a fifth over an epoch without it.
    /// Evaluated once, by the first model built.
    public static let denormalsFlushed: Void = cnninte_flush_denormals()

    /// Calls `body` once per range of `0..<count`, on up to `threads` cores at once.
    /// Ranges are never smaller than `grain` elements, so tiny loops stay on one thread.
    @inline(__always)
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let pieces = min(threads, max(1, count / max(grain, 1)))
        if pieces <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        forEach(pieces) { piece in body(range(piece, of: pieces, count: count)) }
    }

    /// Calls `body(piece)` for every piece in `0..<pieces`, the pieces spread over the
    /// threads (each thread takes pieces t, t + n, ...); returns when all are done.
    public static func forEach(_ pieces: Int, _ body: (Int) -> Void) {
        if pieces <= 1 {
            if pieces == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let job = Job(pieces: pieces, body: body)
            withExtendedLifetime(job) {
                cnninte_parallel(Int32(min(pieces, threads)), { context, thread, threads in
                    let job = Unmanaged<Job>.fromOpaque(context!).takeUnretainedValue()
                    var piece = Int(thread)
                    while piece < job.pieces {
                        job.body(piece)
                        piece += Int(threads)
                    }
                }, Unmanaged.passUnretained(job).toOpaque())
            }
        }
    }

    private final class Job {
        let pieces: Int
        let body: (Int) -> Void
        init(pieces: Int, body: @escaping (Int) -> Void) {
            self.pieces = pieces
            self.body = body
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
