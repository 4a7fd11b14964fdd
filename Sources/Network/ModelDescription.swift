import Datasets
import Foundation
import Numerics

/// `model.json`: everything about a trained model except its weights.
public struct ModelDescription: Codable, Equatable, Sendable {
    public struct DataInfo: Codable, Equatable, Sendable {
        public var name: String
        public var folder: String
        public var fingerprint: String
        public var trainImages: Int
        public var testImages: Int
        public var classNames: [String]
        /// How to load the data again: the `--data` folder (nil: embedded) and `--classes`
        /// file. Absent from 0.1.0's files (see `TrainedModel.trainingData`).
        public var selection: DataSelection?
    }

    public struct Metrics: Codable, Equatable, Sendable {
        public var test_accuracy: Double
        public var test_loss: Double?
        public var confusion: [[Int]]
        public var history: [EpochRecord]
    }

    public var format = ModelStore.formatTag
    public var architecture: Architecture
    public var architectureCompact: String
    public var parameters: Int
    public var training: TrainingConfiguration
    public var seed: UInt64
    public var data: DataInfo
    public var metrics: Metrics
    public var trainingSeconds: Double
    public var peakResidentMiB: Double
    public var blasCore: String
    /// SHA-256 of model.safetensors, so the two files are known to belong together, and
    /// what an interpretation records of the model it explains. Absent from 0.1.0's files.
    public var weightsSHA256: String?

    public static func load(folder: String) throws -> ModelDescription {
        let path = (folder as NSString).appendingPathComponent(ModelStore.descriptionName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelStore.LoadError(path: path, problem: "no model description here; run 'cnn-inte train' first")
        }
        do {
            return try JSONDecoder().decode(ModelDescription.self, from: data)
        } catch {
            throw ModelStore.LoadError(path: path, problem: "not a cnn-inte model description (\(error))")
        }
    }
}
