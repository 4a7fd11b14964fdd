import Numerics
import XCTest
@testable import Interpretation

final class ForestTests: XCTestCase {

    func fit(_ data: Matrix, _ labels: [Int], trees: Int = 20, seed: UInt64 = 1, classes: Int = 2,
             tree: TreeConfiguration = TreeConfiguration()) throws -> RandomForest {
        let binner = Binner.fit(data)
        return try RandomForest.fit(data: binner.transform(data), binner: binner, labels: labels.map { UInt8($0) },
                                    rows: (0..<data.rows).map(Int32.init), classes: classes,
                                    configuration: .init(trees: trees, tree: tree, seed: seed),
                                    values: tree.exactSplits ? data.columnMajorValues() : nil)
    }

    func predict(_ forest: RandomForest, _ data: Matrix) -> [Int] {
        forest.votes(data).map { v in v.indices.max { v[$0] < v[$1] }! }
    }

    func testFitsXORPerfectly() throws {
        // XOR of two features, with a noise feature: no single split separates it.
        var rng = SplitMix64(seed: 2)
        var values: [Float] = []
        var labels: [Int] = []
        for _ in 0..<200 {
            let a = rng.nextUnit() < 0.5, b = rng.nextUnit() < 0.5
            values += [Float(a ? 1 : 0) + Float(rng.nextUnit() * 0.2), Float(b ? 1 : 0) + Float(rng.nextUnit() * 0.2), Float(rng.nextUnit())]
            labels.append(a != b ? 1 : 0)
        }
        let data = Matrix(rows: 200, columns: 3, values: values)
        let forest = try fit(data, labels, tree: TreeConfiguration(maxFeatures: 3))
        XCTAssertEqual(predict(forest, data), labels)
        for v in forest.votes(data) { XCTAssertEqual(v.reduce(0, +), 1, accuracy: 1e-9) }
    }

    func testConstantFeaturesDoNotCountAsCandidates() throws {
        // 40 features, of which only #17 varies, and in XOR-like bands no stump solves: with
        // one candidate per split, every split must still land on #17, in the root and in
        // the nodes below where the constants are already known (the skipped prefix).
        let n = 120, d = 40
        var values = [Float](repeating: 0, count: n * d)
        var labels: [Int] = []
        for i in 0..<n {
            let x = Float(i % 4)
            values[i * d + 17] = x
            for f in 0..<d where f != 17 { values[i * d + f] = Float(f % 3) }
            labels.append(i % 4 == 1 || i % 4 == 2 ? 1 : 0)
        }
        let data = Matrix(rows: n, columns: d, values: values)
        let forest = try fit(data, labels, trees: 5, tree: TreeConfiguration(maxFeatures: 1))
        XCTAssertEqual(predict(forest, data), labels)
        for tree in forest.trees {
            XCTAssertEqual(Set(tree.feature.filter { $0 >= 0 }), [17])
            XCTAssertGreaterThanOrEqual(tree.depth, 2)
        }
    }

    func testSeparableToyAndAStumpByHand() throws {
        let data = Matrix(rows: 6, columns: 1, values: [1, 2, 3, 7, 8, 9])
        let labels = [0, 0, 0, 1, 1, 1]
        let forest = try fit(data, labels, trees: 1, tree: TreeConfiguration(maxFeatures: 1))
        XCTAssertEqual(predict(forest, Matrix(rows: 4, columns: 1, values: [0, 4.9, 5.1, 100])), [0, 0, 1, 1])
        // Without bootstrap, one tree on this data is a single split between 3 and 7.
        let binner = Binner.fit(data)
        let single = try RandomForest.fit(data: binner.transform(data), binner: binner, labels: labels.map { UInt8($0) },
                                          rows: Array(0..<6), classes: 2, configuration: .init(trees: 1, bootstrap: false))
        let tree = single.trees[0]
        XCTAssertEqual(tree.nodeCount, 3)
        XCTAssertEqual(tree.feature[0], 0)
        XCTAssertEqual(tree.threshold[0], 5, "midpoint of 3 and 7")
        XCTAssertEqual(tree.samples, [6, 3, 3])
        XCTAssertEqual(single.importances, [1])
    }

