import Foundation
import Numerics
import XCTest
@testable import Interpretation

/// A sharded run grows the forests apart from the clustering: from the pool written to
/// disk, a group of level-1 clusters per shard. The forests must be the ones one process
/// grows, in every variant of the pool (extra CNN-labelled points, soft labels, exact splits).
final class ForestPoolTests: XCTestCase {
    /// Four blobs, the CNN unsure between neighbouring classes on two of them; `extra`
    /// CNN-labelled points arrive through the pool's chunks as augmented copies do.
    func inputs(seed: UInt64) -> (Interpreter.Inputs, extra: (Matrix, [Int], SoftLabels)) {
        let centres: [[Float]] = [[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]]
        let (train, truth) = blobs(centres, perBlob: 30, spread: 1.5, seed: seed)
        let (test, testTruth) = blobs(centres, perBlob: 5, spread: 1.5, seed: seed + 1)
        let (extra, extraTruth) = blobs(centres, perBlob: 20, spread: 2.5, seed: seed + 2)
        func probabilities(_ labels: [Int]) -> Matrix {
            Matrix(rows: labels.count, columns: 4, values: labels.enumerated().flatMap { i, c -> [Float] in
                var p = [Float](repeating: 0.05, count: 4)
                p[c] = 0.55 + Float(i % 7) * 0.04
                p[(c + 1) % 4] = 0.4 - Float(i % 7) * 0.04
                return p
            })
        }
        // The CNN disagrees with the truth on every fifth point, so forests have work.
        let predictions = truth.enumerated().map { $0.offset % 5 == 0 ? ($0.element + 1) % 4 : $0.element }
        var inputs = Interpreter.Inputs(trainFeatures: train, trainPredictions: predictions, trainLabels: truth, testFeatures: test,
                                        testPredictions: testTruth, testProbabilities: [Double](repeating: 1, count: test.rows),
                                        testLabels: testTruth, classes: 4)
        inputs.trainSoft = SoftLabels(probabilities: probabilities(predictions))
        let extraPredictions = extraTruth.enumerated().map { $0.offset % 3 == 0 ? ($0.element + 3) % 4 : $0.element }
        return (inputs, (extra, extraPredictions, SoftLabels(probabilities: probabilities(extraPredictions))))
    }

    func testForestsGrownApartFromAPoolReadBackAreTheForestsOneProcessGrows() throws {
        for (soft, exact) in [(false, false), (true, false), (false, true)] {
            let (inputs, extra) = inputs(seed: 3)
            var clustering = ClusterTree.Configuration()
            (clustering.k1, clustering.k2, clustering.prototypes) = (4, 2, 2)
            var meta = MetaConfiguration()
            meta.forest.trees = 6
            meta.softLabels = soft
            meta.forest.tree.exactSplits = exact
            let extraPool: (ClusterTree, (Matrix, [Int], SoftLabels?) -> Void) throws -> Void = { _, add in
                // Two chunks, as the augmented copies come.
                let half = extra.0.rows / 2
                for rows in [Array(0..<half), Array(half..<extra.0.rows)] {
                    add(extra.0.rows(rows), rows.map { extra.1[$0] },
                        soft ? SoftLabels(second: rows.map { extra.2.second[$0] }, share: rows.map { extra.2.share[$0] }) : nil)
                }
            }
            let (whole, records, _) = try Interpreter.fit(inputs, clustering: clustering, meta: meta, extraPool: extraPool)
            XCTAssertEqual(whole.tree.level1.count, 4)
            XCTAssertTrue(whole.meta.learners.contains { $0.treeCount > 0 }, "no cluster grew a forest: the test would prove nothing")

            var timings = Interpreter.Timings()
            let pool = try Interpreter.pool(inputs, clustering: clustering, meta: meta, extraPool: extraPool, timings: &timings)
            XCTAssertEqual(pool.binned.rows, inputs.trainFeatures.rows + extra.0.rows)
            let treeBytes = try ForestPoolStore.encodeTree(pool.tree, binner: pool.binner, meta: meta, classes: 4)
            let tree = try ForestPoolStore.decodeTree(treeBytes, path: "tree")
            let read = try ForestPoolStore.decodePool(ForestPoolStore.encodePool(pool), path: "pool", tree: tree)
            XCTAssertEqual(read.values, pool.values)
            XCTAssertEqual(read.soft, pool.soft)
            // Two shards: clusters 0 and 2, then 1 and 3, each through its learners file.
            var learners = [ClusterLearner?](repeating: nil, count: 4)
            for shard in 0..<2 {
                let clusters = [shard, shard + 2]
                let grown = try read.learners(of: clusters, classes: 4, configuration: tree.meta)
                let file = ForestPoolStore.encodeLearners(Array(zip(clusters, grown)), classes: 4, features: 3)
                for (c, learner) in try ForestPoolStore.decodeLearners(file, path: "learners", classes: 4, features: 3) { learners[c] = learner }
            }
            let apart = InterpretationModel(tree: tree.tree, binner: tree.binner, meta: MetaLearner(learners: learners.map { $0! }, configuration: tree.meta))
            XCTAssertTrue(apart == whole, "forests grown apart differ (soft \(soft), exact \(exact))")
            var decideTimings = Interpreter.Timings()
            XCTAssertTrue(Interpreter.decide(apart, inputs: inputs, timings: &decideTimings) == records, "decisions differ")
        }
    }

