import Foundation

/// Single-precision matrix products, from oneDNN's GEMM.
///
/// Why oneDNN's (measured on the 2-core AVX-512 machines, README "GEMM"): on the k-means
/// shapes (blocks of 1,024 rows of 1,024 features times 10 centres, one block per core)
/// it runs 1.6 times as fast as OpenBLAS 0.3.21, and as fast on a square 1024^3 product;
/// it is the library the network already runs on, so one library and one thread pool
/// serve both, with no CPU-detection override to maintain.
public enum GEMM {
    /// What computes the products, for `bench` and diagnostics.
    public struct Info: Codable, Equatable, Sendable {
        public var library: String
        public var isa: String
        public var threads: Int
    }

    public static var info: Info { Info(library: DNNL.version, isa: DNNL.isa, threads: Parallel.threads) }

    /// C = alpha * op(A) * op(B) + beta * C, all row-major. op(A) is m x k, op(B) is
    /// k x n, C is m x n; lda/ldb/ldc are the row strides of the matrices as stored
    /// (before transposition). Uses every thread when called outside a parallel loop.
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        DNNL.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// Array form of `sgemm` for densely stored matrices.
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
    public static func benchmark(size: Int = 1024, runs: Int = 5) -> (median: Double, all: [Double]) {
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
    /// right ones about 1e-7.
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
