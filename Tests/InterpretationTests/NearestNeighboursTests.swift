import Numerics
import XCTest
@testable import Interpretation

/// The GEMM-based search against a plain loop over pairs (the reference), and by hand.
final class NearestNeighboursTests: XCTestCase {
    /// Every pair's distance, sorted; ties by index.
    static func reference(_ q: Matrix, _ r: Matrix, k: Int, excluding: [Int]?) -> [[Int]] {
        (0..<q.rows).map { i in
            let d = (0..<r.rows).map { j -> Double in
                (0..<q.columns).reduce(0.0) { s, c in
                    let t = Double(q.values[i * q.columns + c]) - Double(r.values[j * r.columns + c])
                    return s + t * t
                }
            }
            return (0..<r.rows).filter { $0 != excluding?[i] ?? -1 }.sorted { d[$0] < d[$1] || (d[$0] == d[$1] && $0 < $1) }.prefix(k).map { $0 }
        }
    }

    func testByHand() {
        // Reference points on a line at 0, 1, 3, 7; the query at 2.9.
        let reference = Matrix(rows: 4, columns: 1, values: [0, 1, 3, 7])
        let query = Matrix(rows: 1, columns: 1, values: [2.9])
        let found = NearestNeighbours.search(query, in: reference, k: 3)
        XCTAssertEqual(found.indices, [2, 1, 0])
        XCTAssertEqual(found.distances[0], 0.1, accuracy: 1e-5)
        XCTAssertEqual(found.distances[1], 1.9, accuracy: 1e-5)
        XCTAssertEqual(found.distances[2], 2.9, accuracy: 1e-5)
        XCTAssertEqual(NearestNeighbours.search(query, in: reference, k: 2, excluding: [2]).indices, [1, 0])
    }

    func testMatchesTheLoopOverPairs() {
        var rng = SplitMix64(seed: 9)
        // Integer coordinates: exact in floats either way, so the orders must be equal.
        func random(_ rows: Int) -> Matrix {
            Matrix(rows: rows, columns: 6, values: (0..<(rows * 6)).map { _ in Float(rng.nextInt(below: 7)) })
        }
        let reference = random(300), queries = random(700)
        let excluding = (0..<700).map { $0 % 3 == 0 ? $0 % 300 : -1 }
        let found = NearestNeighbours.search(queries, in: reference, k: 5, excluding: excluding, block: 128)
        let expected = Self.reference(queries, reference, k: 5, excluding: excluding)
        for i in 0..<700 {
            // Equal distances may come in either order from the GEMM's rounding: compare
            // the distances rank by rank, and the sets.
            let ours = (0..<5).map { Int(found.indices[i * 5 + $0]) }
            XCTAssertFalse(ours.contains(excluding[i]), "query \(i)")
            let distance = { (j: Int) -> Float in
                (0..<6).reduce(Float(0)) { s, c in let t = queries.values[i * 6 + c] - reference.values[j * 6 + c]; return s + t * t }.squareRoot()
            }
            for r in 0..<5 { XCTAssertEqual(found.distances[i * 5 + r], distance(expected[i][r]), accuracy: 1e-3, "query \(i) rank \(r)") }
            XCTAssertEqual(ours.map(distance), expected[i].map(distance), "query \(i)")
        }
    }
}

/// `neighbours.csv` written, read back, and every value checked.
final class NeighboursTableTests: XCTestCase {
    let table: [[Neighbour]] = [[Neighbour(trainIndex: 4, distance: 0.5, cnnPrediction: 1), Neighbour(trainIndex: 0, distance: 2.25, cnnPrediction: 2)],
                                [Neighbour(trainIndex: 3, distance: 1, cnnPrediction: 0), Neighbour(trainIndex: 4, distance: 1, cnnPrediction: 1)]]

    func testExactTextAndRoundTrip() throws {
        let text = NeighboursTable.encode(table)
        XCTAssertEqual(text, "index,rank,train_index,distance,cnn_prediction\n0,1,4,0.5,1\n0,2,0,2.25,2\n1,1,3,1,0\n1,2,4,1,1\n")
        XCTAssertEqual(try NeighboursTable.decode(text, path: "n.csv", instances: 2, trainCount: 5, classes: 3), table)
    }

    func testEveryValueIsChecked() {
        let good = NeighboursTable.encode(table)
        func refused(_ text: String, saying words: String, line: UInt = #line) {
            XCTAssertThrowsError(try NeighboursTable.decode(text, path: "n.csv", instances: 2, trainCount: 5, classes: 3), line: line) {
                XCTAssertEqual("\($0)", "n.csv: " + words, line: line)
            }
        }
        refused(good.replacingOccurrences(of: "0,1,4,", with: "0,1,5,"), saying: "line 2: train_index 5 is not in 0...4")
        refused(good.replacingOccurrences(of: "0,2,0,2.25", with: "0,2,0,0.25"), saying: "line 3: distance 0.25 is not a distance in rank order")
        refused(good.replacingOccurrences(of: "1,1,3,1,0", with: "1,2,3,1,0"), saying: "line 4: rank 2 of instance 1, expected 1")
        refused(good.replacingOccurrences(of: "1,2,4,1,1", with: "2,1,4,1,1"), saying: "line 5: index 2 is not in 0...1")
        refused(good.replacingOccurrences(of: "1,2,4,1,1", with: "1,2,4,1,3"), saying: "line 5: cnn_prediction 3 is not in 0...2")
        refused(good.replacingOccurrences(of: "0,1,4,0.5,1", with: "0,1,4,nan,1"), saying: "line 2: distance nan is not a distance in rank order")
        refused("index,rank\n", saying: "does not start with the header index,rank,train_index,distance,cnn_prediction")
    }
}
