import ArgumentParser
import Datasets
import Foundation
import Network

/// Options that shape a training run; shared by `train` and `run`.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training images.") var epochs = 20
    @Option(name: .customLong("batch-size"), help: "Images per mini-batch.") var batchSize = 50
    @Option(name: .customLong("learning-rate"), help: "Initial learning rate.") var learningRate: Float = 1e-3
    @Option(help: "adam or sgd (with momentum 0.9).") var optimizer = TrainingConfiguration.OptimizerKind.adam
    @Option(help: "Learning-rate schedule: cosine (decay to 1%) or constant.") var schedule = TrainingConfiguration.Schedule.cosine
    @Flag(name: .customLong("no-augment"), help: "Train on the images as they are (default: small random rotations, scalings and shifts).")
    var noAugment = false
    @Option(name: .customLong("validation-split"), help: "Share of training images held out to report validation accuracy per epoch.")
    var validationSplit = 0.0
    @Option(help: ArgumentHelp("The network as a layer list, e.g. conv1:conv(32,5,relu),pool1:maxpool(2),fc1:dense(128,relu),logits:dense(10). Default: the paper's network.", valueName: "LAYERS"))
    var architecture: String?

    func validate() throws {
        if epochs < 1 { throw ValidationError("--epochs must be at least 1 (got \(epochs))") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1 (got \(batchSize))") }
        if !(learningRate > 0) || !learningRate.isFinite { throw ValidationError("--learning-rate must be a positive number (got \(learningRate))") }
        if !(0..<1).contains(validationSplit) { throw ValidationError("--validation-split must be in [0, 1) (got \(validationSplit))") }
    }

    func configuration(seed: UInt64, threads: Int) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.epochs = epochs
        c.batchSize = batchSize
        c.learningRate = learningRate
        c.optimizer = optimizer
        c.schedule = schedule
        c.augmentation = noAugment ? nil : Augmentation()
        c.validationFraction = validationSplit
        c.seed = seed
        c.threads = threads
        return c
    }

    func resolvedArchitecture(for dataset: Dataset) throws -> Architecture {
        let input = [dataset.rows, dataset.columns, 1]
        let chosen: Architecture
        if let architecture {
            do { chosen = try Architecture.parse(architecture, input: input) } catch { throw UsageError("--architecture: \(error)") }
        } else {
            chosen = .deepMNIST(height: dataset.rows, width: dataset.columns, classes: dataset.classCount)
        }
        do { try chosen.validate(classes: dataset.classCount) } catch { throw UsageError("--architecture: \(error)") }
        return chosen
    }
}

/// Seed, threads and where results go; shared by the commands that compute.
struct RunOptions: ParsableArguments {
    @Option(help: "Seed for every random choice: the same seed and thread count give the same results.")
    var seed: UInt64 = 1
    @Option(help: "Cores to use (default: all).") var threads: Int?
    @Option(help: ArgumentHelp("Folder for all results.", valueName: "DIR")) var output = "Output"

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    /// Applies --threads before any parallel work starts.
    func apply() -> Int {
        if let threads { Parallel.threads = threads }
        return Parallel.threads
    }

    var modelFolder: String { (output as NSString).appendingPathComponent("model") }
    var interpretationFolder: String { (output as NSString).appendingPathComponent("interpretation") }
}

extension TrainingConfiguration.OptimizerKind: ExpressibleByArgument {}
extension TrainingConfiguration.Schedule: ExpressibleByArgument {}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train the CNN and save it to <output>/model (model.safetensors + model.json).")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let progress = Progress(quiet: output.quiet)
        let threads = runOptions.apply()
        let dataset = try dataOptions.load()
        let (model, description) = try Training.trainAndSave(
            dataset: dataset, options: training, run: runOptions, threads: threads, progress: progress)
        print(Training.summary(description, folder: runOptions.modelFolder, parameters: model.parameterCount))
    }
}

/// The training step of `train` and `run`.
enum Training {
    static func trainAndSave(dataset: Dataset, options: TrainingOptions, run: RunOptions, threads: Int,
                             progress: Progress) throws -> (Model, ModelDescription) {
        let architecture = try options.resolvedArchitecture(for: dataset)
        let configuration = options.configuration(seed: run.seed, threads: threads)
        // Fail on an unusable output folder before spending minutes training.
        let probe = try StagedFolder(run.modelFolder)
        probe.discard()
        progress.line("train: \(dataset.name), \(dataset.train.count) images, \(configuration.epochs) epochs of batch \(configuration.batchSize), \(threads) threads")
        var lastPlain = 0.0
        let (model, description) = try TrainingRun.run(
            dataset: dataset, architecture: architecture, configuration: configuration,
            progress: { p in
                let text = String(format: "train: epoch %d/%d batch %d/%d  loss %.4f  acc %.2f%%  %.0f img/s  ETA %@",
                                  p.epoch, p.epochs, p.batch, p.batches, p.loss, 100 * p.accuracy, p.imagesPerSecond,
                                  Training.duration(p.secondsLeft))
                if progress.isTerminal {
                    progress.status(text)
                } else {
                    // Plain lines for logs: at most one every 5 seconds.
                    let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
                    if now - lastPlain >= 5 { lastPlain = now; progress.status(text) }
                }
            },
            epochDone: { r in
                var text = String(format: "train: epoch %d done  loss %.4f  train acc %.2f%%", r.epoch, r.loss, 100 * r.trainAccuracy)
                if let v = r.validationAccuracy { text += String(format: "  validation acc %.2f%%", 100 * v) }
                text += String(format: "  %.1f s  %.0f img/s", r.seconds, r.imagesPerSecond)
                progress.line(text)
            })
        try TrainingRun.save(model: model, description: description, to: run.modelFolder)
        return (model, description)
    }

    static func summary(_ d: ModelDescription, folder: String, parameters: Int) -> String {
        let correct = Int((d.metrics.test_accuracy * Double(d.data.testImages)).rounded())
        return String(format: "test accuracy %.2f%% (%d/%d) after %d epochs, %.0f s; %d parameters; model in %@",
                      100 * d.metrics.test_accuracy, correct, d.data.testImages, d.training.epochs, d.trainingSeconds,
                      parameters, folder)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
