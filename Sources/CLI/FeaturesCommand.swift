import ArgumentParser
import Datasets
import Foundation
import Network

/// `cnn-inte features`: a trained model's hidden-layer activations as a NumPy file.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write a layer's activations for every image of a split to a .npy file (rows = images).")

    enum SplitName: String, ExpressibleByArgument, CaseIterable { case train, test }

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var runOptions: RunOptions
    @Option(help: "The layer to read (conv1, pool1, conv2, pool2, fc1, logits for the default network).")
    var layer = "fc1"
    @Option(help: "Which split's images.") var split = SplitName.test
    @Option(name: .customLong("npy"), help: ArgumentHelp("Where to write the .npy file.", valueName: "FILE"))
    var npy: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let progress = Progress(quiet: output.quiet)
        _ = runOptions.apply()
        _ = try BLAS.load()
        let dataset = try dataOptions.load()
        let model = try ModelStore.load(folder: runOptions.modelFolder)
        guard model.layerNames.contains(layer) else {
            throw UsageError("--layer: unknown layer '\(layer)'; the model has \(model.layerNames.joined(separator: ", "))")
        }
        let images = split == .train ? dataset.train.images : dataset.test.images
        guard images.rows == model.architecture.input[0], images.columns == model.architecture.input[1] else {
            throw UsageError("the model takes \(model.architecture.input[0])x\(model.architecture.input[1]) images but the data has \(images.rows)x\(images.columns)")
        }
        progress.line("features: \(layer) activations of \(images.count) \(split.rawValue) images")
        let features = try model.features(layer: layer, images: images)
        do {
            try Data(NPY.encode(features)).write(to: URL(fileURLWithPath: npy), options: .atomic)
        } catch {
            throw StagedFolder.OutputError(path: npy, problem: "cannot be written (\(StagedFolder.reason(error)))")
        }
        print("\(features.rows) x \(features.columns) activations of \(layer) written to \(npy)")
    }
}
