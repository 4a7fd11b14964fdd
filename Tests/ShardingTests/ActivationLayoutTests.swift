import Datasets
import Foundation
import Interpretation
import Numerics
import Sharding
import XCTest

final class ActivationLayoutTests: XCTestCase {
    func testPassesOfAnInterpretation() {
        let passes = ActivationLayout.passes(trainImages: 4_500, testImages: 1_000, copies: 3, calibrationImages: 4_500)
        XCTAssertEqual(passes.map(\.0), [.train, .test, .augmented(chunk: 0), .augmented(chunk: 1), .augmented(chunk: 2),
                                         .calibration(chunk: 0), .calibration(chunk: 1), .calibration(chunk: 2)])
        XCTAssertEqual(passes.map(\.1), [4_500, 1_000, 6_000, 6_000, 1_500, 2_000, 2_000, 500])
        XCTAssertEqual(ActivationLayout.passes(trainImages: 10, testImages: 5, copies: 0, calibrationImages: 10).map(\.0),
                       [.train, .test, .calibration(chunk: 0)])
    }

    /// Every image of every pass in exactly one piece, pieces in order, starting at
    /// multiples of the batch, no more shards than asked, none empty, sizes near even.
    func testPiecesCoverEveryPassOnceAlignedToTheBatch() {
        let passes: [(ActivationPass, Int)] = [(.train, 4_500), (.test, 1_000), (.augmented(chunk: 0), 6_000), (.calibration(chunk: 0), 77)]
        for (shards, batch) in [(1, 100), (3, 100), (7, 64), (40, 100), (1_000, 100), (5, 1)] {
            let layout = ActivationLayout.plan(passes, batch: batch, shards: shards)
            XCTAssertLessThanOrEqual(layout.count, shards)
            XCTAssertFalse(layout.contains { $0.isEmpty })
            for (pass, images) in passes {
                let pieces = layout.joined().filter { $0.pass == pass }
                var next = 0
                for piece in pieces {
                    XCTAssertEqual(piece.start, next, "\(pass) \(shards) \(batch)")
                    XCTAssertEqual(piece.start % min(batch, images), 0)
                    XCTAssertEqual(piece.passImages, images)
                    next += piece.count
                }
                XCTAssertEqual(next, images, "\(pass) \(shards) \(batch)")
            }
            let sizes = layout.map { $0.reduce(0) { $0 + $1.count } }
            if shards == 3 { XCTAssertLessThan(sizes.max()! - sizes.min()!, 11_577 / 3, "\(sizes)") }
        }
    }

    func testDefaultShardsFollowTheData() {
        XCTAssertEqual(ActivationLayout.plan([(.train, 29_000)], batch: 100).count, 3)
        XCTAssertEqual(ActivationLayout.plan([(.train, 500)], batch: 100).count, 1)
        XCTAssertTrue(ActivationLayout.plan([], batch: 100).isEmpty)
    }
}

/// The decode stage's pieces of an image folder's listing.
final class DataLayoutTests: XCTestCase {
    func testTrainThenTestCutEvenlyAShardHoldingAPieceOfEach() {
        // 10 train and 5 test files in 4 shards: files 0-2, 3-6, 7-10, 11-14 of the 15.
        let layout = DataShards.layout(trainImages: 10, testImages: 5, shards: 4)
        XCTAssertEqual(layout, [[ImagePiece(split: .train, start: 0, count: 3)], [ImagePiece(split: .train, start: 3, count: 4)],
                                [ImagePiece(split: .train, start: 7, count: 3), ImagePiece(split: .test, start: 0, count: 1)],
                                [ImagePiece(split: .test, start: 1, count: 4)]])
        // By default about `imagesPerShard` files a shard; never more shards than files.
        XCTAssertEqual(DataShards.layout(trainImages: 25_000, testImages: 5_000, shards: nil).count, 3)
        XCTAssertEqual(DataShards.layout(trainImages: 2, testImages: 1, shards: 10).count, 3)
        for (train, test, shards) in [(1_281_167, 50_000, 134), (7, 3, 1), (100, 1, 7)] {
            let pieces = DataShards.layout(trainImages: train, testImages: test, shards: shards).joined()
            for (split, total) in [(ImageFolderListing.SplitName.train, train), (.test, test)] {
                let ofSplit = pieces.filter { $0.split == split }
                XCTAssertEqual(ofSplit.map(\.start), ofSplit.indices.map { k in ofSplit[..<k].reduce(0) { $0 + $1.count } })
                XCTAssertEqual(ofSplit.reduce(0) { $0 + $1.count }, total)
            }
        }
    }
}

/// The neighbours stage: ranges of whole blocks of test instances whose searches, put end
/// to end, are the whole search.
final class NeighbourShardsTests: XCTestCase {
    func testRangesOfWholeBlocks() {
        XCTAssertEqual(NeighbourShards.layout(testImages: 1_300, shards: 2), [0..<512, 512..<1_300])
        XCTAssertEqual(NeighbourShards.layout(testImages: 1_300, shards: 3), [0..<512, 512..<1_024, 1_024..<1_300])
        XCTAssertEqual(NeighbourShards.layout(testImages: 1_300, shards: 9), [0..<512, 512..<1_024, 1_024..<1_300])
        XCTAssertEqual(NeighbourShards.layout(testImages: 24, shards: nil), [0..<24])
        XCTAssertEqual(NeighbourShards.layout(testImages: 50_000, shards: nil).count, 10)
        XCTAssertEqual(NeighbourShards.layout(testImages: 0, shards: nil), [])
    }

    func testShardsSearchesEndToEndAreTheWholeSearch() {
        var rng = SplitMix64(seed: 5)
        func matrix(_ rows: Int) -> Matrix {
            Matrix(rows: rows, columns: 9, values: (0..<(rows * 9)).map { _ in Float(rng.nextUnit()) })
        }
        let (test, train) = (matrix(1_300), matrix(700))
        let predictions = (0..<700).map { $0 % 3 }
        let whole = NeighbourShards.search(0..<1_300, test: test, train: train, trainPredictions: predictions, k: 4)
        XCTAssertEqual(whole.rows.count, 1_300)
        for shards in [2, 3] {
            let parts = NeighbourShards.layout(testImages: 1_300, shards: shards).flatMap {
                NeighbourShards.search($0, test: test, train: train, trainPredictions: predictions, k: 4).rows
            }
            XCTAssertEqual(parts, whole.rows, "\(shards) shards")
        }
        // The nearest of instance 700 by hand: the training row at the least distance.
        let distances = (0..<700).map { t in (0..<9).map { j in pow(test.values[700 * 9 + j] - train.values[t * 9 + j], 2) }.reduce(0, +) }
        XCTAssertEqual(whole.rows[700][0].trainIndex, distances.indices.min { distances[$0] < distances[$1] })
        XCTAssertEqual(whole.rows[700][0].cnnPrediction, whole.rows[700][0].trainIndex % 3)
    }
}
