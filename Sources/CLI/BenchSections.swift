import Datasets
import Foundation
import Interpretation
import Network
import Numerics
import ONNX
import Report

/// The figures of each `bench` section, from the library's own timing helpers. Keys are
/// the JSON keys the README's "Benchmarks" table explains.
struct BenchSections {
    var runs: Int
    var data: DataSelection
    var modelOutput: String
    var renderCount: Int
    var loadCount: Int = 60_000
    /// `--model`: the infer figure is of this ONNX model instead of the default network.
    var onnxModel: String?
    /// How the pixels are prepared for `onnxModel` (its --mean, --std...): part of what the
    /// infer figure times, as in a real run.
    var preprocessing = InputPreprocessing()
    /// Images the infer figure of `onnxModel` runs.
    var inferCount = 1_000
    var progress: ProgressSink

    func figures(_ section: BenchCommand.Section) throws -> [String: Any] {
        switch section {
        case .sgemm: return try sgemm()
        case .sgemmCheck: return try sgemmCheck()
        case .train: return try train()
        case .trainResnet: return try train(network: "resnet20", key: "train_images_per_s_resnet")
        case .infer: return try infer()
        case .loadImages: return try loadImages()
        case .interpretation: return try interpretation()
        case .render: return try render()
        case .renderMemory: return try renderMemory()
        case .report: return try report()
        }
    }

    func sgemm() throws -> [String: Any] {
        let info = GEMM.info
        progress.line("bench: sgemm 1024^3 x \(runs) (\(info.library), \(info.isa))")
        let (median, all) = GEMM.benchmark(size: 1024, runs: runs)
        return ["sgemm_gflops": Self.round1(median), "sgemm_gflops_runs": all.map(Self.round1), "gemm": Self.gemmInfo(info)]
    }

    func sgemmCheck() throws -> [String: Any] {
        let info = GEMM.info
        progress.line("bench: sgemm self-check against a naive loop (\(info.library), \(info.isa))")
        return ["sgemm_max_relative_error": GEMM.selfCheck(), "gemm": Self.gemmInfo(info)]
    }

    func train(network: String = "deep-mnist", key: String = "train_images_per_s") throws -> [String: Any] {
        let dataset = try Dataset.load(data: nil)
        progress.line("bench: training \(network) on \(dataset.name), batch 50, \(max(runs, 3)) timed chunks of 20 batches")
        let rates = try NetworkBench.trainingRates(dataset: dataset, network: network, chunks: max(runs, 3))
        return [key: Self.round1(Self.median(rates)), key + "_runs": rates.map(Self.round1)]
    }

