import ArgumentParser
import Datasets
import Foundation
import Numerics

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
        case trainResnet = "train-resnet"
        case infer
        case loadImages = "load-images"
        case interpretation
        case render
        case renderMemory = "render-memory"
        case report

        /// These need a trained model or an interpretation: they run only when asked.
        var needsOutput: Bool { [.interpretation, .render, .renderMemory, .report].contains(self) }
    }

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    @Option(name: .long, parsing: .upToNextOption, help: "Run only these sections (default: all).")
    var only: [Section] = []

    @Option(name: .long, parsing: .unconditional, help: "Timed runs per figure; the median is reported.")
    var runs: Int = 5

    @OptionGroup var output: OutputOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(name: .customLong("model-output"), help: ArgumentHelp("For the interpretation, render and report figures: an output folder holding model/ (and interpretation/ for render and report), made on --data.", valueName: "DIR"))
    var modelOutput = "Output"

    @Option(name: .customLong("render-count"), parsing: .unconditional, help: "Diagrams drawn by the render-memory figure.")
    var renderCount = 10_000

    @Option(name: .customLong("model"), help: ArgumentHelp("An ONNX model whose inference the infer figure measures (on random images of its input shape), instead of the default network.", valueName: "MODEL.onnx"))
    var onnxModel: String?

    @OptionGroup var preparation: InputPreparationOptions

    @Option(name: .customLong("infer-count"), parsing: .unconditional, help: "Random images of the model's input shape the infer figure of a --model runs, rounded up to whole batches (default 1,000).")
    var inferCount = 1_000

    @Option(name: .customLong("load-count"), parsing: .unconditional, help: "32x32 colour PNGs written to a scratch image folder and loaded by the load-images figure.")
    var loadCount = 60_000

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1 (got \(runs))") }
        if loadCount < 10 { throw ValidationError("--load-count must be at least 10 (got \(loadCount))") }
        if !(1...100_000).contains(inferCount) { throw ValidationError("--infer-count must be 1-100000 (got \(inferCount))") }
        if onnxModel == nil, preparation.given { throw ValidationError("--input-scale, --mean, --std and --bgr prepare a --model MODEL.onnx; give --model too") }
    }

    func run() throws {
        let bench = BenchSections(runs: runs, data: dataOptions.selection ?? DataSelection(), modelOutput: modelOutput, renderCount: renderCount, loadCount: loadCount, onnxModel: onnxModel,
                                  preprocessing: preparation.preprocessing, inferCount: inferCount, progress: output.progress)
        var results: [String: Any] = [:]
        for section in only.isEmpty ? Section.allCases.filter({ !$0.needsOutput }) : only {
            results.merge(try bench.figures(section), uniquingKeysWith: { _, new in new })
        }
        results["peak_rss_mib"] = BenchSections.round1(Memory.peakResidentMiB())
        if json {
            let data = try JSONSerialization.data(withJSONObject: results, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for key in results.keys.sorted() { print("\(key): \(results[key]!)") }
        }
    }
}