    func testExactSplitsCutMidwayBetweenTheNodesOwnValues() throws {
        // Bins come from all six values; the forest sees only rows 0 and 5 (values 1 and 6).
        let data = Matrix(rows: 6, columns: 1, values: [1, 2, 3, 4, 5, 6])
        let binner = Binner.fit(data)
        var trees: [DecisionTree] = []
        for exact in [false, true] {
            let forest = try RandomForest.fit(data: binner.transform(data), binner: binner, labels: [0, 0, 0, 1, 1, 1],
                                              rows: [0, 5], classes: 2,
                                              configuration: .init(trees: 1, tree: TreeConfiguration(exactSplits: exact), bootstrap: false),
                                              values: exact ? data.columnMajorValues() : nil)
            trees.append(forest.trees[0])
        }
        XCTAssertEqual(trees[0].threshold[0], 1.5, "binned: the first bin edge above 1")
        XCTAssertEqual(trees[1].threshold[0], 3.5, "exact: midway between 1 and 6")
        XCTAssertEqual(trees[1].thresholdBin, [0, 0, 0])
        XCTAssertEqual(trees[0].samples, trees[1].samples)
    }

    func testExactSplitsFitXORAndGrowTheBinnedPartitionsOnFewValues() throws {
        // Integer features with at most 12 values: the binner gives each value its own bin,
        // so exact split search finds the same partitions from the same random draws.
        var rng = SplitMix64(seed: 8)
        var values: [Float] = []
        var labels: [Int] = []
        for _ in 0..<300 {
            let row = (0..<5).map { _ in Float(rng.nextInt(below: 12)) - 4 }
            values += row
            labels.append((row[0] > 1) != (row[1] < 0) ? 1 : (row[2] > 5 ? 2 : 0))
        }
        let data = Matrix(rows: 300, columns: 5, values: values)
        let binned = try fit(data, labels, trees: 8, seed: 3, classes: 3)
        let exact = try fit(data, labels, trees: 8, seed: 3, classes: 3, tree: TreeConfiguration(exactSplits: true))
        XCTAssertEqual(predict(exact, data), labels)
        for (b, e) in zip(binned.trees, exact.trees) {
            XCTAssertEqual(b.feature, e.feature)
            XCTAssertEqual(b.left, e.left)
            XCTAssertEqual(b.majority, e.majority)
            XCTAssertEqual(b.samples, e.samples)
            // Thresholds differ only where the node lacks a value between two of its own.
            for node in 0..<b.nodeCount where b.feature[node] >= 0 { XCTAssertLessThanOrEqual(b.threshold[node], e.threshold[node]) }
        }
        XCTAssertNotEqual(binned.trees.map(\.threshold), exact.trees.map(\.threshold))
        XCTAssertEqual(binned.importances, exact.importances)
    }

    func testSameSeedSameForestAtOneAndTwoThreads() throws {
        let (data, truth) = blobs([[0, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0]], perBlob: 40, spread: 0.5)
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        Parallel.threads = 1
        let one = try fit(data, truth, trees: 12, seed: 5, classes: 3)
        Parallel.threads = 2
        let two = try fit(data, truth, trees: 12, seed: 5, classes: 3)
        XCTAssertEqual(one, two)
        XCTAssertNotEqual(one, try fit(data, truth, trees: 12, seed: 6, classes: 3))
    }

    func testZeroTreesIsRefused() {
        let data = Matrix(rows: 2, columns: 1, values: [0, 1])
        XCTAssertThrowsError(try fit(data, [0, 1], trees: 0)) {
            XCTAssertEqual("\($0)", "a forest needs at least 1 tree (got 0)")
        }
    }

    func testBinsMatchThresholds() {
        let data = Matrix(rows: 5, columns: 1, values: [0, 0, 1, 2, 2])
        let binner = Binner.fit(data)
        XCTAssertEqual(binner.edges, [[0.5, 1.5]])
        XCTAssertEqual(binner.transform(data).bins, [0, 0, 1, 2, 2])
    }
}
