import ArgumentParser
import Datasets
import Foundation
import Numerics
import Report

extension BookletGrouping: ExpressibleByArgument {}

/// Options of the report stage; shared by `report` and `run`.
struct ReportOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Resolution of the PNG diagrams, 10-1200: 96 for the web, 300 for print.") var dpi: Double = 96
    @Option(name: .customLong("booklets-by"), help: "Group the PDF booklets by CNN-INTE prediction (inte) or by true label (true).")
    var bookletsBy = BookletGrouping.inte
    @Option(parsing: .unconditional, help: "Processes drawing diagrams in parallel (Graphviz is single-threaded). Default: the number of cores.")
    var jobs: Int?
    @Option(help: ArgumentHelp("A folder of report templates to use instead of the built-in ones (copy Templates/ to start).", valueName: "DIR"))
    var templates: String?

    func validate() throws { try validating { try configuration(output: "", data: nil).validate() } }

    func configuration(output: String, data: DataSelection?) -> ReportRun.Configuration {
        var c = ReportRun.Configuration()
        c.output = output
        c.data = data
        c.dpi = dpi
        c.bookletsBy = bookletsBy
        c.jobs = jobs
        c.templates = templates
        return c
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw every test instance and write the HTML report and PDF booklets from saved artifacts.")

    @Option(name: .long, help: ArgumentHelp(
        "The folder of the data the interpretation was made on (its images are drawn). Default: the data the interpretation records.",
        valueName: "DIR"))
    var data: String?
    @OptionGroup var options: ReportOptions
    @Option(help: ArgumentHelp("Folder holding model/ and interpretation/; the report goes to <output>/report and <output>/pdf.", valueName: "DIR"))
    var output = "Output"
    @OptionGroup var outputOptions: OutputOptions
    @Option(help: ArgumentHelp("Refuse unless the interpretation was made with this model file (compared by SHA-256).", valueName: "MODEL.onnx"))
    var model: String?

    func run() throws {
        var configuration = options.configuration(output: output, data: data.map { DataSelection(folder: $0) })
        configuration.requiredModel = model
        print(try ReportRun.runAndSave(configuration, progress: outputOptions.progress, workerProgress: !outputOptions.quiet))
    }
}
