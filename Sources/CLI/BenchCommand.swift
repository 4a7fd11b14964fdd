import ArgumentParser
import Foundation
import Datasets
import Network

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
    }

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    @Option(name: .long, parsing: .upToNextOption, help: "Run only these sections (default: all).")
    var only: [Section] = []

    @Option(name: .long, help: "Timed runs per figure; the median is reported.")
    var runs: Int = 5

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if runs < 1 { throw ValidationError("--runs must be at least 1 (got \(runs))") }
    }

    func run() throws {
        let sections = only.isEmpty ? Section.allCases : only
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

    private func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
}
