import XCTest
@testable import Numerics

final class BLASTests: XCTestCase {
    /// Reference product, in Double, straight from the definition.
    func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transA: Bool, transB: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = transA ? a[p * m + i] : a[i * k + p]
                    let y = transB ? b[j * k + p] : b[p * n + j]
                    sum += Double(x) * Double(y)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    func testSGEMMMatchesNaiveLoopOnRandomMatrices() throws {
        _ = try BLAS.load()
        var rng = SplitMix64(seed: 7)
        // Odd sizes exercise the kernels' edge handling; 67x129x258 crosses block sizes.
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 33, 9), (67, 129, 258), (128, 64, 100)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = (0..<(m * k)).map { _ in Float(rng.nextUnit() * 2 - 1) }
                    let b = (0..<(k * n)).map { _ in Float(rng.nextUnit() * 2 - 1) }
                    let fast = BLAS.matmul(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
                    let slow = naive(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
                    let worst = zip(fast, slow).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(worst, 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k) tA=\(transA) tB=\(transB)")
                }
            }
        }
    }

    func testAlphaBetaAndStrides() throws {
        // C(2x2) = 2 * A(2x3, stored with row stride 4) * B(3x2) + 0.5 * C
        let a: [Float] = [1, 2, 3, 99, 4, 5, 6, 99]
        let b: [Float] = [1, 0, 0, 1, 1, 1]
        var c: [Float] = [10, 20, 30, 40]
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.sgemm(m: 2, n: 2, k: 3, alpha: 2, a: pa.baseAddress!, lda: 4, b: pb.baseAddress!, ldb: 2,
                               beta: 0.5, c: pc.baseAddress!, ldc: 2)
                }
            }
        }
        // A*B = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]]
        let expected: [Float] = [13, 20, 35, 42]  // 2*[4,5,10,11] + 0.5*[10,20,30,40]
        XCTAssertEqual(c, expected)
    }

    func testCoreTypeChoice() {
        let skylake: Set = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
        XCTAssertEqual(BLAS.coreType(forCPUFlags: skylake, environment: [:]), "SkylakeX")
        XCTAssertEqual(BLAS.coreType(forCPUFlags: ["avx2", "fma", "avx512f"], environment: [:]), "Haswell")
        XCTAssertNil(BLAS.coreType(forCPUFlags: ["sse2"], environment: [:]))
        // The user's own choice is never overridden.
        XCTAssertNil(BLAS.coreType(forCPUFlags: skylake, environment: ["OPENBLAS_CORETYPE": "Zen"]))
        XCTAssertEqual(BLAS.coreType(forCPUFlags: skylake, environment: ["OPENBLAS_CORETYPE": ""]), "SkylakeX")
    }
}
