import Datasets
import Foundation
import Interpretation
import Numerics
import OutputFolders

/// The report stage as one call: every test instance drawn (PNG, SVG, PDF, DOT, text),
/// the cluster tree, the HTML report and the PDF booklets, from a saved interpretation,
/// into a report folder and a booklet folder (the caller's staging folders: see
/// `OutputFolder`).
///
/// The report says what it was drawn from (the SHA-256 of the interpretation file and of
/// the model's weights, on every page and in its manifest) and refuses an interpretation
/// made with another model than the one given, so a report never mixes two runs.
///
/// Graphviz is not thread-safe, so the diagrams are shared out over worker processes
/// (`ReportWorker`: this executable again), each given its part of the job as a
/// `ReportWorker.Job` file: the same typed configuration, never a rebuilt command line.
public enum ReportRun {
    public struct Configuration: Codable, Equatable, Sendable {
        /// The folder holding `interpretation/` (and `model/`); the report goes beside them.
        public var output = "Output"
        /// The data the interpretation was made on (its images are drawn); nil: the data
        /// the interpretation recorded.
        public var data: DataSelection?
        /// The interpretation to draw; nil: `<output>/interpretation`.
        public var interpretation: String?
        /// The model's weights file the interpretation must have been made with; nil:
        /// `<output>/model/model.safetensors` when it exists.
        public var modelWeights: String?
        /// `report --model`: the model file the interpretation must have been made with,
        /// checked strictly (unlike `modelWeights`, a missing file or record is an error).
        public var requiredModel: String?
        /// Resolution of the PNG diagrams.
        public var dpi = 96.0
        public var bookletsBy = BookletGrouping.inte
        /// Processes drawing diagrams; nil = the number of cores.
        public var jobs: Int?
        /// A folder of templates replacing the built-in ones.
        public var templates: String?

        public init() {}

        public static let dpiRange = 10.0...1200.0

        public func validate() throws {
            if !Self.dpiRange.contains(dpi) { throw UsageError("--dpi must be between 10 and 1200 (got \(dpi))") }
            if let jobs, jobs < 1 { throw UsageError("--jobs must be at least 1 (got \(jobs))") }
            if let templates {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: templates, isDirectory: &isDir), isDir.boolValue else {
                    throw UsageError("--templates: \(templates) is not a folder (copy Templates/ to start one)")
                }
            }
        }

