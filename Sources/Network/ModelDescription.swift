import Datasets
import Foundation

/// `model.json`: everything about a trained model except its weights.
public struct ModelDescription: Codable, Equatable, Sendable {
    public struct DataInfo: Codable, Equatable, Sendable {
        public var name: String
        public var folder: String
        public var fingerprint: String
        public var trainImages: Int
        public var testImages: Int
        public var classNames: [String]
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

/// Trains a model on a data set from scratch and describes the result.
public enum TrainingRun {
    public static func run(dataset: Dataset, architecture: Architecture, configuration: TrainingConfiguration,
                           progress: ((TrainingProgress) -> Void)?, epochDone: ((EpochRecord) -> Void)?) throws
        -> (model: Model, description: ModelDescription) {
        try architecture.validate(classes: dataset.classCount)
        guard architecture.input == [dataset.rows, dataset.columns, 1] else {
            throw ArchitectureError("the network takes \(architecture.input) input but the images are \(dataset.rows)x\(dataset.columns)x1")
        }
        let blas = try BLAS.load()
        let started = DispatchTime.now().uptimeNanoseconds
        let model = try Model(architecture: architecture, seed: configuration.seed)
        let trainer = Trainer(model: model, configuration: configuration)
        let history = trainer.train(dataset.train, progress: progress, epochDone: epochDone)
        let evaluation = Evaluation(model: model, split: dataset.test)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let description = ModelDescription(
            architecture: architecture, architectureCompact: architecture.compact,
            parameters: model.parameterCount, training: configuration, seed: configuration.seed,
            data: .init(name: dataset.name, folder: dataset.source.folder, fingerprint: dataset.fingerprint,
                        trainImages: dataset.train.count, testImages: dataset.test.count, classNames: dataset.classNames),
            metrics: .init(test_accuracy: evaluation.accuracy, test_loss: nil, confusion: evaluation.confusion, history: history),
            trainingSeconds: seconds, peakResidentMiB: Memory.peakResidentMiB(), blasCore: blas.coreName)
        return (model, description)
    }

    /// Writes `model.safetensors` and `model.json` into `folder`, all or nothing.
    public static func save(model: Model, description: ModelDescription, to folder: String) throws {
        let staged = try StagedFolder(folder)
        do {
            try staged.write(Data(try ModelStore.encode(model)), to: ModelStore.weightsName)
            try staged.write(try JSONEncoder.pretty.encode(description), to: ModelStore.descriptionName)
            try staged.commit()
        } catch {
            staged.discard()
            throw error
        }
    }
}
