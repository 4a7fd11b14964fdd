import ArgumentParser

/// Subcommands whose stage is not built yet. They exist so `--help` shows the whole
/// tool; running one says plainly that it is not available and exits 1.
struct NotYetAvailable: Error, CustomStringConvertible {
    let command: String
    let stage: String
    var description: String { "'cnn-inte \(command)' is not available in this build yet (\(stage) is still being written)" }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Draw every test instance and write the HTML report and PDF booklets.")
    func run() throws { throw NotYetAvailable(command: "report", stage: "the report stage") }
}