    func testPoolAndLearnerFilesThatDoNotFitAreRefused() throws {
        let (inputs, _) = inputs(seed: 5)
        var clustering = ClusterTree.Configuration()
        (clustering.k1, clustering.k2, clustering.prototypes) = (2, 2, 2)
        var meta = MetaConfiguration()
        meta.forest.trees = 3
        var timings = Interpreter.Timings()
        let pool = try Interpreter.pool(inputs, clustering: clustering, meta: meta, timings: &timings)
        let tree = try ForestPoolStore.decodeTree(try ForestPoolStore.encodeTree(pool.tree, binner: pool.binner, meta: meta, classes: 4), path: "t")
        func refused(_ bytes: [UInt8], saying words: String, line: UInt = #line) {
            XCTAssertThrowsError(try ForestPoolStore.decodePool(bytes, path: "/s/pool.safetensors", tree: tree), line: line) { error in
                XCTAssertTrue("\(error)".hasPrefix("/s/pool.safetensors: ") && "\(error)".contains(words), "\(error)", line: line)
            }
        }
        var bad = pool
        bad.labels[7] = 4  // a class the tree does not have
        refused(ForestPoolStore.encodePool(bad), saying: "labels or routes do not fit its tree")
        bad = pool
        bad.routes[0].level1 = 2
        refused(ForestPoolStore.encodePool(bad), saying: "labels or routes do not fit its tree")
        refused(try ForestPoolStore.encodeTree(pool.tree, binner: pool.binner, meta: meta, classes: 4), saying: "not a cnn-inte forest pool file")
        var (tensors, metadata) = try SafeTensors.decode(ForestPoolStore.encodePool(pool), path: "p")
        tensors["pool.bins"] = .init(shape: [3, pool.binned.rows - 1], bytes: Array(pool.binned.bins.dropLast(3)))
        refused(SafeTensors.encode(tensors, metadata: metadata), saying: "tensor 'pool.bins' missing or not U8 [3, \(pool.binned.rows)]")
        metadata["features"] = "4"
        refused(SafeTensors.encode(tensors, metadata: metadata), saying: "not 3 features")

        let learners = try pool.learners(of: [1], classes: 4, configuration: meta)
        let file = ForestPoolStore.encodeLearners([(1, learners[0])], classes: 4, features: 3)
        XCTAssertThrowsError(try ForestPoolStore.decodeLearners(file, path: "/s/l", classes: 5, features: 3)) { error in
            XCTAssertEqual("\(error)", "/s/l: its learners are of 4 classes and 3 features, not 5 and 3")
        }
        XCTAssertEqual(try ForestPoolStore.decodeLearners(file, path: "/s/l", classes: 4, features: 3)[1], learners[0])
    }

    func testAU8TensorByHand() throws {
        let bytes = SafeTensors.encode(["b": .init(shape: [3], bytes: [1, 2, 255])], metadata: [:])
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self).trimmingCharacters(in: .whitespaces),
                       #"{"b":{"data_offsets":[0,3],"dtype":"U8","shape":[3]}}"#)
        XCTAssertEqual(Array(bytes[(8 + headerLength)...]), [1, 2, 255])
        XCTAssertEqual(try SafeTensors.decode(bytes, path: "x").tensors["b"], .init(shape: [3], bytes: [1, 2, 255]))
        // Its span is one byte per value, not four.
        var wrong = bytes
        wrong.removeLast()
        XCTAssertThrowsError(try SafeTensors.decode(wrong, path: "x"))
    }
}
