import Numerics
import XCTest
@testable import Interpretation

/// Points around given centres, `perBlob` each, with a little noise.
func blobs(_ centres: [[Float]], perBlob: Int, spread: Double = 0.3, seed: UInt64 = 1) -> (Matrix, [Int]) {
    var rng = SplitMix64(seed: seed)
    var values: [Float] = []
    var truth: [Int] = []
    for i in 0..<perBlob {
        for (b, centre) in centres.enumerated() {
            _ = i
            for v in centre { values.append(v + Float(rng.nextGaussian() * spread)) }
            truth.append(b)
        }
    }
    return (Matrix(rows: truth.count, columns: centres[0].count, values: values), truth)
}

final class KMeansTests: XCTestCase {

    func testRecoversHandMadeBlobs() throws {
        let centres: [[Float]] = [[0, 0, 0], [10, 0, 0], [0, 10, 0], [0, 0, 10]]
        let (data, truth) = blobs(centres, perBlob: 50)
        let result = try KMeans.fit(data, configuration: .init(k: 4, restarts: 2, seed: 3))
        // Each found cluster is exactly one blob.
        var mapping: [Int: Int] = [:]
        for (i, c) in result.assignments.enumerated() {
            if let known = mapping[c] { XCTAssertEqual(known, truth[i]) } else { mapping[c] = truth[i] }
        }
        XCTAssertEqual(Set(mapping.values), [0, 1, 2, 3])
        for (c, blob) in mapping {
            for j in 0..<3 { XCTAssertEqual(result.centroids.values[c * 3 + j], centres[blob][j], accuracy: 0.2) }
        }
        // Inertia is the sum of squared distances to the assigned centres.
        var inertia = 0.0
        for i in 0..<data.rows {
            for j in 0..<3 {
                let diff = Double(data.values[i * 3 + j] - result.centroids.values[result.assignments[i] * 3 + j])
                inertia += diff * diff
            }
        }
        XCTAssertEqual(result.inertia, inertia, accuracy: 1e-3 * inertia)
    }

    func testPlusPlusSeedsAreDistinctPoints() {
        let (data, _) = blobs([[0, 0], [5, 5], [9, 0]], perBlob: 20)
        var rng = SplitMix64(seed: 4)
        let seeds = KMeans.plusPlusSeeds(data, norms: KMeans.rowNorms(data), k: 6, rng: &rng)
        var rows: [[Float]] = []
        for s in 0..<6 {
            let seed = Array(seeds.row(s))
            XCTAssertTrue((0..<data.rows).contains { Array(data.row($0)) == seed }, "a seed is a data point")
            XCTAssertFalse(rows.contains(seed), "seeds are distinct")
            rows.append(seed)
        }
    }

    func testEmptyClusterIsReseededWithTheFarthestPoint() {
        // Two identical initial centres: one of them gets no member in the first step.
        let data = Matrix(rows: 4, columns: 1, values: [0, 1, 10, 11])
        let initial = Matrix(rows: 2, columns: 1, values: [0.5, 0.5])
        let result = KMeans.lloyd(data, norms: KMeans.rowNorms(data), initial: initial, maxIterations: 10, tolerance: 0)
        XCTAssertEqual(Set(result.assignments), [0, 1])
        XCTAssertEqual(result.centroids.values.sorted(), [0.5, 10.5])
    }

    /// Lloyd's iterations written out plainly in Double, for comparison.
    func plainLloyd(_ data: Matrix, initial: Matrix, maxIterations: Int) -> (assignments: [Int], centroids: [Double], iterations: Int) {
        let (n, d, k) = (data.rows, data.columns, initial.rows)
        var centroids = initial.values.map(Double.init)
        var assignments = [Int](repeating: 0, count: n)
        var iterations = 0
        func assign() {
            for i in 0..<n {
                var best = 0, bestValue = Double.infinity
                for c in 0..<k {
                    var s = 0.0
                    for j in 0..<d { let v = Double(data.values[i * d + j]) - centroids[c * d + j]; s += v * v }
                    if s < bestValue { bestValue = s; best = c }
                }
                assignments[i] = best
            }
        }
        while iterations < maxIterations {
            iterations += 1
            assign()
            var next = [Double](repeating: 0, count: k * d)
            var counts = [Int](repeating: 0, count: k)
            for i in 0..<n {
                counts[assignments[i]] += 1
                for j in 0..<d { next[assignments[i] * d + j] += Double(data.values[i * d + j]) }
            }
            for c in 0..<k { for j in 0..<d { next[c * d + j] /= Double(counts[c]) } }
            let shift = zip(next, centroids).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            centroids = next
            if shift == 0 { break }
        }
        assign()
        return (assignments, centroids, iterations)
    }

    func testBoundedIterationsMatchPlainLloyd() {
        // Six heavily overlapping blobs started from six points of one blob: many
        // iterations, with points changing centre late, when most others are settled.
        let centres: [[Float]] = (0..<6).map { b in (0..<8).map { j in Float((b * 7 + j * 3) % 5) } }
        let (data, _) = blobs(centres, perBlob: 100, spread: 2.0, seed: 5)
        let initial = data.rows((0..<6).map { $0 * 6 })
        let bounded = KMeans.lloyd(data, norms: KMeans.rowNorms(data), initial: initial, maxIterations: 200, tolerance: 0)
        let plain = plainLloyd(data, initial: initial, maxIterations: 200)
        XCTAssertGreaterThan(plain.iterations, 15, "\(plain.iterations)")
        XCTAssertEqual(bounded.iterations, plain.iterations)
        XCTAssertEqual(bounded.assignments, plain.assignments)
        for (a, b) in zip(bounded.centroids.values, plain.centroids) { XCTAssertEqual(Double(a), b, accuracy: 1e-4) }
    }

    func testDeterministicAndRejectsBadK() throws {
        let (data, _) = blobs([[0, 0], [4, 4]], perBlob: 30)
        XCTAssertEqual(try KMeans.fit(data, configuration: .init(k: 3, seed: 9)).assignments,
                       try KMeans.fit(data, configuration: .init(k: 3, seed: 9)).assignments)
        XCTAssertThrowsError(try KMeans.fit(data, configuration: .init(k: 0))) {
            XCTAssertEqual("\($0)", "k must be at least 1 (got 0)")
        }
        XCTAssertThrowsError(try KMeans.fit(data, configuration: .init(k: 61))) {
            XCTAssertEqual("\($0)", "k = 61 is larger than the 60 points to cluster")
        }
    }

    func testPredictPicksTheNearestCentroid() {
        let model = KMeans(centroids: Matrix(rows: 3, columns: 2, values: [0, 0, 10, 0, 0, 10]), assignments: [], inertia: 0, iterations: 0)
        let (clusters, distances) = model.predict(Matrix(rows: 3, columns: 2, values: [1, 1, 9, 1, 3, 4]))
        XCTAssertEqual(clusters, [0, 1, 0])
        XCTAssertEqual(distances[2], 5, accuracy: 1e-5)  // (3, 4) from the origin
    }
}
