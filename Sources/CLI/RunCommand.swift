import ArgumentParser
import Datasets
import Foundation
import Numerics
import Interpretation
import Network
import Report

/// `cnn-inte run`: the main job. Trains the CNN, interprets its hidden layer, draws the
/// report and ends with a short summary on stdout.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Train, interpret and report in one go (the main job).")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions
    @OptionGroup var interpretation: InterpretationOptions
    @OptionGroup var report: ReportOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let (threads, progress) = (runOptions.apply(), output.progress)
        let dataset = try dataOptions.load()
        let started = DispatchTime.now().uptimeNanoseconds
        let (model, description) = try TrainingRun.trainAndSave(
            dataset: dataset, configuration: training.configuration(seed: runOptions.seed, threads: threads),
            folder: runOptions.modelFolder, progress: progress)
        let results = try InterpretationRun.run(dataset: dataset, labeller: model, modelSource: runOptions.modelWeights,
                                                configuration: interpretation.configuration(seed: runOptions.seed),
                                                folder: runOptions.interpretationFolder, progress: progress)
        try ReportRun.run(report.configuration(output: runOptions.output, data: dataOptions.selection), dataset: dataset,
                          progress: progress, workerProgress: !output.quiet)
        print(summary(description, results, dataset: dataset, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
    }

    func summary(_ description: ModelDescription, _ results: InterpretationResults, dataset: Dataset, seconds: Double) -> String {
        let folder = runOptions.output as NSString
        return String(format: """
            CNN test accuracy       %.2f%%  (%@, %@)
            CNN-INTE test accuracy  %.2f%%
            fidelity to the CNN     %.2f%%
            open the report %@
            PDF booklets    %@
            model           %@
            interpretation  %@  (cnn-inte explain --index N)
            done in %.0f s
            """, 100 * description.metrics.test_accuracy, dataset.name, dataset.test.count.counted("test image"),
                      100 * results.metrics.inte_test_accuracy, 100 * results.metrics.fidelity,
                      folder.appendingPathComponent("report/index.html"), folder.appendingPathComponent("pdf"),
                      runOptions.modelFolder, runOptions.interpretationFolder, seconds)
    }
}
