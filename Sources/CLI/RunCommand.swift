import ArgumentParser
import Datasets
import Foundation
import Numerics
import Interpretation
import Network
import Numerics
import OutputFolders
import Report
import Sharding

/// `cnn-inte run`: the main job. Trains the CNN, interprets its hidden layer, draws the
/// report and ends with a short summary on stdout.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Train, interpret and report in one go (the main job).")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var training: TrainingOptions
    @OptionGroup var interpretation: InterpretationOptions
    @OptionGroup var report: ReportOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var output: OutputOptions

    /// Everything is staged and put in place together at the end: an interrupted run
    /// leaves the previous model, interpretation and report as they were.
    func run() throws {
        if cluster.sharded { return try runSharded() }
        if modelOptions.model != nil { return try runImported() }
        let (threads, progress, started) = (runOptions.apply(), output.progress, DispatchTime.now().uptimeNanoseconds)
        let dataset = try dataOptions.load()
        let training = training.configuration(seed: runOptions.seed, threads: threads)
        try training.validate()
        // Everything that can be checked is, before minutes of training.
        try InterpretationRun.validate(dataset: dataset, labeller: try Model(graph: training.resolvedGraph(for: dataset), seed: 0),
                                       configuration: interpretation.configuration(seed: runOptions.seed))
        let (description, results) = try OutputFolder(writing: runOptions.output).transaction(
            ["model", "interpretation", "report", "pdf"]) { staged -> (ModelDescription, InterpretationResults) in
            let trainingStart = DispatchTime.now().uptimeNanoseconds
            let (model, trained) = try TrainingRun.run(dataset: dataset, configuration: training, progress: progress)
            let trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - trainingStart) / 1e9
            let description = try TrainingRun.write(model: model, description: trained, into: staged[0].path)
            let weights = (staged[0].path as NSString).appendingPathComponent(ModelStore.weightsName)
            _ = try InterpretationRun.run(
                dataset: dataset, labeller: model, model: .trained(weights: (runOptions.modelFolder as NSString).appendingPathComponent(ModelStore.weightsName),
                                                                   sha256: description.weightsSHA256),
                configuration: interpretation.configuration(seed: runOptions.seed),
                into: staged[1].path, progress: progress)
            var reportConfiguration = report.configuration(output: runOptions.output, data: dataset.selection)
            (reportConfiguration.interpretation, reportConfiguration.modelWeights) = (staged[1].path, weights)
            let reportStart = DispatchTime.now().uptimeNanoseconds
            try ReportRun.run(reportConfiguration, dataset: dataset, into: staged[2].path, pdf: staged[3].path,
                              progress: progress, workerProgress: !output.quiet)
            let stages = ["training": trainingSeconds, "report": Double(DispatchTime.now().uptimeNanoseconds - reportStart) / 1e9]
            return (description, try InterpretationResults.recordStages(stages, in: staged[1].path))
        }
        print(summary(description, results, dataset: dataset, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
    }

    /// With --model: the user's network, so no training; interpretation and report only.
    func runImported() throws {
        let (progress, started) = (output.progress, DispatchTime.now().uptimeNanoseconds)
        _ = runOptions.apply()
        let explained = try ExplainedModel.load(modelOptions, dataOptions, runOptions)
        let (labeller, provenance, dataset) = (explained.model, explained.provenance, explained.dataset)
        let configuration = explained.configuration(interpretation, seed: runOptions.seed)
        try InterpretationRun.validate(dataset: dataset, labeller: labeller, configuration: configuration)
        let results = try OutputFolder(writing: runOptions.output).transaction(["interpretation", "report", "pdf"]) { staged in
            let results = try InterpretationRun.run(dataset: dataset, labeller: labeller, model: provenance,
                                                    configuration: configuration, into: staged[0].path, progress: progress)
            var reportConfiguration = report.configuration(output: runOptions.output, data: dataset.selection)
            reportConfiguration.interpretation = staged[0].path
            let reportStart = DispatchTime.now().uptimeNanoseconds
            try ReportRun.run(reportConfiguration, dataset: dataset, into: staged[1].path, pdf: staged[2].path,
                              progress: progress, workerProgress: !output.quiet)
            _ = results
            return try InterpretationResults.recordStages(["report": Double(DispatchTime.now().uptimeNanoseconds - reportStart) / 1e9],
                                                          in: staged[0].path)
        }
        print(summary(cnnAccuracy: results.metrics.cnnTestAccuracy, results, dataset: dataset, model: provenance.description,
                      seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
    }

    /// With --slurm or --plan: the same run as jobs over shards (`ClusterLaunch`).
    func runSharded() throws {
        let threads = runOptions.apply()
        var request: ShardedRun.Request
        var modelSHA256: String?
        if modelOptions.model != nil {
            let planned = try PlannedModel.load(modelOptions, dataOptions, runOptions)
            let configuration = planned.configuration(interpretation, seed: runOptions.seed)
            try InterpretationRun.validate(data: planned.data, labeller: planned.model, configuration: configuration)
            request = ShardedRun.Request(job: .run, output: runOptions.output, data: planned.data,
                                         model: planned.spec(modelOptions, runOptions), training: nil, interpretation: configuration,
                                         report: report.configuration(output: runOptions.output, data: planned.data.selection),
                                         threads: runOptions.threads, shards: cluster.shards, batch: planned.model.inferenceBatch)
            modelSHA256 = planned.provenance.sha256
        } else {
            let data = try DataShape.of(dataOptions.selection ?? DataSelection())
            let training = training.configuration(seed: runOptions.seed, threads: threads)
            try training.validate()
            let untrained = try Model(graph: training.resolvedGraph(for: data), seed: 0)
            let configuration = interpretation.configuration(seed: runOptions.seed)
            try InterpretationRun.validate(data: data, labeller: untrained, configuration: configuration)
            let weights = (runOptions.modelFolder as NSString).appendingPathComponent(ModelStore.weightsName)
            request = ShardedRun.Request(job: .run, output: runOptions.output, data: data,
                                         model: .trained(folder: ShardStages.trainedFolder(ShardFolder(output: runOptions.output)), weights: weights),
                                         training: training, interpretation: configuration,
                                         report: report.configuration(output: runOptions.output, data: data.selection),
                                         threads: runOptions.threads, shards: cluster.shards, batch: untrained.inferenceBatch)
        }
        try ClusterLaunch.launch(request, options: cluster, modelSHA256: modelSHA256, progress: output.progress)
    }

    func summary(_ description: ModelDescription, _ results: InterpretationResults, dataset: Dataset, seconds: Double) -> String {
        summary(cnnAccuracy: description.metrics.testAccuracy, results, dataset: dataset, model: runOptions.modelFolder, seconds: seconds)
    }

    func summary(cnnAccuracy: Double, _ results: InterpretationResults, dataset: Dataset, model: String, seconds: Double) -> String {
        let folder = runOptions.output as NSString
        return String(format: """
            CNN test accuracy       %.2f%%  (%@, %@)
            CNN-INTE test accuracy  %.2f%%
            fidelity to the CNN     %.2f%%
            open the report %@
            PDF booklets    %@
            model           %@
            interpretation  %@  (cnn-inte explain --index N)
            stages          %@
            peak memory     %.0f MiB
            done in %.0f s
            """, 100 * cnnAccuracy, dataset.name, dataset.test.count.counted("test image"),
                      100 * results.metrics.inteTestAccuracy, 100 * results.metrics.fidelity,
                      folder.appendingPathComponent("report/index.html"), folder.appendingPathComponent("pdf"),
                      model, runOptions.interpretationFolder, StageSummary.line(results.timings), Memory.peakResidentMiB(), seconds)
    }
}
