import Datasets
import Foundation
import Interpretation
import Numerics

/// The report stage as one call: every test instance drawn (PNG, SVG, PDF, DOT, text),
/// the cluster tree, the HTML report and the PDF booklets, from the saved interpretation
/// in `<output>/interpretation`, into `<output>/report` and `<output>/pdf`. Everything is
/// drawn into staging folders renamed into place at the end, so a failed run leaves the
/// previous report as it was.
///
/// Graphviz is not thread-safe, so the diagrams are shared out over worker processes
/// (this executable again, run with `workerArguments`), each given its part of the job as
/// a `WorkerJob` file: the same typed configuration, never a rebuilt command line.
public enum ReportRun {
    public struct Configuration: Codable, Equatable, Sendable {
        /// The folder holding `interpretation/`; the report goes beside it.
        public var output = "Output"
        /// The data the interpretation was made on (its images are drawn).
        public var data = DataSelection()
        /// Resolution of the PNG diagrams.
        public var dpi = 96.0
        public var bookletsBy = BookletGrouping.inte
        /// Processes drawing diagrams; nil = the number of cores.
        public var jobs: Int?
        /// A folder of templates replacing the built-in ones.
        public var templates: String?

        public init() {}

        public func validate() throws {
            if !(dpi >= 10 && dpi <= 1200) { throw UsageError("--dpi must be between 10 and 1200 (got \(dpi))") }
            if let jobs, jobs < 1 { throw UsageError("--jobs must be at least 1 (got \(jobs))") }
        }

        public var resolvedJobs: Int { jobs ?? max(1, ProcessInfo.processInfo.activeProcessorCount) }
        public var interpretationFolder: String { (output as NSString).appendingPathComponent("interpretation") }
        public var reportFolder: String { (output as NSString).appendingPathComponent("report") }
        public var pdfFolder: String { (output as NSString).appendingPathComponent("pdf") }
    }

    /// One worker's share: the run's configuration and where to draw.
    public struct WorkerJob: Codable, Equatable, Sendable {
        public var configuration: Configuration
        public var shard: Int
        public var shards: Int
        /// The parent's staging folders.
        public var reportFolder: String
        public var pdfFolder: String
        /// Whether the worker prints its progress on stderr.
        public var progress: Bool
    }

    /// The command line that runs a worker on `jobFile`; the CLI's `report` command
    /// answers it by calling `runWorker(jobFile:)`.
    public static func workerArguments(jobFile: String) -> [String] { ["report", "--worker-job", jobFile] }

    /// The saved interpretation and the data, checked against each other.
    public static func inputs(_ configuration: Configuration, dataset: Dataset) throws -> ReportInputs {
        let saved = try SavedInterpretation.load(folder: configuration.interpretationFolder)
        return try ReportInputs(saved: saved, dataset: dataset, interpretationFolder: configuration.interpretationFolder)
    }

