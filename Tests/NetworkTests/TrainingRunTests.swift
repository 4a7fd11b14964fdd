import Datasets
import Foundation
import Numerics
import OutputFolders
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
        XCTAssertGreaterThan(description.metrics.testAccuracy, 0.9)
        let loaded = try TrainedModel.load(folder: folder + "/model")
        XCTAssertEqual(try loaded.model.probabilities(images: dataset.test.images), try model.probabilities(images: dataset.test.images))
        XCTAssertEqual(loaded.description, description)
        XCTAssertEqual(loaded.fingerprint, description.weightsSHA256)
        // Only the model's folder (with its manifest) and the lock.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["model"])
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

    /// The builtin networks take the data's size and channels: counted by hand for 32x32
    /// RGB (conv1 5*5*3*32 + 32, conv2 5*5*32*64 + 64, fc1 8*8*64*1024 + 1024, logits
    /// 1024*10 + 10; ResNet-20's stem sees 3 channels instead of 1: 16*9*2 more weights).
    func testBuiltinNetworksAdaptToSizeAndChannels() throws {
        func dataset(side: Int, channels: Int) -> Dataset {
            let images = ImageSet(count: 10, rows: side, columns: side, channels: channels,
                                  pixels: [UInt8](repeating: 0, count: 10 * side * side * channels))
            let split = Split(images: images, labels: (0..<10).map { UInt8($0) })
            return Dataset(name: "shapes", source: .folder("/none"), train: split, test: split, classNames: ClassNames.digits)
        }
        let configuration = TrainingRun.Configuration(architecture: nil, training: TrainingConfiguration())
        let colour = try configuration.resolvedGraph(for: dataset(side: 32, channels: 3))
        XCTAssertEqual(colour.input, Graph.InputShape(channels: 3, height: 32, width: 32))
        XCTAssertEqual(try colour.parameterCount(), 2_432 + 51_264 + 4_195_328 + 10_250)
        XCTAssertEqual(try configuration.resolvedGraph(for: dataset(side: 28, channels: 1)).parameterCount(), 3_274_634)
        let resnet = TrainingRun.Configuration(architecture: "resnet20", training: TrainingConfiguration())
        let grey = try resnet.resolvedGraph(for: dataset(side: 28, channels: 1)).parameterCount()
        XCTAssertEqual(try resnet.resolvedGraph(for: dataset(side: 32, channels: 3)).parameterCount(), grey + 16 * 9 * 2)
    }
}
