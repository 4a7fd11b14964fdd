import Numerics
import XCTest
@testable import Interpretation

final class MetaLevelTests: XCTestCase {

    /// Four records whose figures are worked out by hand.
    func testFidelityAccuracyAndPurityByHand() {
        func record(_ i: Int, label: Int, cnn: Int, inte: Int, c1: Int) -> InstanceRecord {
            InstanceRecord(index: i, label: label, cnnPrediction: cnn, cnnProbability: 0.9,
                           route: Route(level1: c1, level2: 0, runnerUp: 1 - c1, level1Distances: [1, 2], level2Distance: 1),
                           votes: [0.5, 0.5], intePrediction: inte)
        }
        let records = [
            record(0, label: 0, cnn: 0, inte: 0, c1: 0),  // all agree
            record(1, label: 1, cnn: 1, inte: 0, c1: 0),  // CNN right, CNN-INTE disagrees
            record(2, label: 1, cnn: 0, inte: 0, c1: 1),  // CNN wrong, CNN-INTE agrees with it
            record(3, label: 1, cnn: 1, inte: 1, c1: 1),  // all agree
        ]
        func node(_ id: String, _ histogram: [Int], majority: Int) -> ClusterNode {
            ClusterNode(id: id, level: 1, size: histogram.reduce(0, +), predictionHistogram: histogram, labelHistogram: histogram,
                        majority: majority, purity: 0, prototypes: [], meanDistance: 0)
        }
        let tree = ClusterTree(root: node("root", [6, 4], majority: 0),
                               level1: [node("0", [5, 1], majority: 0), node("1", [1, 3], majority: 1)],
                               level2: [[node("0.0", [5, 1], majority: 0)], [node("1.0", [1, 3], majority: 1)]],
                               level1Centroids: Matrix(rows: 2, columns: 1, values: [0, 1]),
                               level2Centroids: [Matrix(rows: 1, columns: 1, values: [0]), Matrix(rows: 1, columns: 1, values: [1])],
                               trainLevel1: [], trainLevel2: [])
        let m = InterpretationMetrics(records: records, tree: tree, classes: 2)
        XCTAssertEqual(m.nTest, 4)
        XCTAssertEqual(m.fidelity, 0.75)
        XCTAssertEqual(m.cnnTestAccuracy, 0.75)
        XCTAssertEqual(m.inteTestAccuracy, 0.5)
        XCTAssertEqual(m.fidelityPerClass, [1.0, 0.5])  // CNN class 0: records 0, 2; class 1: records 1, 3
        XCTAssertEqual(m.purityLevel1Train, 0.8)  // (5 + 3) / 10
        // Records 1 (CNN 1 in cluster 0, majority 0) and 2 (CNN 0 in cluster 1, majority 1) miss.
        XCTAssertEqual(m.purityLevel1Test, 0.5)
        XCTAssertEqual(m.confusionCnnVsTruth, [[1, 0], [1, 2]])
        XCTAssertEqual(m.confusionInteVsCnn, [[2, 0], [1, 1]])
    }

