import Numerics
import XCTest
@testable import Interpretation

/// Soft-label forests: the CNN's two top classes and their shares as training labels, Gini
/// on soft counts, leaves voting distributions.
final class SoftLabelTests: XCTestCase {

    func testSoftLabelsKeepTheTwoTopClassesInSixtyFourths() {
        let p = Matrix(rows: 3, columns: 3, values: [0.7, 0.2, 0.1,   // 64 * 0.7 / 0.9 = 49.8
                                                     0.1, 0.1, 0.8,   // runner-up tie: the first
                                                     0, 1, 0])        // certain: the whole share
        let soft = SoftLabels(probabilities: p)
        XCTAssertEqual(soft.second, [1, 0, 0])
        XCTAssertEqual(soft.share, [50, 57, 64])  // 64 * 0.8 / 0.9 = 56.9
    }

    /// Four points, every one predicted class 0, but the CNN hesitates on x = 3 and 4 (half
    /// class 1). On hard labels the root is pure and the tree is one leaf; on soft labels
    /// (soft counts 192 and 64 of 256 units) the cut between 2 and 3 (the bin edge 2.5)
    /// takes the Gini from 1 - (192^2 + 64^2)/256^2 = 0.375 to 0 on the left and 0.5 on the
    /// right (0.25 weighted), so the tree makes it, and the right leaf votes half and half.
    func testSoftCountsSplitWhereTheCNNHesitatesAndLeavesVoteDistributions() throws {
        let data = Matrix(rows: 4, columns: 1, values: [1, 2, 3, 4])
        let binner = Binner.fit(data)
        let soft = SoftLabels(second: [1, 1, 1, 1], share: [64, 64, 32, 32])
        let configuration = RandomForest.Configuration(trees: 1, bootstrap: false)
        let hard = try RandomForest.fit(data: binner.transform(data), binner: binner, labels: [0, 0, 0, 0], rows: [0, 1, 2, 3],
                                        classes: 2, configuration: configuration)
        XCTAssertEqual(hard.trees[0].nodeCount, 1)
        let forest = try RandomForest.fit(data: binner.transform(data), binner: binner, labels: [0, 0, 0, 0], rows: [0, 1, 2, 3],
                                          classes: 2, configuration: configuration, soft: soft)
        let tree = forest.trees[0]
        XCTAssertEqual(tree.nodeCount, 3)
        XCTAssertEqual(tree.feature[0], 0)
        XCTAssertEqual(tree.threshold[0], 2.5, accuracy: 1e-6)
        XCTAssertEqual(tree.share, [48, 64, 32])  // the root: 64 * 192 / 256
        XCTAssertEqual(tree.second, [1, 1, 1])
        XCTAssertEqual(forest.votes(data), [[1, 0], [1, 0], [0.5, 0.5], [0.5, 0.5]])
        // Hard predictions stay the majority: a half-and-half leaf still names class 0 first.
        XCTAssertEqual(data.values.indices.map { i in data.values.withUnsafeBufferPointer { tree.predict($0.baseAddress! + i) } }, [0, 0, 0, 0])
    }

    func testSoftLabelsAreRefusedWithExactSplits() {
        let data = Matrix(rows: 2, columns: 1, values: [1, 2])
        let binner = Binner.fit(data)
        let configuration = RandomForest.Configuration(trees: 1, tree: TreeConfiguration(exactSplits: true))
        XCTAssertThrowsError(try RandomForest.fit(data: binner.transform(data), binner: binner, labels: [0, 1], rows: [0, 1], classes: 2,
                                                  configuration: configuration, values: data.columnMajorValues(),
                                                  soft: SoftLabels(second: [1, 0], share: [64, 64])))
    }

