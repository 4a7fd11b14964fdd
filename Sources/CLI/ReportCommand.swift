import ArgumentParser
import Datasets
import Foundation
import Interpretation
import Report

extension BookletGrouping: ExpressibleByArgument {}

/// Options of the report stage; shared by `report` and `run`.
struct ReportOptions: ParsableArguments {
    @Option(help: "Resolution of the PNG diagrams: 96 for the web, 300 for print.") var dpi: Double = 96
    @Option(name: .customLong("booklets-by"), help: "Group the PDF booklets by CNN-INTE prediction (inte) or by true label (true).")
    var bookletsBy = BookletGrouping.inte
    @Option(help: "Processes drawing diagrams in parallel (Graphviz is single-threaded). Default: the number of cores.")
    var jobs: Int?
    @Option(help: ArgumentHelp("A folder of report templates to use instead of the built-in ones (copy Templates/ to start).", valueName: "DIR"))
    var templates: String?

    func validate() throws {
        if !(dpi >= 10 && dpi <= 1200) { throw ValidationError("--dpi must be between 10 and 1200 (got \(dpi))") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1 (got \(jobs))") }
    }

    var resolvedJobs: Int { jobs ?? max(1, ProcessInfo.processInfo.activeProcessorCount) }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw every test instance and write the HTML report and PDF booklets from saved artifacts.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var options: ReportOptions
    @Option(help: ArgumentHelp("Folder holding model/ and interpretation/; the report goes to <output>/report and <output>/pdf.", valueName: "DIR"))
    var output = "Output"
    @OptionGroup var outputOptions: OutputOptions

    // A worker process draws one shard into the parent's staging folders.
    @Option(name: .customLong("worker-shard"), help: .hidden) var workerShard: String?
    @Option(name: .customLong("worker-report-folder"), help: .hidden) var workerReportFolder: String?
    @Option(name: .customLong("worker-pdf-folder"), help: .hidden) var workerPDFFolder: String?

    func run() throws {
        let progress = Progress(quiet: outputOptions.quiet)
        let dataset = try dataOptions.load()
        if let workerShard {
            let parts = workerShard.split(separator: "/").compactMap { Int($0) }
            guard parts.count == 2, parts[1] >= 1, (0..<parts[1]).contains(parts[0]), let report = workerReportFolder,
                  let pdf = workerPDFFolder else {
                throw UsageError("--worker-shard must be W/N with 0 <= W < N, with both worker folders")
            }
            do {
                let inputs = try Reporting.inputs(dataset: dataset, output: output)
                let builder = ReportBuilder(inputs: inputs, dpi: options.dpi, grouping: options.bookletsBy)
                let pages = builder.html(reportFolder: report, templates: try HTMLTemplates(folder: options.templates), generator: CNNInte.version)
                try builder.shard(parts[0], of: parts[1]).run(inputs, reportFolder: report, pdfFolder: pdf, pages: pages) {
                    progress.line("report: worker \(parts[0] + 1)/\(parts[1]): \($0)")
                }
            } catch {
                // The parent reports it, so the user sees one error line, not one per process.
                try? "\(error)".replacingOccurrences(of: "\n", with: " ")
                    .write(toFile: Reporting.workerErrorFile(report: report, shard: parts[0]), atomically: true, encoding: .utf8)
                Foundation.exit(1)
            }
            return
        }
        let summary = try Reporting.runStage(dataset: dataset, output: output, options: options, data: dataOptions,
                                             quiet: outputOptions.quiet, progress: progress)
        print(summary)
    }
}

/// The report step of `report` and `run`.
enum Reporting {
    static func inputs(dataset: Dataset, output: String) throws -> ReportInputs {
        let folder = (output as NSString).appendingPathComponent("interpretation")
        let saved = try SavedInterpretation.load(folder: folder)
        return try ReportInputs(saved: saved, dataset: dataset, interpretationFolder: folder)
    }

    /// Draws everything into staging folders, then renames them into place: a failed run
    /// leaves the previous report as it was. Returns a one-line summary.
    static func runStage(dataset: Dataset, output: String, options: ReportOptions, data: DataOptions, quiet: Bool,
                         progress: Progress) throws -> String {
        let started = DispatchTime.now().uptimeNanoseconds
        let inputs = try inputs(dataset: dataset, output: output)
        let templates = try HTMLTemplates(folder: options.templates)
        let reportFolder = (output as NSString).appendingPathComponent("report")
        let pdfFolder = (output as NSString).appendingPathComponent("pdf")
        let report = try StagedFolder(reportFolder)
        let pdf: StagedFolder
        do { pdf = try StagedFolder(pdfFolder) } catch { report.discard(); throw error }
        do {
            let jobs = min(options.resolvedJobs, inputs.classNames.count)
            let builder = ReportBuilder(inputs: inputs, dpi: options.dpi, grouping: options.bookletsBy)
            progress.line("report: \(inputs.saved.records.count) test instances, \(jobs) process\(jobs == 1 ? "" : "es"), PNG at \(Int(options.dpi)) dpi, SVG, PDF, \(inputs.classNames.count) booklets")
            try builder.prepare(reportFolder: report.path)
            var workers: [(Int, Process)] = []
            for w in 1..<max(1, jobs) {
                workers.append((w, try spawnWorker(w, of: jobs, report: report.path, pdf: pdf.path, output: output,
                                                   options: options, data: data, quiet: quiet)))
            }
            var failure: Error?
            do {
                let pages = builder.html(reportFolder: report.path, templates: templates, generator: CNNInte.version)
                try builder.shard(0, of: jobs).run(inputs, reportFolder: report.path, pdfFolder: pdf.path, pages: pages) {
                    progress.line(jobs == 1 ? "report: \($0)" : "report: worker 1/\(jobs): \($0)")
                }
            } catch { failure = error }
            for (w, process) in workers {
                if failure != nil { process.terminate() }
                process.waitUntilExit()
                if failure == nil, process.terminationStatus != 0 {
                    let message = try? String(contentsOfFile: workerErrorFile(report: report.path, shard: w), encoding: .utf8)
                    failure = message.map { ReportError.workerFailed(message: $0) }
                        ?? ReportError.worker(shard: w, status: process.terminationStatus)
                }
            }
            if let failure { throw failure }
            try builder.finish(reportFolder: report.path, templates: templates, generator: CNNInte.version) {
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
        return String(format: "report: %@ (booklets in %@), %d diagrams in %.1f s",
                      (reportFolder as NSString).appendingPathComponent("index.html"), pdfFolder, inputs.saved.records.count, seconds)
    }

    static func workerErrorFile(report: String, shard: Int) -> String {
        (report as NSString).appendingPathComponent(".worker-\(shard).error")
    }

    static func spawnWorker(_ w: Int, of n: Int, report: String, pdf: String, output: String, options: ReportOptions,
                            data: DataOptions, quiet: Bool) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var arguments = ["report", "--worker-shard", "\(w)/\(n)", "--worker-report-folder", report, "--worker-pdf-folder", pdf,
                         "--output", output, "--dpi", String(options.dpi), "--booklets-by", options.bookletsBy.rawValue]
        if let templates = options.templates { arguments += ["--templates", templates] }
        if let folder = data.data { arguments += ["--data", folder] }
        if let classes = data.classes { arguments += ["--classes", classes] }
        if quiet { arguments.append("--quiet") }
        process.arguments = arguments
        do { try process.run() } catch {
            throw ReportError.write(path: process.executableURL?.path ?? "cnn-inte", problem: "cannot start a report worker (\(error.localizedDescription))")
        }
        return process
    }
}
