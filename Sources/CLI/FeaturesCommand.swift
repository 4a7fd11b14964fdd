import ArgumentParser
import Datasets
import Foundation
import Network
import Numerics
import ONNX

/// `cnn-inte features`: a trained model's hidden-layer activations as a NumPy file.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write a layer's activations for every image of a split to a .npy file (rows = images).")

    enum SplitName: String, ExpressibleByArgument, CaseIterable { case train, test }

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var runOptions: RunOptions
    @Option(help: "The layer to read (conv1, pool1, conv2, pool2, fc1, logits for the default network).")
    var layer = "fc1"
    @Option(help: "Which split's images.") var split = SplitName.test
    @Option(name: .customLong("npy"), help: ArgumentHelp("Where to write the .npy file.", valueName: "FILE"))
    var npy: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        runOptions.apply()
        let explained = try ExplainedModel.load(modelOptions, dataOptions, runOptions, allowOtherData: true)
        let (model, dataset, layer) = (explained.model, explained.dataset, explained.layer(self.layer))
        let images = split == .train ? dataset.train.images : dataset.test.images
        try model.checkInput(images)
        let meter = ProgressMeter(output.progress, stage: "features: \(layer) activations of the \(split.rawValue) images", total: images.count, unit: "images")
        let features = try model.features(layer: layer, images: images, progress: meter)
        meter.finish()
        try NPY.write(features, to: npy)
        if let note = explained.note { print(note) }
        print("\(features.rows) x \(features.columns) activations of \(layer) written to \(npy)")
    }
}
