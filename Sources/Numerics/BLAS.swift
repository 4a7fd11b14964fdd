import CBLAS
import Foundation

/// Single-precision GEMM through OpenBLAS, opened at run time.
///
/// Why OpenBLAS, and why opened with dlopen (measured on these 2-core AVX-512 machines,
/// sgemm 1024^3, see the README's "BLAS" section): Debian's OpenBLAS 0.3.21 reaches
/// 250-460 GFLOP/s with AVX2/AVX-512 kernels, BLIS 0.9.0 (libblis4-openmp) 42-83. But
/// OpenBLAS 0.3.21 does not know every new CPU: on some Intel AVX-512 parts it falls back
/// to its "Prescott" kernels (24-44 GFLOP/s). It reads OPENBLAS_CORETYPE once, in a
/// library constructor, so a linked OpenBLAS would decide before main() runs. Opening it
/// ourselves lets us pick the kernels from the CPU's flags first; a user's own
/// OPENBLAS_CORETYPE always wins.
public enum BLAS {
    /// What was loaded, for `bench` and diagnostics.
    public struct Info: Codable, Equatable, Sendable {
        public var library: String
        public var coreName: String
        public var config: String
        /// Cores a large product is split over (OpenBLAS itself runs single-threaded).
        public var threads: Int
        /// The OPENBLAS_CORETYPE cnn-inte set, or nil when it left the choice alone.
        public var coreTypeChosen: String?
        /// The OPENBLAS_CORETYPE the environment already had, if any.
        public var coreTypeFromEnvironment: String?
    }

    public enum LoadError: Error, CustomStringConvertible {
        case notFound(tried: [String], reason: String)
        case missingSymbol(library: String, symbol: String)
        public var description: String {
            switch self {
            case let .notFound(tried, reason):
                return "OpenBLAS could not be opened (tried \(tried.joined(separator: ", ")): \(reason); install libopenblas0-pthread"
            case let .missingSymbol(library, symbol):
                return "\(library): lacks \(symbol); is this OpenBLAS?"
            }
        }
    }

    struct Library: @unchecked Sendable {
        let sgemm: cnninte_sgemm_fn
        let sgemv: cnninte_sgemv_fn
        let setThreads: cnninte_set_threads_fn
        let getThreads: cnninte_get_threads_fn
        var info: Info
    }

    static let candidates = [
        "libopenblas.so.0",
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so",
    ]

    /// The OPENBLAS_CORETYPE to set for a CPU with these /proc/cpuinfo flags, or nil to
    /// leave OpenBLAS's own detection alone. Pure, so it is tested on made-up flag sets.
    public static func coreType(forCPUFlags flags: Set<String>, environment: [String: String]) -> String? {
        if let existing = environment["OPENBLAS_CORETYPE"], !existing.isEmpty { return nil }
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        if avx512.allSatisfy(flags.contains) { return "SkylakeX" }
        if flags.contains("avx2") && flags.contains("fma") { return "Haswell" }
        return nil
    }

    /// The flags line of /proc/cpuinfo (empty where there is none).
    static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    private static let loaded: Result<Library, Error> = Result { try open() }