    /// End to end on blobs whose labeller hesitates between two blobs: the soft-label
    /// interpretation is saved and read back with its leaf distributions, and decides the
    /// same; its votes are not all whole tree counts.
    func testSoftLabelInterpretationRoundTripsThroughTheStore() throws {
        var rng = SplitMix64(seed: 5)
        var values: [Float] = [], predictions: [Int] = [], probabilities: [Float] = []
        for i in 0..<160 {
            let blob = i % 4
            let x = Float(blob % 2) * 6 + Float(rng.nextUnit()), y = Float(blob / 2) * 6 + Float(rng.nextUnit())
            values += [x, y]
            predictions.append(blob)
            // Confident on blobs 0 and 3; between its own class and the next on 1 and 2,
            // more so the further right the point lies.
            var p = [Float](repeating: 0.02, count: 4)
            let doubt = blob == 1 || blob == 2 ? 0.1 + 0.3 * Float(rng.nextUnit()) : 0
            p[blob] = 0.94 - doubt
            p[(blob + 1) % 4] += doubt
            probabilities += p
        }
        let train = Matrix(rows: 160, columns: 2, values: values)
        var clustering = ClusterTree.Configuration()
        clustering.k1 = 2
        clustering.k2 = 2
        clustering.prototypes = 2
        var meta = MetaConfiguration()
        meta.forest.trees = 9
        meta.softLabels = true
        var inputs = Interpreter.Inputs(trainFeatures: train, trainPredictions: predictions, trainLabels: predictions, testFeatures: train,
                                        testPredictions: predictions, testProbabilities: [Double](repeating: 1, count: 160),
                                        testLabels: predictions, classes: 4)
        XCTAssertThrowsError(try Interpreter.fit(inputs, clustering: clustering, meta: meta), "soft labels without probabilities")
        inputs.trainSoft = SoftLabels(probabilities: Matrix(rows: 160, columns: 4, values: probabilities))
        let (model, records, _) = try Interpreter.fit(inputs, clustering: clustering, meta: meta)
        let forests = model.meta.learners.compactMap { if case let .forest(f) = $0 { return f } else { return nil } }
        XCTAssertFalse(forests.isEmpty)
        XCTAssertTrue(forests.allSatisfy { $0.trees.allSatisfy(\.isSoft) })
        XCTAssertTrue(records.contains { r in r.votes.contains { v in (v * 9).rounded() != v * 9 } }, "votes are distributions, not tree counts")
        let bytes = try InterpretationStore.encode(model, classes: 4)
        let (loaded, _) = try InterpretationStore.decode(bytes, path: "x")
        XCTAssertTrue(loaded == model, "the soft-label model read back differs from the one saved")
        // A file whose soft-label arrays do not fit its nodes is refused, not misread.
        let stored = try SafeTensors.decode(bytes, path: "x")
        let c = try XCTUnwrap(stored.tensors.keys.first { $0.hasSuffix(".share") }?.split(separator: ".")[1])
        let share = try XCTUnwrap(stored.tensors["forest.\(c).share"])
        for (name, entry) in [("share", SafeTensors.Entry(shape: share.shape, integers: share.integers.map { _ in 65 })),
                              ("share", SafeTensors.Entry(shape: [1], integers: [1])),
                              ("second", SafeTensors.Entry(shape: share.shape, integers: share.integers.map { _ in 4 }))] {
            var tampered = stored.tensors
            tampered["forest.\(c).\(name)"] = entry
            XCTAssertThrowsError(try InterpretationStore.decode(SafeTensors.encode(tampered, metadata: stored.metadata), path: "x")) {
                XCTAssertTrue("\($0)".contains("soft-label arrays inconsistent"), "\($0)")
            }
        }
        var halfGone = stored.tensors
        halfGone["forest.\(c).second"] = nil
        XCTAssertThrowsError(try InterpretationStore.decode(SafeTensors.encode(halfGone, metadata: stored.metadata), path: "x"))
        XCTAssertEqual(Interpreter.decide(loaded, features: train, cnnPredictions: predictions,
                                          cnnProbabilities: [Double](repeating: 1, count: 160), labels: predictions, classes: 4),
                       records)
    }
}
