import Datasets
import Foundation
import Numerics
import XCTest
@testable import Interpretation

/// Forests grown with a fixed seed stay byte-identical: the SHA-256 of each forest's JSON
/// (trees, thresholds, importances), recorded from the grower as it was before its split
/// search moved into splitters and criteria. Four growers: bins with hard labels (large
/// nodes on histograms, small ones sorted), bins with soft labels, exact splits, and limits
/// (minimum leaf, depth, candidate features). A change to any draw, cut, tie or threshold
/// changes the hash; re-record only for a change meant to alter forests, and say why.
final class ForestGoldenTests: XCTestCase {
    static let golden: [String: String] = [
        "binned": "2e795fff8c9cd59e2be01f2ad1804285a57b122cd539fffabb969d475392ddc3",
        "soft": "8aa698a4c43caa2d1817309807e19ab7b1b39424d87cc56241fe330a37456976",
        "exact": "bda14da5259cfb319fbe4b4a1ac32336165a345442661fe4f8f9405dbb0c3252",
        "limited": "695897864513bf946881e329bbb00047eb86e54c7e6f0e226ca6231a92c5c661",
    ]

    /// 700 rows of 10 features: uniform values, integers with many ties, one constant
    /// feature; 4 classes from a rule on three features with 10% noise.
    static func data() -> (Matrix, [UInt8], SoftLabels) {
        var rng = SplitMix64(seed: 21)
        let rows = 700, columns = 10
        var values: [Float] = [], labels: [UInt8] = [], second: [UInt8] = [], share: [UInt8] = []
        for _ in 0..<rows {
            var row: [Float] = []
            for f in 0..<columns {
                switch f % 3 {
                case 0: row.append(Float(rng.nextUnit()))
                case 1: row.append(Float(rng.nextInt(below: 6)))
                default: row.append(f == 8 ? 2.5 : Float(rng.nextUnit() * 4 - 2))
                }
            }
            var label = (row[0] > 0.5 ? 1 : 0) + (row[1] >= 3 ? 2 : 0)
            if row[2] > 1.5 { label = 3 - label }
            if rng.nextUnit() < 0.1 { label = rng.nextInt(below: 4) }
            values += row
            labels.append(UInt8(label))
            second.append(UInt8((label + 1 + rng.nextInt(below: 3)) % 4))
            share.append(UInt8(32 + rng.nextInt(below: 33)))
        }
        return (Matrix(rows: rows, columns: columns, values: values), labels, SoftLabels(second: second, share: share))
    }

    static func forest(_ kind: String) throws -> RandomForest {
        let (data, labels, soft) = data()
        let binner = Binner.fit(data)
        var tree = TreeConfiguration()
        if kind == "exact" { tree.exactSplits = true }
        if kind == "limited" { tree = TreeConfiguration(maxFeatures: 4, minSamplesLeaf: 3, maxDepth: 7) }
        return try RandomForest.fit(data: binner.transform(data), binner: binner, labels: labels,
                                    rows: (0..<Int32(data.rows)).map { $0 }, classes: 4,
                                    configuration: .init(trees: 6, tree: tree, seed: 17),
                                    values: kind == "exact" ? data.columnMajorValues() : nil, soft: kind == "soft" ? soft : nil)
    }

    static func hash(_ forest: RandomForest) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var sha = SHA256()
        sha.update(Array(try encoder.encode(forest)))
        return SHA256.hex(sha.finalize())
    }

    func testForestsAreByteIdenticalForTheSameSeed() throws {
        for kind in Self.golden.keys.sorted() {
            let forest = try Self.forest(kind)
            XCTAssertGreaterThan(forest.trees.map(\.nodeCount).reduce(0, +), 6 * 20, kind)
            XCTAssertEqual(try Self.hash(forest), Self.golden[kind], "forest '\(kind)'")
        }
    }
}