    func testEndToEndOnBlobsRoutesToNearestAndAgreesWithTheLabeller() throws {
        let centres: [[Float]] = [[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]]
        let (train, truth) = blobs(centres, perBlob: 40, spread: 0.8, seed: 1)
        let (test, testTruth) = blobs(centres, perBlob: 10, spread: 0.8, seed: 2)
        var clustering = ClusterTree.Configuration()
        clustering.k1 = 4
        clustering.k2 = 2
        clustering.prototypes = 3
        var meta = MetaConfiguration()
        meta.forest.trees = 15
        let inputs = Interpreter.Inputs(trainFeatures: train, trainPredictions: truth, trainLabels: truth, testFeatures: test,
                                        testPredictions: testTruth, testProbabilities: [Double](repeating: 1, count: test.rows),
                                        testLabels: testTruth, classes: 4)
        let (model, records, _) = try Interpreter.fit(inputs, clustering: clustering, meta: meta)
        // Routing picks the nearest level-1 centroid.
        for (i, r) in records.enumerated() {
            let distances = (0..<4).map { c in (0..<3).map { j in pow(Double(test.values[i * 3 + j] - model.tree.level1Centroids.values[c * 3 + j]), 2) }.reduce(0, +) }
            XCTAssertEqual(r.route.level1, distances.indices.min { distances[$0] < distances[$1] }!)
            XCTAssertEqual(r.votes.reduce(0, +), 1, accuracy: 1e-9)
        }
        XCTAssertEqual(InterpretationMetrics(records: records, tree: model.tree, classes: 4).fidelity, 1.0)
        XCTAssertEqual(model.tree.level1.map(\.size).reduce(0, +), 160)
        XCTAssertTrue(model.tree.level1.allSatisfy { $0.prototypes.count == 3 && $0.purity == 1 })
        // Saved and read back, the interpretation decides identically.
        let bytes = try InterpretationStore.encode(model, classes: 4)
        let (loaded, classes) = try InterpretationStore.decode(bytes, path: "x")
        XCTAssertEqual(classes, 4)
        XCTAssertTrue(loaded == model, "the model read back differs from the one saved")
        XCTAssertEqual(Interpreter.decide(loaded, features: test, cnnPredictions: testTruth,
                                          cnnProbabilities: [Double](repeating: 1, count: test.rows), labels: testTruth, classes: 4),
                       records)
        // instances.csv round-trips.
        let csv = InstancesTable.encode(records, k1: 4, classes: 4)
        XCTAssertEqual(try InstancesTable.decode(csv, path: "instances.csv", k1: 4, classes: 4), records)
    }

    func testBoundaryClosenessDecidesWhichRunnerUpPointsJoin() throws {
        // Cluster 0 holds class-0 points, cluster 1 class-1 points; point 0 (class 0) has
        // cluster 1 as runner-up at distance ratio 0.5. It joins cluster 1's training data
        // (making a forest) with closeness 0, and not with 0.8 (a constant learner remains).
        let data = Matrix(rows: 6, columns: 1, values: [0, 1, 2, 10, 11, 12])
        let binner = Binner.fit(data)
        let binned = binner.transform(data)
        let predictions = [0, 0, 0, 1, 1, 1]
        var routes = (0..<6).map { RouteSummary(level1: $0 < 3 ? 0 : 1, runnerUp: nil) }
        routes[0] = RouteSummary(level1: 0, runnerUp: 1, closeness: 0.5)
        var configuration = MetaConfiguration()
        configuration.forest.trees = 3
        for (closeness, forest) in [(0.0, true), (0.8, false)] {
            configuration.boundaryCloseness = closeness
            let meta = try MetaLearner.fit(predictions: predictions, routes: routes, clusters: 2, classes: 2, binner: binner,
                                           binned: binned, configuration: configuration)
            XCTAssertEqual(meta.learners[1].treeCount > 0, forest, "closeness \(closeness)")
            if !forest { XCTAssertEqual(meta.learners[1], .constant(1)) }
        }
    }

    func testSettingsAddedLaterReadBackAsTheOldBehaviourFromOlderFiles() throws {
        var configuration = MetaConfiguration()
        configuration.forest.tree.exactSplits = true
        var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(configuration)) as! [String: Any]
        XCTAssertEqual(try JSONDecoder().decode(MetaConfiguration.self, from: JSONSerialization.data(withJSONObject: object)), configuration)
        // Before: runner-up points joined at any distance ratio, and trees were grown on bins.
        object["boundaryCloseness"] = nil
        var forest = object["forest"] as! [String: Any]
        var tree = forest["tree"] as! [String: Any]
        tree["exactSplits"] = nil
        forest["tree"] = tree
        object["forest"] = forest
        let old = try JSONDecoder().decode(MetaConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old.boundaryCloseness, 0)
        XCTAssertFalse(old.forest.tree.exactSplits)
        XCTAssertEqual(old.trainingSet, configuration.trainingSet)
    }
}
