import Datasets
import Foundation
import Interpretation
import Numerics

/// The neighbours stage: each test instance's nearest training images in the layer
/// (`NearestTrainingImages`, O(test x train)), split by ranges of test instances and read
/// from the activation shards, so it runs beside nothing else and the interpret job only
/// gathers it. Ranges start at multiples of the search's block of queries
/// (`NearestNeighbours.search`), so each shard computes the very blocks the whole search
/// computes.
public enum NeighbourShards {
    public static let stage = "neighbours"
    /// Test instances a shard takes when no `--shards` is given (ten blocks of 512): for
    /// ImageNet's 50,000 against 1.28 M training images at 2,048 values, ten shards of
    /// about 4 minutes on 2 cores (docs/CLUSTER.md).
    public static let imagesPerShard = 5_120
    static let block = 512

    /// The stage's ranges of test instances: at most `shards`, of whole blocks, about even.
    public static func layout(testImages: Int, shards: Int?) -> [Range<Int>] {
        let blocks = (testImages + block - 1) / block
        guard blocks > 0 else { return [] }
        let count = max(1, min(shards ?? (testImages + imagesPerShard - 1) / imagesPerShard, blocks, ActivationLayout.maximumShards))
        return (0..<count).map { k in
            (k * blocks / count * block)..<min((k + 1) * blocks / count * block, testImages)
        }
    }

    /// Its file in a shard's folder: the analysis' own table for the shard's instances,
    /// numbered from 0.
    static let fileName = NearestTrainingImages.fileName

    /// The nearest training images of test instances `range`, from the layer's activations.
    public static func search(_ range: Range<Int>, test: Matrix, train: Matrix, trainPredictions: [Int], k: Int) -> NearestTrainingImages {
        let found = NearestNeighbours.search(test.rows(Array(range)), in: train, k: k, block: block)
        return NearestTrainingImages(rows: (0..<range.count).map { i in
            (0..<found.k).map { r in
                let t = Int(found.indices[i * found.k + r])
                return Neighbour(trainIndex: t, distance: found.distances[i * found.k + r], cnnPrediction: trainPredictions[t])
            }
        })
    }

    /// One shard: reads the train and test passes from the activation shards, searches,
    /// writes its rows.
    static func run(_ plan: ShardPlan, index: Int, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let inputs = try ShardStages.load(plan, folder: folder)
        try ShardStages.requireDone(Stage.activations, shards: plan.activationShards, key: inputs.key, folder: folder)
        let (train, test) = (inputs.dataset.train, inputs.dataset.test)
        let range = layout(testImages: test.count, shards: plan.neighbourShards)[index]
        return try folder.produce(stage, index, key: inputs.key) { out in
            let source = ShardedActivations(folder: folder, layout: plan.activations(trainImages: train.count, testImages: test.count),
                                            fallback: NoActivations())
            let trainPass = try source.activations(.train, images: { train.images }, progress: nil)
            let testPass = try source.activations(.test, images: { test.images }, progress: nil)
            let meter = ProgressMeter(progress, stage: "shard \(stage) \(index): nearest training images", total: range.count, unit: "images")
            defer { meter.finish() }
            let found = search(range, test: testPass.features, train: trainPass.features, trainPredictions: trainPass.probabilities.argmaxRows(),
                               k: plan.interpretation.neighbours)
            meter.advance(by: range.count)
            try found.encoded().write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent(fileName)))
        }
    }

    /// Every shard's rows, in order, as the analysis the interpret job would compute.
    static func gather(_ plan: ShardPlan, dataset: Dataset, folder: ShardFolder) throws -> NearestTrainingImages {
        var rows: [[Neighbour]] = []
        for (index, range) in layout(testImages: dataset.test.count, shards: plan.neighbourShards).enumerated() {
            let path = folder.file(stage, index, fileName), data = try folder.read(stage, index, fileName)
            let shape = SavedShape(trainCount: dataset.train.count, testCount: range.count, k1: 0, classes: dataset.classCount)
            rows += try NearestTrainingImages.decode(data, path: path, shape: shape).rows
        }
        return NearestTrainingImages(rows: rows)
    }
}

/// A source that has no pass of its own: everything must come from the shards.
public struct NoActivations: ActivationSource {
    public init() {}

    public func activations(_ pass: ActivationPass, images: () throws -> ImageSet, progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix) {
        throw ShardError.layout("pass \(pass) is in no activation shard")
    }
}
