import Datasets
import Foundation
import Numerics

/// The training and inference figures of `cnn-inte bench`, on a builtin network.
public enum NetworkBench {
    /// Images per second of `chunks` timed runs of `batchesPerChunk` batches of 50 (Adam,
    /// augmentation and dropout as in training), after 5 warm-up batches.
    public static func trainingRates(dataset: Dataset, network: String = "deep-mnist", chunks: Int,
                                     batchesPerChunk: Int = 20) throws -> [Double] {
        var configuration = TrainingConfiguration()
        configuration.seed = 1
        let model = try Model(graph: try graph(network, dataset), seed: 1)
        let trainer = Trainer(model: model, configuration: configuration)
        let batch = configuration.batchSize
        var cursor = 0
        func nextBatch() -> ArraySlice<Int> {
            if cursor + batch > dataset.train.count { cursor = 0 }
            defer { cursor += batch }
            return ArraySlice(cursor..<(cursor + batch))
        }
        for _ in 0..<5 { try trainer.trainStep(dataset.train, indices: nextBatch()) }
        return try (0..<chunks).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<batchesPerChunk { try trainer.trainStep(dataset.train, indices: nextBatch()) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return Double(batchesPerChunk * batch) / seconds
        }
    }

    /// Images per second of forward passes (probabilities) over the test split in batches
    /// of 100, `runs` times after a warm-up.
    public static func inferenceRates(dataset: Dataset, network: String = "deep-mnist", runs: Int) throws -> [Double] {
        try inferenceRates(model: try Model(graph: try graph(network, dataset), seed: 1), images: dataset.test.images, runs: runs)
    }

    /// The same for any model (an imported one) on `images`.
    public static func inferenceRates(model: Model, images: ImageSet, runs: Int) throws -> [Double] {
        _ = try model.probabilities(images: images)
        return try (0..<runs).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try model.probabilities(images: images)
            return Double(images.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }

    static func graph(_ network: String, _ dataset: Dataset) throws -> Graph {
        let input = Graph.InputShape(channels: dataset.channels, height: dataset.rows, width: dataset.columns)
        guard let graph = LayerList.builtin(network, input: input, classes: dataset.classCount) else {
            throw UsageError("no builtin network '\(network)'")
        }
        return graph
    }
}