    /// Draws the whole report; returns the one-line summary `report` prints.
    /// `executable` is the program the workers run (this one by default).
    @discardableResult
    public static func run(_ configuration: Configuration, dataset: Dataset, progress: ProgressSink = .silent,
                           workerProgress: Bool = false,
                           executable: String = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path) throws -> String {
        try configuration.validate()
        let started = DispatchTime.now().uptimeNanoseconds
        let inputs = try inputs(configuration, dataset: dataset)
        let templates = try HTMLTemplates(folder: configuration.templates)
        let report = try StagedFolder(configuration.reportFolder)
        let pdf: StagedFolder
        do { pdf = try StagedFolder(configuration.pdfFolder) } catch { report.discard(); throw error }
        do {
            let jobs = min(configuration.resolvedJobs, inputs.classNames.count)
            let builder = ReportBuilder(inputs: inputs, dpi: configuration.dpi, grouping: configuration.bookletsBy)
            progress.line("report: \(inputs.saved.records.count.counted("test instance")), \(jobs.counted("process", plural: "processes")), PNG at \(Int(configuration.dpi)) dpi, SVG, PDF, \(inputs.classNames.count.counted("booklet"))")
            try builder.prepare(reportFolder: report.path)
            var workers: [(Int, Process)] = []
            for w in 1..<max(1, jobs) {
                let job = WorkerJob(configuration: configuration, shard: w, shards: jobs, reportFolder: report.path,
                                    pdfFolder: pdf.path, progress: workerProgress)
                workers.append((w, try spawn(job, executable: executable)))
            }
            var failure: Error?
            do {
                let pages = builder.html(reportFolder: report.path, templates: templates, generator: Release.version)
                try builder.shard(0, of: jobs).run(inputs, reportFolder: report.path, pdfFolder: pdf.path, pages: pages) {
                    progress.line(jobs == 1 ? "report: \($0)" : "report: worker 1/\(jobs): \($0)")
                }
            } catch { failure = error }
            for (w, process) in workers {
                if failure != nil { process.terminate() }
                process.waitUntilExit()
                if failure == nil, process.terminationStatus != 0 {
                    let message = try? String(contentsOfFile: errorFile(reportFolder: report.path, shard: w), encoding: .utf8)
                    failure = message.map { ReportError.workerFailed(message: $0) }
                        ?? ReportError.worker(shard: w, status: process.terminationStatus)
                }
            }
            if let failure { throw failure }
            for (w, _) in workers { try? FileManager.default.removeItem(atPath: jobFile(reportFolder: report.path, shard: w)) }
            try builder.finish(reportFolder: report.path, templates: templates, generator: Release.version) {
                progress.line("report: \($0)")
            }
            try report.commit()
            try pdf.commit()
        } catch {
            report.discard()
            pdf.discard()
            throw error
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return String(format: "report: %@ (booklets in %@), %@ in %.1f s",
                      (configuration.reportFolder as NSString).appendingPathComponent("index.html"), configuration.pdfFolder,
                      inputs.saved.records.count.counted("diagram"), seconds)
    }

    /// A worker's whole life: draws its shard of the job in `jobFile`. A failure is left
    /// as one line in the error file the parent reads, so the user sees it once.
    public static func runWorker(jobFile: String) -> Int32 {
        guard let data = FileManager.default.contents(atPath: jobFile),
              let job = try? JSONDecoder().decode(WorkerJob.self, from: data),
              job.shards >= 1, (1..<job.shards).contains(job.shard) else {
            FileHandle.standardError.write(Data("cnn-inte: error: \(jobFile): not a report worker job\n".utf8))
            return 64
        }
        do {
            let dataset = try job.configuration.data.load()
            let inputs = try inputs(job.configuration, dataset: dataset)
            let builder = ReportBuilder(inputs: inputs, dpi: job.configuration.dpi, grouping: job.configuration.bookletsBy)
            let pages = builder.html(reportFolder: job.reportFolder, templates: try HTMLTemplates(folder: job.configuration.templates),
                                     generator: Release.version)
            try builder.shard(job.shard, of: job.shards).run(inputs, reportFolder: job.reportFolder, pdfFolder: job.pdfFolder,
                                                             pages: pages) { text in
                if job.progress {
                    FileHandle.standardError.write(Data("report: worker \(job.shard + 1)/\(job.shards): \(text)\n".utf8))
                }
            }
            return 0
        } catch {
            try? "\(error)".replacingOccurrences(of: "\n", with: " ")
                .write(toFile: errorFile(reportFolder: job.reportFolder, shard: job.shard), atomically: true, encoding: .utf8)
            return 1
        }
    }

    static func jobFile(reportFolder: String, shard: Int) -> String {
        (reportFolder as NSString).appendingPathComponent(".worker-\(shard).json")
    }

    static func errorFile(reportFolder: String, shard: Int) -> String {
        (reportFolder as NSString).appendingPathComponent(".worker-\(shard).error")
    }

    static func spawn(_ job: WorkerJob, executable: String) throws -> Process {
        let path = jobFile(reportFolder: job.reportFolder, shard: job.shard)
        try FileWriter.write(Array(try JSONEncoder.sorted.encode(job)), to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = workerArguments(jobFile: path)
        do { try process.run() } catch {
            throw ReportError.write(path: executable, problem: "cannot start a report worker (\(error.localizedDescription))")
        }
        return process
    }
}

extension BookletGrouping: Codable {}
