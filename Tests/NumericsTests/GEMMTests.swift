import XCTest
@testable import Numerics

final class GEMMTests: XCTestCase {
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
        var rng = SplitMix64(seed: 7)
        // Odd sizes exercise the kernels' edge handling; 67x129x258 crosses block sizes.
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 33, 9), (67, 129, 258), (128, 64, 100)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = (0..<(m * k)).map { _ in Float(rng.nextUnit() * 2 - 1) }
                    let b = (0..<(k * n)).map { _ in Float(rng.nextUnit() * 2 - 1) }
                    let fast = GEMM.matmul(a, b, m: m, n: n, k: k, transA: transA, transB: transB)
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
                    GEMM.sgemm(m: 2, n: 2, k: 3, alpha: 2, a: pa.baseAddress!, lda: 4, b: pb.baseAddress!, ldb: 2,
                               beta: 0.5, c: pc.baseAddress!, ldc: 2)
                }
            }
        }
        // A*B = [[1+3, 2+3], [4+6, 5+6]] = [[4, 5], [10, 11]]
        let expected: [Float] = [13, 20, 35, 42]  // 2*[4,5,10,11] + 0.5*[10,20,30,40]
        XCTAssertEqual(c, expected)
    }

    /// Inside a parallel loop each piece computes its own product on its own thread (the
    /// k-means blocks): the same numbers as one call over all rows.
    func testProductsInsideParallelPiecesMatchOneCall() {
        var rng = SplitMix64(seed: 3)
        let (m, n, k) = (400, 10, 64)
        let a = (0..<(m * k)).map { _ in Float(rng.nextUnit()) }, b = (0..<(n * k)).map { _ in Float(rng.nextUnit()) }
        let whole = GEMM.matmul(a, b, m: m, n: n, k: k, transB: true)
        var pieces = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                pieces.withUnsafeMutableBufferPointer { pc in
                    let (ap, bp, cp) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    Parallel.forRanges(m, grain: 50) { rows in
                        GEMM.sgemm(transB: true, m: rows.count, n: n, k: k, a: ap + rows.lowerBound * k, lda: k, b: bp, ldb: k,
                                   c: cp + rows.lowerBound * n, ldc: n)
                    }
                }
            }
        }
        for (x, y) in zip(whole, pieces) { XCTAssertEqual(x, y, accuracy: 1e-4) }
        XCTAssertLessThan(GEMM.selfCheck(), 1e-5)
    }
}
