import Datasets
import Foundation
import Numerics

/// The training and inference figures of `cnn-inte bench`, on the default network.
public enum NetworkBench {
    /// Images per second of `chunks` timed runs of 20 batches of 50, after 5 warm-up batches.
    public static func trainingRates(dataset: Dataset, chunks: Int, batchesPerChunk: Int = 20) throws -> [Double] {
        let model = try Model(architecture: .deepMNIST(height: dataset.rows, width: dataset.columns,
                                                        classes: dataset.classCount), seed: 1)
        var configuration = TrainingConfiguration()
        configuration.seed = 1
        let trainer = Trainer(model: model, configuration: configuration)
        let batch = configuration.batchSize
        var cursor = 0
        func nextBatch() -> ArraySlice<Int> {
            if cursor + batch > dataset.train.count { cursor = 0 }
            defer { cursor += batch }
            return ArraySlice(cursor..<(cursor + batch))
        }
        for _ in 0..<5 { trainer.trainStep(dataset.train, indices: nextBatch()) }
        return (0..<chunks).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<batchesPerChunk { trainer.trainStep(dataset.train, indices: nextBatch()) }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            return Double(batchesPerChunk * batch) / seconds
        }
    }

    /// Images per second of forward passes over the test split, `runs` times after a warm-up.
    public static func inferenceRates(dataset: Dataset, runs: Int) throws -> [Double] {
        let model = try Model(architecture: .deepMNIST(height: dataset.rows, width: dataset.columns,
                                                        classes: dataset.classCount), seed: 1)
        _ = try model.probabilities(images: dataset.test.images)
        return try (0..<runs).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try model.probabilities(images: dataset.test.images)
            return Double(dataset.test.count) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
    }
}