    func infer() throws -> [String: Any] {
        if let onnxModel {
            // Speed does not depend on the pixels: 1,000 images of the model's input shape.
            let imported = try ImportedModel.load(path: onnxModel, preprocessing: preprocessing)
            let input = imported.model.graph.input
            // Whole batches, as in a long run: a last, partial batch is computed whole
            // (its other rows unread), which would charge a short bench for images it
            // does not count (100 images in batches of 32 compute 128).
            let batch = imported.model.inferenceBatch
            let count = (inferCount + batch - 1) / batch * batch, size = input.height * input.width * input.channels
            let images = ImageSet(count: count, rows: input.height, columns: input.width, channels: input.channels,
                                  pixels: (0..<(count * size)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) })
            progress.line("bench: inference of \(onnxModel) on \(count) images of \(input.channels)x\(input.height)x\(input.width), batch \(batch), input \(preprocessing)")
            let rates = try NetworkBench.inferenceRates(model: imported.model, images: images, runs: runs)
            return ["infer_images_per_s": Self.round1(Self.median(rates)), "infer_images_per_s_runs": rates.map(Self.round1),
                    "infer_images": count, "infer_batch": batch,
                    "infer_model": onnxModel, "infer_input": "\(preprocessing)", "isa": DNNL.isa,
                    "infer_reference_kernels": Self.referenceKernels(imported.model)]
        }
        let dataset = try Dataset.load(data: nil)
        progress.line("bench: inference of the default network on \(dataset.test.count) images, batch 100")
        let rates = try NetworkBench.inferenceRates(dataset: dataset, runs: runs)
        return ["infer_images_per_s": Self.round1(Self.median(rates)), "infer_images_per_s_runs": rates.map(Self.round1), "isa": DNNL.isa]
    }

    /// Every node the model ran on oneDNN's reference code, "node: implementation"; empty
    /// when every primitive had a fast kernel.
    static func referenceKernels(_ model: Model) -> [String] {
        model.referenceKernels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
    }

    func interpretation() throws -> [String: Any] {
        let dataset = try data.load()
        let model = try ModelStore.load(folder: (modelOutput as NSString).appendingPathComponent("model"))
        progress.line("bench: fc1 activations of \(dataset.train.count) + \(dataset.test.count) images of \(dataset.name)")
        let (train, trainPredictions) = try model.label(dataset.train.images, layer: "fc1")
        let (test, testPredictions) = try model.label(dataset.test.images, layer: "fc1")
        var all: [InterpretationBench.Figures] = []
        var neighbours: [Double] = []
        for run in 0..<max(1, min(runs, 3)) {
            progress.line("bench: interpretation stages, run \(run + 1)")
            all.append(try InterpretationBench.run(train: train, trainPredictions: trainPredictions, test: test,
                                                   testPredictions: testPredictions, classes: dataset.classCount, seed: 1))
            // Every test instance's 5 nearest training activations (one GEMM pass per block).
            let start = DispatchTime.now().uptimeNanoseconds
            _ = NearestNeighbours.search(test, in: train, k: 5)
            neighbours.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return ["kmeans_l1_s": Self.round3(Self.median(all.map(\.kmeansLevel1))),
                "kmeans_l2_s": Self.round3(Self.median(all.map(\.kmeansLevel2))),
                "forest_fit_s": Self.round3(Self.median(all.map(\.forestFit))),
                "forest_predict_s": Self.round3(Self.median(all.map(\.forestPredict))),
                "forest_fidelity": all[0].forestFidelity, "interpretation_data": "\(dataset.name) fc1 \(train.rows)x\(train.columns)",
                "neighbours_s": Self.round3(Self.median(neighbours)), "neighbours_data": "\(test.rows) test x \(train.rows) train, k = 5",
                "embed_s": Self.round3(try embedSeconds(train, test)), "embed_data": "\(train.rows + test.rows) points, UMAP (LayerMap)"]
    }

    /// One 2-D map of every training and test activation (`LayerMap`), timed once: it is
    /// long enough not to need a median.
    func embedSeconds(_ train: Matrix, _ test: Matrix) throws -> Double {
        progress.line("bench: the layer map of \(train.rows + test.rows) points")
        let all = train.appendingRows(of: test)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = LayerMap.embed(all)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Report inputs from `modelOutput`, as the report stage loads them.
    func reportInputs() throws -> (ReportRun.Configuration, ReportInputs) {
        var configuration = ReportRun.Configuration()
        configuration.output = modelOutput
        configuration.data = data
        return (configuration, try ReportRun.inputs(configuration, dataset: try data.load()))
    }

    /// Loading an image folder of `loadCount` 32x32 colour PNGs (the embedded digits,
    /// resized and coloured, each with its own hues): list, decode on every core, pack.
    /// The first load reads the files from disk; the median is over the later ones,
    /// from the page cache, as a second run over the same data would.
    func loadImages() throws -> [String: Any] {
        try withScratch("load") { scratch in
            let digits = try Dataset.load(data: nil)
            let size = ImageSize(rows: 32, columns: 32)
            let all = ImageSet(count: digits.train.count + digits.test.count, rows: digits.rows, columns: digits.columns,
                               pixels: digits.train.images.pixels + digits.test.images.pixels).resized(to: size)
            let labels = digits.train.labels + digits.test.labels
            let indices = (0..<loadCount).map { $0 % all.count }
            let pixels = indices.flatMap { all.image($0) }
            let images = ImageSet(count: loadCount, rows: 32, columns: 32, pixels: pixels)
            let testCount = loadCount / 6
            func split(_ range: Range<Int>) -> Split {
                Split(images: ImageSet(count: range.count, rows: 32, columns: 32,
                                       pixels: Array(images.pixels[(range.lowerBound * 1024)..<(range.upperBound * 1024)])),
                      labels: range.map { labels[indices[$0]] })
            }
            let dataset = Dataset(name: "bench", source: .folder(scratch), train: split(testCount..<loadCount), test: split(0..<testCount),
                                  classNames: digits.classNames)
            progress.line("bench: writing \(loadCount) 32x32 colour PNGs to \(scratch)")
            let folder = scratch + "/images"
            try ColourData.writeImageFolder(dataset, to: folder, seed: 1)
            var seconds: [Double] = []
            for run in 0...runs {
                progress.line("bench: loading the image folder, run \(run + 1) of \(runs + 1)")
                let start = Date()
                let loaded = try DataSelection(folder: folder).load()
                precondition(loaded.train.count + loaded.test.count == loadCount && loaded.channels == 3)
                if run > 0 { seconds.append(Date().timeIntervalSince(start)) }
            }
            let median = Self.median(seconds)
            return ["load_images_s": Self.round3(median), "load_images_per_s": Self.round1(Double(loadCount) / median),
                    "load_images_s_runs": seconds.map(Self.round3), "load_images": "\(loadCount) PNGs of 32x32 RGB"]
        }
    }

    /// A scratch folder removed when `body` returns.
    func withScratch<T>(_ name: String, _ body: (String) throws -> T) throws -> T {
        let scratch = NSTemporaryDirectory() + "cnn-inte-bench-\(name)-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        return try body(scratch)
    }

    func render() throws -> [String: Any] {
        let (_, inputs) = try reportInputs()
        let sample = Array(0..<min(inputs.saved.records.count, 100 * runs))
        progress.line("bench: in-process render of \(sample.count) instance diagrams of \(inputs.dataset.name) to PNG (96 dpi), PDF and SVG")
        let figures = try withScratch("render") { try ReportBench.renderTimes(inputs, instances: sample, dpi: 96, scratch: $0) }
        return ["render_png_ms": Self.round3(Self.median(figures.pngMilliseconds)),
                "render_pdf_ms": Self.round3(Self.median(figures.pdfMilliseconds)),
                "render_svg_ms": Self.round3(Self.median(figures.svgMilliseconds)),
                "render_layout_ms": Self.round3(Self.median(figures.layoutMilliseconds)), "render_diagrams": sample.count]
    }

    func renderMemory() throws -> [String: Any] {
        let (_, inputs) = try reportInputs()
        progress.line("bench: resident memory over \(renderCount) diagrams (PNG, PDF, SVG, booklet page) in one process")
        let (before, after) = try withScratch("memory") {
            try ReportBench.memoryGrowth(inputs, count: renderCount, scratch: $0, resident: Memory.residentMiB)
        }
        return ["render_memory_diagrams": renderCount, "render_rss_before_mib": Self.round1(before),
                "render_rss_after_mib": Self.round1(after), "render_rss_growth_mib": Self.round1(after - before)]
    }

    /// The whole report stage into a scratch copy of the interpretation.
    func report() throws -> [String: Any] {
        let (source, inputs) = try reportInputs()
        return try withScratch("report") { scratch in
            try FileManager.default.copyItem(atPath: source.interpretationFolder,
                                             toPath: (scratch as NSString).appendingPathComponent("interpretation"))
            var configuration = source
            configuration.output = scratch
            var times: [Double] = []
            for run in 0..<max(1, min(runs, 3)) {
                progress.line("bench: full report of \(inputs.dataset.name), run \(run + 1) (\(configuration.resolvedJobs) processes)")
                let start = DispatchTime.now().uptimeNanoseconds
                try ReportRun.run(configuration, dataset: inputs.dataset, into: scratch + "/report-\(run)", pdf: scratch + "/pdf-\(run)")
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return ["report_s": Self.round3(Self.median(times)), "report_s_runs": times.map(Self.round3),
                    "report_instances": inputs.dataset.test.count, "report_jobs": configuration.resolvedJobs]
        }
    }

    static func gemmInfo(_ info: GEMM.Info) -> [String: Any] {
        ["library": info.library, "isa": info.isa, "threads": info.threads]
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
    static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
}
