import Foundation
import XCTest
@testable import Interpretation

/// The per-class summary (`classes.json`) by hand: five test instances over three classes.
final class ClassSummaryTests: XCTestCase {
    static func record(_ index: Int, cnn: Int, inte: Int, level1: Int, credibility: Double?) -> InstanceRecord {
        var r = InstanceRecord(index: index, label: cnn, cnnPrediction: cnn, cnnProbability: 0.9,
                               route: Route(level1: level1, level2: 0, runnerUp: 0, level1Distances: [1, 2, 3], level2Distance: 0),
                               votes: [0, 0, 0], intePrediction: inte)
        r.credibility = credibility
        return r
    }

    static let records = [
        record(0, cnn: 0, inte: 0, level1: 2, credibility: 0.9),
        record(1, cnn: 0, inte: 1, level1: 0, credibility: 0.4),
        record(2, cnn: 0, inte: 0, level1: 2, credibility: 0.8),
        record(3, cnn: 1, inte: 1, level1: 1, credibility: 0.95),
        record(4, cnn: 0, inte: 1, level1: 0, credibility: 0.4),
    ]

    func testSummaryByHand() {
        let summary = ClassSummary.summarise(Self.records, classes: 3)
        XCTAssertEqual(summary.classes.map(\.testImages), [4, 1, 0])
        let cat = summary.classes[0]
        XCTAssertEqual(cat.fidelity, 0.5)
        XCTAssertEqual(cat.meanCredibility!, 0.625, accuracy: 1e-12)
        // Clusters 0 and 2 hold two each: the lower first.
        XCTAssertEqual(cat.clusters, [.init(index: 0, count: 2), .init(index: 2, count: 2)])
        XCTAssertEqual(cat.instead, [.init(index: 1, count: 2)])
        XCTAssertEqual(cat.leastCredible, 1, "two at 0.4: the lower index")
        XCTAssertEqual(summary.classes[1].instead, [])
        XCTAssertEqual(summary.classes[2], .init(predicted: 2, testImages: 0, fidelity: nil, meanCredibility: nil, clusters: [], instead: [],
                                                 leastCredible: nil))
    }

    func testReadBackAndRefusals() throws {
        let summary = ClassSummary.summarise(Self.records, classes: 3)
        let shape = SavedShape(trainCount: 10, testCount: 5, k1: 3, classes: 3)
        XCTAssertEqual(try ClassSummary.decode(try summary.encoded(), path: "c.json", shape: shape), summary)
        let text = String(decoding: try summary.encoded(), as: UTF8.self)
        XCTAssertTrue(text.contains("\"least_credible\" : 1"), text)
        func refusal(_ shape: SavedShape) -> String {
            do { _ = try ClassSummary.decode(try summary.encoded(), path: "c.json", shape: shape); return "read" } catch { return "\(error)" }
        }
        XCTAssertEqual(refusal(SavedShape(trainCount: 10, testCount: 5, k1: 2, classes: 3)),
                       "c.json: class 0 names a cluster, class or instance the interpretation does not have")
        XCTAssertEqual(refusal(SavedShape(trainCount: 10, testCount: 6, k1: 3, classes: 3)), "c.json: does not count the 6 test instances")
        XCTAssertEqual(refusal(SavedShape(trainCount: 10, testCount: 5, k1: 3, classes: 4)), "c.json: does not list the 4 classes in order")
        XCTAssertThrowsError(try ClassSummary.decode(Data("[]".utf8), path: "c.json", shape: shape)) {
            XCTAssertEqual("\($0)", "c.json: not a classes.json written by cnn-inte")
        }
    }
}
