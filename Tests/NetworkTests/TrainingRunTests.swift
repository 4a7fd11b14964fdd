import Datasets
import Foundation
import Numerics
import TestSupport
import XCTest
@testable import Network

/// The training stage through its library entry point, and models saved by earlier versions.
final class TrainingRunTests: XCTestCase {
    static let layers = "c1:conv(4,3,relu),p1:maxpool(2),fc:dense(16,relu),out:dense(4)"

    static func configuration(epochs: Int = 3) -> TrainingRun.Configuration {
        var training = TrainingConfiguration()
        training.epochs = epochs
        training.batchSize = 10
        training.learningRate = 0.01
        training.augmentation = nil
        training.threads = Parallel.threads
        return TrainingRun.Configuration(architecture: layers, training: training)
    }

    func testTrainsSavesAndLoadsTheSameModel() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-training-run-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let dataset = ToyData.dataset()
        let (model, description) = try TrainingRun.trainAndSave(dataset: dataset, configuration: Self.configuration(),
                                                                output: folder)
        XCTAssertEqual(description.architectureCompact, Self.layers)
        XCTAssertEqual(description.data.fingerprint, dataset.fingerprint)
        XCTAssertEqual(description.metrics.history.count, 3)
        XCTAssertGreaterThan(description.metrics.test_accuracy, 0.9)
        let loaded = try TrainedModel.load(folder: folder + "/model")
        XCTAssertEqual(try loaded.model.probabilities(images: dataset.test.images), try model.probabilities(images: dataset.test.images))
        XCTAssertEqual(loaded.description, description)
        XCTAssertEqual(loaded.fingerprint, description.weightsSHA256)
        // Only the model's folder (with its manifest) and the lock.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), [".cnn-inte.lock", "model"])
        XCTAssertEqual(Manifest.read(folder + "/model")?.files, ["model.json", "model.safetensors"])
    }

    func testOptionsOutOfRangeAreUsageErrorsBeforeAnythingIsWritten() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-training-run-" + UUID().uuidString
        var bad = Self.configuration(epochs: 0)
        XCTAssertThrowsError(try TrainingRun.trainAndSave(dataset: ToyData.dataset(), configuration: bad, output: folder)) {
            XCTAssertEqual($0 as? UsageError, UsageError("--epochs must be at least 1 (got 0)"))
        }
        bad = Self.configuration()
        bad.architecture = "c1:conv(4,3,relu),out:dense(3)"
        XCTAssertThrowsError(try TrainingRun.trainAndSave(dataset: ToyData.dataset(), configuration: bad, output: folder)) {
            XCTAssertEqual($0 as? UsageError, UsageError("--architecture: the last layer has 3 outputs but the data has 4 classes"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "checked before anything is written")
    }

    /// A model saved by cnn-inte 0.1.0 (Fixtures/README.md) loads and gives the logits and
    /// `fc` activations that version computed for the toy test images.
    func testModelSavedBy010LoadsAndComputesTheSame() throws {
        let v1 = try XCTUnwrap(Bundle.module.path(forResource: "model-v1", ofType: nil, inDirectory: "Fixtures"))
        let model = try ModelStore.load(folder: v1)
        XCTAssertEqual(model.layerNames, ["c1", "p1", "fc", "out"])
        let images = ToyData.dataset().test.images
        for (layer, file) in [("out", "logits-test.npy"), ("fc", "fc-test.npy")] {
            let expected = try NPY.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: v1 + "/" + file))))
            let computed = try model.features(layer: layer, images: images)
            XCTAssertEqual(computed.rows, expected.rows)
            XCTAssertEqual(computed.columns, expected.columns)
            let scale = expected.values.map(abs).max()!
            for (a, b) in zip(computed.values, expected.values) { XCTAssertEqual(a, b, accuracy: 1e-5 * scale, layer) }
        }
        XCTAssertEqual(try ModelDescription.load(folder: v1).architectureCompact, Self.layers)
    }
}
