import ArgumentParser
import Datasets
import Foundation
import Network
import Numerics

/// Options that shape a training run; shared by `train` and `run`.
struct TrainingOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Passes over the training images.") var epochs = 20
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images per mini-batch.") var batchSize = 50
    @Option(name: .customLong("learning-rate"), parsing: .unconditional, help: "Initial learning rate.") var learningRate: Float = 1e-3
    @Option(help: "adam or sgd (with momentum 0.9).") var optimizer = TrainingConfiguration.OptimizerKind.adam
    @Option(help: "Learning-rate schedule: cosine (decay to 1%) or constant.") var schedule = TrainingConfiguration.Schedule.cosine
    @Flag(name: .customLong("no-augment"), help: "Train on the images as they are (default: small random rotations, scalings and shifts).")
    var noAugment = false
    @Option(name: .customLong("validation-split"), parsing: .unconditional, help: "Share of training images held out to report validation accuracy per epoch.")
    var validationSplit = 0.0
    @Option(help: ArgumentHelp("The network as a layer list, e.g. conv1:conv(32,5,relu),pool1:maxpool(2),fc1:dense(128,relu),logits:dense(10). Default: the paper's network.", valueName: "LAYERS"))
    var architecture: String?

    func validate() throws { try validating { try configuration(seed: 1, threads: 1).validate() } }

    func configuration(seed: UInt64, threads: Int) -> TrainingRun.Configuration {
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
        return TrainingRun.Configuration(architecture: architecture, training: c)
    }
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
        let configuration = training.configuration(seed: runOptions.seed, threads: runOptions.apply())
        let dataset = try dataOptions.load()
        let (model, description) = try TrainingRun.trainAndSave(dataset: dataset, configuration: configuration,
                                                                output: runOptions.output, progress: output.progress)
        print(TrainingRun.summary(description, folder: runOptions.modelFolder, parameters: model.parameterCount))
    }
}
