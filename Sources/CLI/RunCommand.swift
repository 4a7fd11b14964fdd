import ArgumentParser
import Datasets
import Foundation
import Network

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
        let progress = Progress(quiet: output.quiet)
        let threads = runOptions.apply()
        let dataset = try dataOptions.load()
        let started = DispatchTime.now().uptimeNanoseconds
        let (model, description) = try Training.trainAndSave(dataset: dataset, options: training, run: runOptions,
                                                             threads: threads, progress: progress)
        let metrics = try Interpretation.runStage(dataset: dataset, model: model, options: interpretation, run: runOptions,
                                                  progress: progress)
        _ = try Reporting.runStage(dataset: dataset, output: runOptions.output, options: report, data: dataOptions,
                                   quiet: output.quiet, progress: progress)
        let index = (runOptions.output as NSString).appendingPathComponent("report/index.html")
        let booklets = (runOptions.output as NSString).appendingPathComponent("pdf")
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        print(String(format: """
            CNN test accuracy       %.2f%%  (%@, %d test images)
            CNN-INTE test accuracy  %.2f%%
            fidelity to the CNN     %.2f%%
            open the report %@
            PDF booklets    %@
            model           %@
            interpretation  %@  (cnn-inte explain --index N)
            done in %.0f s
            """, 100 * description.metrics.test_accuracy, dataset.name, dataset.test.count,
                     100 * metrics.inte_test_accuracy, 100 * metrics.fidelity, index, booklets,
                     runOptions.modelFolder, runOptions.interpretationFolder, seconds))
    }
}
