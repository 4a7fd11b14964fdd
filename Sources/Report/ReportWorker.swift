import Datasets
import Foundation
import Interpretation
import Numerics
import OutputFolders

/// The report's worker processes, both ends: how `ReportRun` starts one (this executable
/// again, with `arguments(jobFile:)`) and how the executable answers (`runIfWorker`, called
/// by `main` before the command line is parsed). The worker's command line is read only by
/// the code that wrote it; the CLI knows nothing of it.
public enum ReportWorker {
    /// One worker's share: the run's configuration (with its data resolved) and where to draw.
    public struct Job: Codable, Equatable, Sendable {
        public var configuration: ReportRun.Configuration
        public var shard: Int
        public var shards: Int
        /// The parent's staging folders.
        public var reportFolder: String
        public var pdfFolder: String
        /// Whether the worker prints its progress on stderr.
        public var progress: Bool
        /// The parent's process id: a worker whose parent is gone stops.
        public var parent: Int32
    }

    /// The first argument that makes the executable a report worker.
    static let flag = "--cnn-inte-report-worker"

    /// The command line (without the program) that runs a worker on `jobFile`.
    static func arguments(jobFile: String) -> [String] { [flag, jobFile] }

    /// Runs the worker `arguments` (the command line without the program) ask for and
    /// returns its exit status; nil when they are not a worker's.
    public static func runIfWorker(_ arguments: [String]) -> Int32? {
        guard arguments.first == flag else { return nil }
        guard arguments.count == 2 else {
            FileHandle.standardError.write(Data("cnn-inte: error: \(flag) takes one job file\n".utf8))
            return 64
        }
        return run(jobFile: arguments[1])
    }

    /// A worker's whole life: draws its shard of the job in `jobFile`. A failure is left
    /// as one line in the error file the parent reads, so the user sees it once. The
    /// worker dies with its parent (Ctrl-C, SIGTERM, SIGKILL alike).
    static func run(jobFile: String) -> Int32 {
        guard let data = FileManager.default.contents(atPath: jobFile),
              let job = try? JSONDecoder().decode(Job.self, from: data),
              job.shards >= 1, (1..<job.shards).contains(job.shard) else {
            FileHandle.standardError.write(Data("cnn-inte: error: \(jobFile): not a report worker job\n".utf8))
            return 64
        }
        ParentWatch.dieWithParent(job.parent)
        do {
            let inputs = try ReportRun.inputs(job.configuration)
            let builder = ReportBuilder(inputs: inputs, dpi: job.configuration.dpi, grouping: job.configuration.bookletsBy,
                                        sources: ReportRun.sources(job.configuration, saved: inputs.saved))
            let pages = builder.html(reportFolder: job.reportFolder, templates: try HTMLTemplates(folder: job.configuration.templates),
                                     generator: Release.version)
            // The count of diagrams drawn, for the main process's progress line.
            var drawn = 0
            try builder.shard(job.shard, of: job.shards).run(inputs, reportFolder: job.reportFolder, pdfFolder: job.pdfFolder,
                                                             pages: pages) { done in
                drawn = done
                if job.progress, done % ReportProgress.every == 0 { ReportProgress.write(done, reportFolder: job.reportFolder, shard: job.shard) }
            }
            if job.progress { ReportProgress.write(drawn, reportFolder: job.reportFolder, shard: job.shard) }
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

    static func spawn(_ job: Job, executable: String) throws -> Process {
        let path = jobFile(reportFolder: job.reportFolder, shard: job.shard)
        try FileWriter.write(Array(try JSONEncoder.sorted.encode(job)), to: path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments(jobFile: path)
        // Recorded as it starts: Ctrl-C or SIGTERM stops it before the staging folders go.
        do { try Interruption.startChild { try process.run(); return process.processIdentifier } } catch {
            throw ReportError.write(path: executable, problem: "cannot start a report worker (\(error.localizedDescription))")
        }
        return process
    }
}