        public var resolvedJobs: Int { jobs ?? max(1, ProcessInfo.processInfo.activeProcessorCount) }
        public var interpretationFolder: String {
            interpretation ?? (output as NSString).appendingPathComponent("interpretation")
        }
        public var modelWeightsFile: String { modelWeights ?? (output as NSString).appendingPathComponent("model/model.safetensors") }
    }

    /// The saved interpretation, and the data it was made on (`dataset`, or as the
    /// configuration or the interpretation says), checked against each other and against
    /// the model.
    public static func inputs(_ configuration: Configuration, dataset: Dataset? = nil) throws -> ReportInputs {
        let folder = configuration.interpretationFolder
        let saved = try SavedInterpretation.load(folder: folder)
        if let required = configuration.requiredModel {
            try saved.checkMadeWith(model: required, folder: folder)
        } else {
            try checkModel(saved, configuration: configuration)
        }
        let data: Dataset
        if let dataset {
            data = dataset
        } else {
            guard let selection = configuration.data ?? saved.results.configuration.dataSource else {
                throw UsageError("\((folder as NSString).appendingPathComponent(Artifacts.resultsName)) does not say which data it was made on (written by 0.1.0); pass --data")
            }
            data = try selection.load()
        }
        return try ReportInputs(saved: saved, dataset: data, interpretationFolder: folder)
    }

    /// Refuses an interpretation made with another model than the weights file given.
    static func checkModel(_ saved: SavedInterpretation, configuration: Configuration) throws {
        // An imported model's own file is compared; a trained one's is the weights the report
        // is given (in a run, still in its staging folder). Results written before
        // provenance was recorded name an imported model "<file> (ONNX; input ...)".
        let recorded = saved.results.configuration
        let importedFile: String?
        if let provenance = recorded.modelProvenance {
            importedFile = provenance.kind == .imported ? provenance.file : nil
        } else {
            importedFile = recorded.model.range(of: " (ONNX; ").map { String(recorded.model[..<$0.lowerBound]) }
        }
        let weights = importedFile ?? configuration.modelWeightsFile
        guard let fingerprint = recorded.modelFingerprint,
              let bytes = FileManager.default.contents(atPath: weights) else { return }
        if SHA256.hex(bytes) != fingerprint {
            let results = (configuration.interpretationFolder as NSString).appendingPathComponent(Artifacts.resultsName)
            throw InterpretationError.mismatch(path: results, problem: "was made with another model than \(weights) (their SHA-256 differ); run 'cnn-inte interpret' again so the report does not mix two runs")
        }
    }

    /// What the report was drawn from, by SHA-256: the interpretation file and, when
    /// known, the model's weights.
    static func sources(_ configuration: Configuration, saved: SavedInterpretation) -> [String: String] {
        let file = (configuration.interpretationFolder as NSString).appendingPathComponent(InterpretationStore.fileName)
        var sources = ["interpretation": FileManager.default.contents(atPath: file).map { SHA256.hex($0) } ?? "unknown"]
        if let model = saved.results.configuration.modelFingerprint { sources["model"] = model }
        return sources
    }

    /// Draws the whole report into `reportFolder` and `pdfFolder` (made if missing);
    /// returns the one-line summary `report` prints. `dataset`, when given, is the data
    /// (already loaded); `executable` is the program the workers run (this one by default).
    @discardableResult
    public static func run(_ configuration: Configuration, dataset: Dataset? = nil, templates: HTMLTemplates? = nil,
                           into reportFolder: String, pdf pdfFolder: String,
                           progress: ProgressSink = .silent, workerProgress: Bool = false,
                           executable: String = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path) throws -> String {
        try configuration.validate()
        return try draw(configuration, inputs: try inputs(configuration, dataset: dataset),
                        templates: try templates ?? HTMLTemplates(folder: configuration.templates), into: reportFolder, pdf: pdfFolder,
                        progress: progress, workerProgress: workerProgress, executable: executable)
    }

    /// `run` once the interpretation and data are loaded and checked (`runAndSave` loads
    /// them before staging anything, and does not load them twice).
    static func draw(_ configuration: Configuration, inputs: ReportInputs, templates: HTMLTemplates,
                     into reportFolder: String, pdf pdfFolder: String, progress: ProgressSink, workerProgress: Bool,
                     executable: String = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path) throws -> String {
        let started = DispatchTime.now().uptimeNanoseconds
        for folder in [reportFolder, pdfFolder] {
            do { try Folders.make(folder) } catch {
                throw FileError(path: folder, problem: "cannot be created (\(FileError.reason(error)))")
            }
        }
        let sources = sources(configuration, saved: inputs.saved)
        try Manifest.record(sources: sources, in: reportFolder)
        let jobs = min(configuration.resolvedJobs, inputs.classNames.count)
        guard jobs == 1 || inputs.dataset.selection != nil else {
            throw UsageError("--jobs \(jobs): worker processes need data loaded from disk; use --jobs 1")
        }
        var builder = ReportBuilder(inputs: inputs, dpi: configuration.dpi, grouping: configuration.bookletsBy, sources: sources)
        progress.line("report: \(inputs.saved.records.count.counted("test instance")), \(jobs.counted("process", plural: "processes")), PNG at \(Int(configuration.dpi)) dpi, SVG, PDF, \(inputs.classNames.count.counted("booklet"))")
        if let note = try builder.prepare(reportFolder: reportFolder) { progress.line("report: \(note)") }
        var resolved = configuration
        resolved.data = inputs.dataset.selection
        resolved.interpretation = configuration.interpretationFolder
        var workers: [(Int, Process)] = []
        defer { for (_, process) in workers where process.isRunning { process.terminate() } }
        for w in 1..<max(1, jobs) {
            let job = ReportWorker.Job(configuration: resolved, shard: w, shards: jobs, reportFolder: reportFolder, pdfFolder: pdfFolder,
                                progress: workerProgress, parent: getpid())
            workers.append((w, try ReportWorker.spawn(job, executable: executable)))
        }
        var failure: Error?
        let diagrams = ReportProgress(progress, total: inputs.saved.records.count, reportFolder: reportFolder, workers: jobs - 1)
        defer { diagrams.removeCountFiles() }
        var mainDone = 0
        do {
            let pages = builder.html(reportFolder: reportFolder, templates: templates, generator: Release.version)
            try builder.shard(0, of: jobs).run(inputs, reportFolder: reportFolder, pdfFolder: pdfFolder, pages: pages) { done in
                mainDone = done
                diagrams.main(done)
            }
        } catch { failure = error }
        // The workers' counts keep the line moving until the last one is done.
        while failure == nil, workers.contains(where: { $0.1.isRunning }) {
            diagrams.main(mainDone)
            usleep(250_000)
        }
        if failure == nil { diagrams.main(mainDone) }
        diagrams.meter.finish()
        for (w, process) in workers {
            if failure != nil { process.terminate() }
            process.waitUntilExit()
            Interruption.ended(child: process.processIdentifier)
            if failure == nil, process.terminationStatus != 0 {
                let message = try? String(contentsOfFile: ReportWorker.errorFile(reportFolder: reportFolder, shard: w), encoding: .utf8)
                failure = message.map { ReportError.workerFailed(message: $0) }
                    ?? ReportError.worker(shard: w, status: process.terminationStatus)
            }
        }
        if let failure { throw failure }
        for (w, _) in workers { try? FileManager.default.removeItem(atPath: ReportWorker.jobFile(reportFolder: reportFolder, shard: w)) }
        try builder.finish(reportFolder: reportFolder, templates: templates, generator: Release.version) {
            progress.line("report: \($0)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return String(format: "report: %@ (booklets in %@), %@ in %.1f s",
                      ((configuration.output as NSString).appendingPathComponent("report") as NSString).appendingPathComponent("index.html"),
                      (configuration.output as NSString).appendingPathComponent("pdf"),
                      inputs.saved.records.count.counted("diagram"), seconds)
    }

    /// Draws the report of the interpretation in `configuration.output` into its
    /// `report` and `pdf` folders, replaced only once the new ones are complete. The
    /// options, the interpretation and the data are checked before anything is written.
    @discardableResult
    public static func runAndSave(_ configuration: Configuration, progress: ProgressSink = .silent,
                                  workerProgress: Bool = false) throws -> String {
        try configuration.validate()
        let inputs = try inputs(configuration)
        let templates = try HTMLTemplates(folder: configuration.templates)
        return try OutputFolder(writing: configuration.output).transaction(["report", "pdf"]) { staged in
            try draw(configuration, inputs: inputs, templates: templates, into: staged[0].path, pdf: staged[1].path,
                     progress: progress, workerProgress: workerProgress)
        }
    }
}

extension BookletGrouping: Codable {}