    private static func open() throws -> Library {
        let environment = ProcessInfo.processInfo.environment
        let chosen = coreType(forCPUFlags: cpuFlags(), environment: environment)
        if let chosen { setenv("OPENBLAS_CORETYPE", chosen, 1) }
        var handle: UnsafeMutableRawPointer?
        var used = ""
        var reason = ""
        for name in candidates {
            if let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                handle = h
                used = name
                break
            }
            if let error = dlerror() { reason = String(cString: error) }
        }
        guard let handle else { throw LoadError.notFound(tried: candidates, reason: reason) }
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let pointer = dlsym(handle, name) else { throw LoadError.missingSymbol(library: used, symbol: name) }
            return unsafeBitCast(pointer, to: type)
        }
        let corename = try symbol("openblas_get_corename", as: cnninte_corename_fn.self)
        let config = try symbol("openblas_get_config", as: cnninte_config_fn.self)
        let library = Library(
            sgemm: try symbol("cblas_sgemm", as: cnninte_sgemm_fn.self),
            sgemv: try symbol("cblas_sgemv", as: cnninte_sgemv_fn.self),
            setThreads: try symbol("openblas_set_num_threads", as: cnninte_set_threads_fn.self),
            getThreads: try symbol("openblas_get_num_threads", as: cnninte_get_threads_fn.self),
            info: Info(library: used, coreName: corename().map { String(cString: $0) } ?? "unknown",
                       config: config().map { String(cString: $0) } ?? "unknown",
                       threads: 0, coreTypeChosen: chosen,
                       coreTypeFromEnvironment: environment["OPENBLAS_CORETYPE"]))
        // cnn-inte splits large products over the cores itself (see sgemm).
        library.setThreads(1)
        return library
    }

    static var library: Library {
        switch loaded {
        case let .success(library): return library
        case let .failure(error): fatalError("\(error)")
        }
    }

    /// Opens OpenBLAS now, so a missing library is a clean error at start-up rather than
    /// a crash inside the first GEMM.
    public static func load() throws -> Info {
        var info = try loaded.get().info
        info.threads = Parallel.threads
        return info
    }


    /// C = alpha * op(A) * op(B) + beta * C, all row-major.
    /// op(A) is m x k, op(B) is k x n, C is m x n; lda/ldb/ldc are the row strides of the
    /// matrices as stored (before transposition).
    ///
    /// OpenBLAS runs single-threaded here, and a large product is cut into one block of
    /// rows (or columns) per `Parallel.threads`, each computed on its own core. OpenBLAS's
    /// own thread pool spins in sched_yield between calls, which took a fifth of the CPU
    /// from the element-wise loops that run between the GEMMs of a training step.
    /// Measured (default network, batch 50, img/s): OpenBLAS threads 1,130-1,310;
    /// with OPENBLAS_THREAD_TIMEOUT=4 1,550-1,760; split here 1,800-1,850. The price is
    /// a square 1024^3 product at ~300 GFLOP/s instead of ~450 (both threads pack the
    /// same panel), which the network's tall, thin products do not pay.
    /// The blocks depend only on the thread count, so results are reproducible.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let pieces = Parallel.threads
        let work = Double(m) * Double(n) * Double(k)
        if pieces <= 1 || work < 4e6 {
            call(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            return
        }
        if m >= n || m >= 16 * pieces {
            // Rows of C: rows of op(A). Row i of op(A) starts at a + i*lda, or a + i if transposed.
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                let rows = Parallel.range(piece, of: pieces, count: m)
                guard !rows.isEmpty else { return }
                let aStart = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
                call(transA, transB, rows.count, n, k, alpha, aStart, lda, b, ldb, beta, c + rows.lowerBound * ldc, ldc)
            }
        } else {
            // Columns of C: columns of op(B). Column j starts at b + j, or b + j*ldb if transposed.
            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                let columns = Parallel.range(piece, of: pieces, count: n)
                guard !columns.isEmpty else { return }
                let bStart = transB ? b + columns.lowerBound * ldb : b + columns.lowerBound
                call(transA, transB, m, columns.count, k, alpha, a, lda, bStart, ldb, beta, c + columns.lowerBound, ldc)
            }
        }
    }

    @inline(__always)
    private static func call(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                             _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                             _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        library.sgemm(Int32(CNNINTE_CBLAS_ROW_MAJOR),
                      Int32(transA ? CNNINTE_CBLAS_TRANS : CNNINTE_CBLAS_NO_TRANS),
                      Int32(transB ? CNNINTE_CBLAS_TRANS : CNNINTE_CBLAS_NO_TRANS),
                      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Array form of `sgemm` for untransposed, densely stored matrices.
    public static func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                              transA: Bool = false, transB: Bool = false) -> [Float] {
        precondition(a.count == m * k && b.count == k * n, "matmul: shapes do not match the buffers")
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    sgemm(transA: transA, transB: transB, m: m, n: n, k: k,
                          a: pa.baseAddress!, lda: transA ? m : k,
                          b: pb.baseAddress!, ldb: transB ? k : n,
                          c: pc.baseAddress!, ldc: n)
                }
            }
        }
        return c
    }

    /// Median GFLOP/s of `runs` timed m = n = k = `size` products after one warm-up.
    public static func benchmarkSGEMM(size: Int = 1024, runs: Int = 5) -> (median: Double, all: [Double]) {
        var rng = SplitMix64(seed: 42)
        let a = (0..<(size * size)).map { _ in Float(rng.nextUnit()) }
        let b = (0..<(size * size)).map { _ in Float(rng.nextUnit()) }
        var rates: [Double] = []
        for run in 0...runs {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = matmul(a, b, m: size, n: size, k: size)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 { rates.append(2 * pow(Double(size), 3) / seconds / 1e9) }
        }
        return (rates.sorted()[rates.count / 2], rates)
    }

    /// Largest error of `sgemm` against a Double-precision loop over a few shapes and
    /// all transpositions, relative to the largest exact entry. Wrong kernels give O(1);
    /// right ones about 1e-7. Guards the core type cnn-inte picks on an unknown CPU.
    public static func selfCheck(seed: UInt64 = 1) -> Double {
        var rng = SplitMix64(seed: seed)
        var worst = 0.0
        for (m, n, k) in [(7, 9, 5), (33, 65, 129), (150, 70, 300)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = (0..<(m * k)).map { _ in Float(rng.nextUnit() * 2 - 1) }
                    let b = (0..<(k * n)).map { _ in Float(rng.nextUnit() * 2 - 1) }
                    let fast = matmul(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
                    var biggest = 0.0, error = 0.0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for p in 0..<k {
                                let x = transA ? a[p * m + i] : a[i * k + p]
                                let y = transB ? b[j * k + p] : b[p * n + j]
                                sum += Double(x) * Double(y)
                            }
                            biggest = max(biggest, abs(sum))
                            error = max(error, abs(sum - Double(fast[i * n + j])))
                        }
                    }
                    worst = max(worst, error / max(biggest, 1e-30))
                }
            }
        }
        return worst
    }
}
