import Datasets
import Foundation
import Interpretation
import Network
import Numerics
import Sharding
import TestSupport
import XCTest

/// The activation stage's promise: passes computed piece by piece in shards and read back
/// are, bit for bit, the passes one process computes, so the interpretation made from them
/// is byte-identical.
final class ActivationShardsTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnn-inte-shards-" + UUID().uuidString
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    static let layers = "c1:conv(4,3,relu),p1:maxpool(2),fc:dense(16,relu),out:dense(4)"

    /// A small CNN with random weights: its inference batch is 100, so passes of 350
    /// images end in a partial batch, and pieces cut at multiples of 100.
    func model(for dataset: Dataset) throws -> Model {
        let graph = try TrainingRun.Configuration(architecture: Self.layers).resolvedGraph(for: dataset)
        return try Model(graph: graph, seed: 3)
    }

    func configuration() -> InterpretationConfiguration {
        var c = InterpretationConfiguration()
        (c.layer, c.k1, c.k2, c.trees, c.augmentCopies, c.neighbours, c.map, c.seed) = ("fc", 3, 2, 5, 2, 2, false, 7)
        return c
    }

    /// Computes every shard of `layout` into the shard folder, as the jobs would.
    func computeShards(_ layout: [[ActivationPiece]], dataset: Dataset, model: Model, configuration: InterpretationConfiguration) throws {
        let shards = ShardFolder(output: folder)
        let key = ShardKey(plan: "p", inputs: [:])
        for (index, pieces) in layout.enumerated() {
            XCTAssertTrue(try shards.produce(ActivationShards.stage, index, key: key) { out in
                try ActivationShards.compute(pieces, dataset: dataset, labeller: model, configuration: configuration, into: out, progress: nil)
            })
        }
    }

    func testShardedPassesAreTheWholePassesBitForBit() throws {
        let dataset = ToyData.dataset(train: 350, test: 130)
        let model = try model(for: dataset)
        XCTAssertEqual(model.inferenceBatch, 100)
        let c = configuration()
        let passes = ActivationLayout.passes(trainImages: 350, testImages: 130, copies: 2, calibrationImages: 350)
        let layout = ActivationLayout.plan(passes, batch: model.inferenceBatch, shards: 9)
        XCTAssertGreaterThan(layout.count, 4, "pieces of several passes over several shards")
        XCTAssertTrue(layout.joined().contains { $0.start > 0 }, "some pass is cut")
        try computeShards(layout, dataset: dataset, model: model, configuration: c)
        let live = LiveActivations(labeller: model, layer: c.layer)
        let sharded = ShardedActivations(folder: ShardFolder(output: folder), layout: layout, fallback: live)
        for (pass, images) in passes {
            let make: () -> ImageSet
            switch pass {
            case .train: make = { dataset.train.images }
            case .test: make = { dataset.test.images }
            case let .augmented(chunk): make = { InterpretationRun.augmentedChunk(chunk, of: PickedImages(dataset.train.images), copies: 2, seed: c.augmentationSeed) }
            case let .calibration(chunk):
                make = { InterpretationRun.augmentedChunk(chunk, of: PickedImages(dataset.train.images), copies: 1, seed: CredibilityCalibration.seed(c)) }
            }
            let whole = try live.activations(pass, images: make, progress: nil)
            let read = try sharded.activations(pass, images: { XCTFail("\(pass) is read, not computed"); return make() }, progress: nil)
            XCTAssertEqual(read.features.rows, images, "\(pass)")
            XCTAssertEqual(read.features.values, whole.features.values, "\(pass)")
            XCTAssertEqual(read.probabilities.values, whole.probabilities.values, "\(pass)")
        }
    }

    func testInterpretationFromShardsIsByteIdentical() throws {
        let dataset = ToyData.dataset(train: 350, test: 130)
        let model = try model(for: dataset)
        let c = configuration()
        let passes = ActivationLayout.passes(trainImages: 350, testImages: 130, copies: c.effectiveAugmentCopies(trainingImages: 350),
                                             calibrationImages: 350)
        let layout = ActivationLayout.plan(passes, batch: model.inferenceBatch, shards: 4)
        try computeShards(layout, dataset: dataset, model: model, configuration: c)
        let sharded = ShardedActivations(folder: ShardFolder(output: folder), layout: layout,
                                         fallback: LiveActivations(labeller: model, layer: c.layer))
        let provenance = ModelProvenance(labeller: "toy cnn")
        try InterpretationRun.run(dataset: dataset, labeller: model, model: provenance, configuration: c, into: folder + "/one")
        try InterpretationRun.run(dataset: dataset, labeller: model, model: provenance, configuration: c, into: folder + "/sharded",
                                  activations: sharded)
        for name in [Artifacts.instancesName, Artifacts.clustersName, InterpretationStore.fileName, UnitCards.fileName,
                     NearestTrainingImages.fileName] {
            XCTAssertEqual(FileManager.default.contents(atPath: folder + "/one/" + name),
                           FileManager.default.contents(atPath: folder + "/sharded/" + name), name)
        }
    }

    /// The neighbours searched by ranges from the shards' activations are the run's own,
    /// and a run given them writes them as given (it does not search again).
    func testNeighboursFromShardsAreTheRunsAndAreTakenAsGiven() throws {
        let dataset = ToyData.dataset(train: 350, test: 130)
        let model = try model(for: dataset)
        var c = configuration()
        c.neighbours = 3
        let passes = ActivationLayout.passes(trainImages: 350, testImages: 130, copies: c.effectiveAugmentCopies(trainingImages: 350),
                                             calibrationImages: 350)
        let layout = ActivationLayout.plan(passes, batch: model.inferenceBatch, shards: 3)
        try computeShards(layout, dataset: dataset, model: model, configuration: c)
        let sharded = ShardedActivations(folder: ShardFolder(output: folder), layout: layout, fallback: NoActivations())
        let train = try sharded.activations(.train, images: { dataset.train.images }, progress: nil)
        let test = try sharded.activations(.test, images: { dataset.test.images }, progress: nil)
        let found = NeighbourShards.search(0..<130, test: test.features, train: train.features,
                                           trainPredictions: train.probabilities.argmaxRows(), k: 3)
        let provenance = ModelProvenance(labeller: "toy cnn")
        try InterpretationRun.run(dataset: dataset, labeller: model, model: provenance, configuration: c, into: folder + "/one")
        XCTAssertEqual(FileManager.default.contents(atPath: folder + "/one/" + NearestTrainingImages.fileName), try found.encoded())
        var changed = found
        changed.rows[7].swapAt(0, 2)
        try InterpretationRun.run(dataset: dataset, labeller: model, model: provenance, configuration: c, into: folder + "/given",
                                  activations: sharded, precomputed: [NearestTrainingImages.fileName: changed])
        XCTAssertEqual(FileManager.default.contents(atPath: folder + "/given/" + NearestTrainingImages.fileName), try changed.encoded())
    }

    func testAMissingPieceIsNamed() throws {
        let dataset = ToyData.dataset(train: 350, test: 130)
        let layout = ActivationLayout.plan([(.train, 350)], batch: 100, shards: 2)
        XCTAssertEqual(layout.count, 2)
        let sharded = ShardedActivations(folder: ShardFolder(output: folder), layout: layout,
                                         fallback: LiveActivations(labeller: try model(for: dataset), layer: "fc"))
        XCTAssertThrowsError(try sharded.activations(.train, images: { dataset.train.images }, progress: nil)) {
            XCTAssertTrue("\($0)".contains("train-0.features.npy: is missing"), "\($0)")
        }
    }
}

