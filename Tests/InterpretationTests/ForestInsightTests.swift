import Numerics
import XCTest
@testable import Interpretation

/// The unit cards: ranked by what the forest needs on held-out data, by hand on a toy.
final class ForestInsightTests: XCTestCase {
    /// Two clusters far apart; inside each the CNN's label is unit 0's sign; unit 1 is noise.
    func toy(_ n: Int, rng: inout SplitMix64) -> (Matrix, [Int]) {
        var values: [Float] = [], labels: [Int] = []
        for i in 0..<n {
            let offset: Float = i % 2 == 0 ? 0 : 100  // which cluster
            let signal = Float(rng.nextUnit() * 2 - 1), noise = Float(rng.nextUnit())
            values += [offset + signal, noise, offset]
            labels.append(signal > 0 ? 1 : 0)
        }
        return (Matrix(rows: n, columns: 3, values: values), labels)
    }

    func testTheUnitThatDecidesComesFirst() throws {
        var rng = SplitMix64(seed: 3)
        let (train, predictions) = toy(400, rng: &rng)
        var clustering = ClusterTree.Configuration()
        clustering.k1 = 2
        clustering.k2 = 2
        let tree = try ClusterTree.fit(features: train, predictions: predictions, labels: predictions, classes: 2, configuration: clustering)
        let binner = Binner.fit(train)
        var meta = MetaConfiguration()
        meta.forest.trees = 20
        let routes = tree.route(train).map { RouteSummary(level1: $0.level1, runnerUp: $0.runnerUp) }
        let learner = try MetaLearner.fit(predictions: predictions, routes: routes, clusters: 2, classes: 2, binner: binner,
                                          binned: binner.transform(train), configuration: meta)
        let model = InterpretationModel(tree: tree, binner: binner, meta: learner)
        let (held, heldLabels) = toy(400, rng: &rng)
        let heldRoutes = tree.route(held)
        let heldOut = (0..<2).map { c -> (features: Matrix, labels: [Int]) in
            let rows = heldRoutes.indices.filter { heldRoutes[$0].level1 == c }
            return (held.rows(rows), rows.map { heldLabels[$0] })
        }
        let cards = ForestInsight.cards(model, trainFeatures: train, trainPredictions: predictions, classes: 2, heldOut: heldOut, seed: 1)
        XCTAssertEqual(cards.map(\.cluster), [0, 1])
        for entry in cards {
            XCTAssertEqual(entry.heldOut, 200)
            let first = try XCTUnwrap(entry.units.first)
            XCTAssertEqual(first.unit, 0, "\(entry)")
            // Shuffling the deciding unit leaves a coin toss: about 50 points lost.
            XCTAssertGreaterThan(try XCTUnwrap(first.permutation), 0.3)
            let noise = try XCTUnwrap(entry.units.first { $0.unit == 1 })
            XCTAssertLessThan(abs(try XCTUnwrap(noise.permutation)), 0.1)
            // The images that activate unit 0 most are the cluster's, and the CNN says 1 for them.
            XCTAssertEqual(first.topImages.count, ForestInsight.images)
            XCTAssertTrue(first.topImages.allSatisfy { tree.trainLevel1[$0] == entry.cluster && predictions[$0] == 1 })
            XCTAssertEqual(first.histogram.flatMap { $0 }.reduce(0, +), 200)
            XCTAssertEqual(first.histogram.last?[0], 0, "the highest activations are all class 1")
        }
    }

    func testCardByHand() {
        // Members 0, 2, 3 with unit-0 activations 0, 3, 6 -> bins 0, 6, 11 of 12.
        let features = Matrix(rows: 4, columns: 1, values: [0, 9, 3, 6])
        let card = ForestInsight.card(unit: 0, importance: 0.25, drop: nil, members: [0, 2, 3], features: features,
                                      predictions: [1, 0, 0, 1], classes: 2)
        XCTAssertEqual(card.topImages, [3, 2, 0])
        XCTAssertEqual(card.low, 0)
        XCTAssertEqual(card.high, 6)
        XCTAssertEqual(card.histogram[0], [0, 1])
        XCTAssertEqual(card.histogram[6], [1, 0])
        XCTAssertEqual(card.histogram[11], [0, 1])
        XCTAssertEqual(card.histogram.flatMap { $0 }.reduce(0, +), 3)
    }

    func testDecodeChecksIndices() throws {
        let card = UnitCard(unit: 2, impurity: 0.5, permutation: 0.1, topImages: [7], low: 0, high: 1, histogram: [[1, 0]])
        let data = try ForestInsight.encode([ClusterUnits(cluster: 0, heldOut: 60, units: [card])])
        XCTAssertEqual(try ForestInsight.decode(data, path: "u.json", clusters: 1, trainCount: 8, classes: 2).first?.units, [card])
        XCTAssertThrowsError(try ForestInsight.decode(data, path: "u.json", clusters: 1, trainCount: 7, classes: 2)) {
            XCTAssertEqual("\($0)", "u.json: level-1 cluster 0's cards do not fit the interpretation")
        }
        XCTAssertThrowsError(try ForestInsight.decode(Data("[{".utf8), path: "u.json", clusters: 1, trainCount: 8, classes: 2)) {
            XCTAssertEqual("\($0)", "u.json: not a units.json written by cnn-inte")
        }
    }
}
