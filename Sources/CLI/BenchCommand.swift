import ArgumentParser
import Foundation
import Datasets
import Interpretation
import Network
import Report

/// `cnn-inte bench`: the speed and memory figures the project's targets are judged by.
/// Timings are medians of several runs; heavy figures live here, never in unit tests.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed and memory; --json prints one machine-readable object.")

    /// The benchmarks available, in the order they run.
    enum Section: String, CaseIterable, ExpressibleByArgument {
        case sgemm
        case sgemmCheck = "sgemm-check"
        case train
        case infer
        case interpretation
        case render
        case renderMemory = "render-memory"
        case report
    }

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    @Option(name: .long, parsing: .upToNextOption, help: "Run only these sections (default: all).")
    var only: [Section] = []

    @Option(name: .long, help: "Timed runs per figure; the median is reported.")
    var runs: Int = 5

    @OptionGroup var output: OutputOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(name: .customLong("model-output"), help: ArgumentHelp("For the interpretation, render and report figures: an output folder holding model/ (and interpretation/ for render and report), made on --data.", valueName: "DIR"))
    var modelOutput = "Output"

    @Option(name: .customLong("render-count"), help: "Diagrams drawn by the render-memory figure.")
    var renderCount = 10_000

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1 (got \(runs))") }
    }

    func run() throws {
        // The interpretation figures need a trained model; by default they run only when asked.
        let sections = only.isEmpty ? Section.allCases.filter { ![.interpretation, .render, .renderMemory, .report].contains($0) } : only
        var results: [String: Any] = [:]
        let progress = Progress(quiet: output.quiet)
        for section in sections {
            switch section {
            case .sgemmCheck:
                let info = try BLAS.load()
                progress.line("bench: sgemm self-check against a naive loop (OpenBLAS core \(info.coreName))")
                results["sgemm_max_relative_error"] = BLAS.selfCheck()
                results["blas"] = blasInfo(info)
            case .train:
                _ = try BLAS.load()
                let dataset = try Dataset.load(data: nil)
                progress.line("bench: training the default network on \(dataset.name), batch 50, \(max(runs, 3)) timed chunks of 20 batches")
                let rates = NetworkBench.trainingRates(dataset: dataset, chunks: max(runs, 3))
                results["train_images_per_s"] = round1(median(rates))
                results["train_images_per_s_runs"] = rates.map(round1)
            case .infer:
                _ = try BLAS.load()
                let dataset = try Dataset.load(data: nil)
                progress.line("bench: inference of the default network on \(dataset.test.count) images, batch 100")
                let rates = NetworkBench.inferenceRates(dataset: dataset, runs: runs)
                results["infer_images_per_s"] = round1(median(rates))
            case .interpretation:
                _ = try BLAS.load()
                let dataset = try dataOptions.load()
                let model = try ModelStore.load(folder: (modelOutput as NSString).appendingPathComponent("model"))
                progress.line("bench: fc1 activations of \(dataset.train.count) + \(dataset.test.count) images of \(dataset.name)")
                let (train, trainProbabilities) = try model.featuresAndProbabilities(layer: "fc1", images: dataset.train.images)
                let (test, testProbabilities) = try model.featuresAndProbabilities(layer: "fc1", images: dataset.test.images)
                let trainPredictions = Evaluation(probabilities: trainProbabilities, labels: dataset.train.labels).predictions
                let testPredictions = Evaluation(probabilities: testProbabilities, labels: dataset.test.labels).predictions
                var all: [InterpretationBench.Figures] = []
                for run in 0..<max(1, min(runs, 3)) {
                    progress.line("bench: interpretation stages, run \(run + 1)")
                    all.append(try InterpretationBench.run(train: train, trainPredictions: trainPredictions, test: test,
                                                           testPredictions: testPredictions, classes: dataset.classCount, seed: 1))
                }
                results["kmeans_l1_s"] = round3(median(all.map(\.kmeansLevel1)))
                results["kmeans_l2_s"] = round3(median(all.map(\.kmeansLevel2)))
                results["forest_fit_s"] = round3(median(all.map(\.forestFit)))
                results["forest_predict_s"] = round3(median(all.map(\.forestPredict)))
                results["forest_fidelity"] = all[0].forestFidelity
                results["interpretation_data"] = "\(dataset.name) fc1 \(train.rows)x\(train.columns)"
            case .render:
                let dataset = try dataOptions.load()
                let inputs = try Reporting.inputs(dataset: dataset, output: modelOutput)
                let sample = Array(0..<min(inputs.saved.records.count, 100 * runs))
                progress.line("bench: in-process render of \(sample.count) instance diagrams of \(dataset.name) to PNG (96 dpi), PDF and SVG")
                let scratch = NSTemporaryDirectory() + "cnn-inte-bench-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                let figures = try ReportBench.renderTimes(inputs, instances: sample, dpi: 96, scratch: scratch)
                results["render_png_ms"] = round3(median(figures.pngMilliseconds))
                results["render_pdf_ms"] = round3(median(figures.pdfMilliseconds))
                results["render_svg_ms"] = round3(median(figures.svgMilliseconds))
                results["render_layout_ms"] = round3(median(figures.layoutMilliseconds))
                results["render_diagrams"] = sample.count
            case .renderMemory:
                let dataset = try dataOptions.load()
                let inputs = try Reporting.inputs(dataset: dataset, output: modelOutput)
                let scratch = NSTemporaryDirectory() + "cnn-inte-bench-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                progress.line("bench: resident memory over \(renderCount) diagrams (PNG, PDF, SVG, booklet page) in one process")
                let (before, after) = try ReportBench.memoryGrowth(inputs, count: renderCount, scratch: scratch,
                                                                   resident: Memory.residentMiB)
                results["render_memory_diagrams"] = renderCount
                results["render_rss_before_mib"] = round1(before)
                results["render_rss_after_mib"] = round1(after)
                results["render_rss_growth_mib"] = round1(after - before)
            case .report:
                let dataset = try dataOptions.load()
                var options = try ReportOptions.parse([])
                options.jobs = nil
                let scratch = NSTemporaryDirectory() + "cnn-inte-bench-report-\(getpid())"
                defer { try? FileManager.default.removeItem(atPath: scratch) }
                try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: (modelOutput as NSString).appendingPathComponent("interpretation"),
                                                 toPath: (scratch as NSString).appendingPathComponent("interpretation"))
                var times: [Double] = []
                for run in 0..<max(1, min(runs, 3)) {
                    progress.line("bench: full report of \(dataset.name), run \(run + 1) (\(options.resolvedJobs) processes)")
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try Reporting.runStage(dataset: dataset, output: scratch, options: options, data: dataOptions, quiet: true,
                                               progress: Progress(quiet: true))
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                results["report_s"] = round3(median(times))
                results["report_s_runs"] = times.map(round3)
                results["report_instances"] = dataset.test.count
                results["report_jobs"] = options.resolvedJobs
            case .sgemm:
                let info = try BLAS.load()
                progress.line("bench: sgemm 1024^3 x \(runs) (OpenBLAS core \(info.coreName))")
                let (median, all) = BLAS.benchmarkSGEMM(size: 1024, runs: runs)
                results["sgemm_gflops"] = round1(median)
                results["sgemm_gflops_runs"] = all.map(round1)
                results["blas"] = blasInfo(info)
            }
        }
        results["peak_rss_mib"] = round1(Memory.peakResidentMiB())
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for key in results.keys.sorted() { print("\(key): \(results[key]!)") }
        }
    }

    private func blasInfo(_ info: BLAS.Info) -> [String: Any] {
        [
            "library": info.library, "core": info.coreName, "config": info.config, "threads": info.threads,
            "coretype_set_by_cnn_inte": info.coreTypeChosen ?? NSNull(),
            "coretype_from_environment": info.coreTypeFromEnvironment ?? NSNull(),
        ]
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    private func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
}
