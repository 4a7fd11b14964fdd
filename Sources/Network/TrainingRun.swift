import Datasets
import Foundation
import Numerics
import OutputFolders

/// The training stage as one call: a network built from a typed configuration, trained on
/// a data set, evaluated on its test split and saved with its description. The `train`
/// and `run` commands, `bench` and the tests all go through here.
public enum TrainingRun {
    /// Everything that, with the data, fixes the trained model.
    public struct Configuration: Codable, Equatable, Sendable {
        /// The network: a builtin's name (`deep-mnist`, `resnet20`) or the compact form of
        /// `LayerList`; nil for the default, the paper's Deep MNIST network, sized to the data.
        public var architecture: String?
        public var training = TrainingConfiguration()

        public init(architecture: String? = nil, training: TrainingConfiguration = TrainingConfiguration()) {
            self.architecture = architecture
            self.training = training
        }

        /// Ranges of the training options, named as the command line names them.
        public func validate() throws {
            let t = training
            if t.epochs < 1 { throw UsageError("--epochs must be at least 1 (got \(t.epochs))") }
            if t.batchSize < 1 { throw UsageError("--batch-size must be at least 1 (got \(t.batchSize))") }
            if !(t.learningRate > 0) || !t.learningRate.isFinite {
                throw UsageError("--learning-rate must be a positive number (got \(t.learningRate))")
            }
            if !(0..<1).contains(t.validationFraction) {
                throw UsageError("--validation-split must be in [0, 1) (got \(t.validationFraction))")
            }
            if t.threads < 1 { throw UsageError("--threads must be at least 1 (got \(t.threads))") }
        }

        /// The network for `dataset`: the configured one or the default, sized to the data's
        /// images and checked against its class count.
        public func resolvedGraph(for dataset: Dataset) throws -> Graph { try resolvedGraph(for: dataset.shape) }

        /// The network for data of this shape.
        public func resolvedGraph(for dataset: DataShape) throws -> Graph {
            let input = Graph.InputShape(channels: dataset.channels, height: dataset.rows, width: dataset.columns)
            let chosen: Graph
            do {
                let name = architecture ?? "deep-mnist"
                if let builtin = LayerList.builtin(name, input: input, classes: dataset.classCount) {
                    chosen = builtin
                } else {
                    chosen = try LayerList.parse(name, input: input)
                }
                try chosen.validate(classes: dataset.classCount)
            } catch { throw UsageError("--architecture: \(error)") }
            return chosen
        }
    }

    /// Trains from scratch and describes the result; nothing is written.
    public static func run(dataset: Dataset, configuration: Configuration,
                           progress: ProgressSink = .silent) throws -> (model: Model, description: ModelDescription) {
        try configuration.validate()
        let graph = try configuration.resolvedGraph(for: dataset)
        let training = configuration.training
        let started = DispatchTime.now().uptimeNanoseconds
        let model = try Model(graph: graph, seed: training.seed)
        try model.checkInput(dataset.train.images)
        let trainer = Trainer(model: model, configuration: training)
        progress.line("train: \(dataset.name), \(dataset.train.count.counted("image")), \(training.epochs.counted("epoch")) of batch \(training.batchSize), \(training.threads.counted("thread"))")
        let history = try trainer.train(dataset.train, progress: { p in
            progress.status(String(format: "train: epoch %d/%d batch %d/%d  loss %.4f  acc %.2f%%  %.0f img/s  ETA %@",
                                   p.epoch, p.epochs, p.batch, p.batches, p.loss, 100 * p.accuracy, p.imagesPerSecond,
                                   duration(p.secondsLeft)))
        }, epochDone: { r in
            var text = String(format: "train: epoch %d done  loss %.4f  train acc %.2f%%", r.epoch, r.loss, 100 * r.trainAccuracy)
            if let v = r.validationAccuracy { text += String(format: "  validation acc %.2f%%", 100 * v) }
            text += String(format: "  %.1f s  %.0f img/s", r.seconds, r.imagesPerSecond)
            progress.line(text)
        })
        let evaluation = try Evaluation(model: model, split: dataset.test)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let description = ModelDescription(
            graph: graph, parameters: model.parameterCount, training: training, seed: training.seed,
            data: .init(name: dataset.name, folder: dataset.source.folder, fingerprint: dataset.fingerprint,
                        trainImages: dataset.train.count, testImages: dataset.test.count, classNames: dataset.classNames,
                        selection: dataset.selection),
            metrics: .init(testAccuracy: evaluation.accuracy, testLoss: nil, confusion: evaluation.confusion, history: history),
            trainingSeconds: seconds, peakResidentMiB: Memory.peakResidentMiB(), engine: "\(DNNL.version) \(DNNL.isa)")
        return (model, description)
    }

    /// Trains and saves the model as `<output>/model`, which is replaced only once the
    /// new one is complete. The options are checked before anything is written.
    public static func trainAndSave(dataset: Dataset, configuration: Configuration, output: String,
                                    progress: ProgressSink = .silent) throws -> (model: Model, description: ModelDescription) {
        try configuration.validate()
        _ = try configuration.resolvedGraph(for: dataset)
        return try OutputFolder(writing: output).transaction([ModelStore.folderName]) { staged in
            var (model, description) = try run(dataset: dataset, configuration: configuration, progress: progress)
            description = try write(model: model, description: description, into: staged[0].path)
            return (model, description)
        }
    }

    /// Writes `model.safetensors` and `model.json` into `folder`; returns the description
    /// as written (with the weights' fingerprint).
    @discardableResult
    public static func write(model: Model, description: ModelDescription, into folder: String) throws -> ModelDescription {
        var description = description
        let weights = try ModelStore.encode(model)
        description.weightsSHA256 = SHA256.hex(weights)
        for (name, bytes) in [(ModelStore.weightsName, Data(weights)), (ModelStore.descriptionName, try JSONEncoder.pretty.encode(description))] {
            let path = (folder as NSString).appendingPathComponent(name)
            do { try bytes.write(to: URL(fileURLWithPath: path)) } catch {
                throw FileError(path: path, problem: "cannot be written (\(FileError.reason(error)))")
            }
        }
        return description
    }

    /// The one-line summary `train` prints.
    public static func summary(_ d: ModelDescription, folder: String, parameters: Int) -> String {
        let correct = Int((d.metrics.testAccuracy * Double(d.data.testImages)).rounded())
        return String(format: "test accuracy %.2f%% (%d/%d) after %@, %.0f s; %@; model in %@",
                      100 * d.metrics.testAccuracy, correct, d.data.testImages, d.training.epochs.counted("epoch"),
                      d.trainingSeconds, parameters.counted("parameter"), folder)
    }

    /// `m:ss`, or `h:mm:ss` from an hour on.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
