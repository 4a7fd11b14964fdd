import Numerics
import XCTest
@testable import Interpretation

/// The layer map keeps well-separated groups apart and is the same from the same seed.
final class LayerMapTests: XCTestCase {
    func testSeparatedBlobsStaySeparatedAndTheMapIsDeterministic() {
        // 4 blobs of 150 points in 20 dimensions, centres 10 apart, spread 1.
        var rng = SplitMix64(seed: 4)
        var values: [Float] = [], blob: [Int] = []
        for i in 0..<600 {
            let g = i % 4
            for d in 0..<20 { values.append((d == g ? 10 : 0) + Float(rng.nextGaussian())) }
            blob.append(g)
        }
        let data = Matrix(rows: 600, columns: 20, values: values)
        var configuration = LayerMap.Configuration()
        configuration.epochs = 100
        let map = LayerMap.embed(data, configuration: configuration)
        XCTAssertEqual(map.count, 1200)
        XCTAssertTrue(map.allSatisfy(\.isFinite))
        // Each point's nearest other point on the map is from its own blob.
        var same = 0
        for i in 0..<600 {
            var best = -1, bestD = Float.infinity
            for j in 0..<600 where j != i {
                let (dx, dy) = (map[2 * i] - map[2 * j], map[2 * i + 1] - map[2 * j + 1])
                if dx * dx + dy * dy < bestD { bestD = dx * dx + dy * dy; best = j }
            }
            if blob[best] == blob[i] { same += 1 }
        }
        XCTAssertGreaterThan(same, 590, "\(same) of 600 points sit next to their own blob")
        XCTAssertEqual(LayerMap.embed(data, configuration: configuration), map)
    }
}

/// `map.csv` written, read back, and checked.
final class LayerMapPointsTests: XCTestCase {
    func testRoundTripAndChecks() throws {
        let map = LayerMapPoints(train: [0, 1, 2.5, -3], test: [4, 5], trainLevel1: [1, 0], testLevel1: [1])
        let text = map.encode()
        XCTAssertEqual(text, "split,index,x,y,level1\ntrain,0,0,1,1\ntrain,1,2.5,-3,0\ntest,0,4,5,1\n")
        XCTAssertEqual(try LayerMapPoints.decode(text, path: "m.csv", trainCount: 2, testCount: 1, k1: 2), map)
        for (bad, message) in [
            (text.replacingOccurrences(of: "test,0,4,5,1", with: "test,0,4,5,2"), "m.csv: line 4: not a split, an index, two coordinates and a level-1 cluster below 2"),
            (text.replacingOccurrences(of: "train,1,", with: "train,2,"), "m.csv: line 3: 'train,2' out of order (training points first, then test points, by index)"),
            (text.replacingOccurrences(of: "test,0,4,5,1\n", with: ""), "m.csv: has 2 training and 0 test points; the interpretation has 2 and 1"),
        ] {
            XCTAssertThrowsError(try LayerMapPoints.decode(bad, path: "m.csv", trainCount: 2, testCount: 1, k1: 2)) { XCTAssertEqual("\($0)", message) }
        }
    }
}
