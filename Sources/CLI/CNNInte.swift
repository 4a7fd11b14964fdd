import ArgumentParser
import Datasets
import Foundation
import Interpretation
import Numerics

/// The `cnn-inte` command: train a CNN, interpret a hidden layer with CNN-INTE, report.
public struct CNNInte: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cnn-inte",
        abstract: "Train a CNN, interpret one hidden layer with CNN-INTE, and draw every test instance's explanation.",
        discussion: """
            With no --data folder, every command uses the embedded sample of 5,000 MNIST digits.
            Results are written under ./Output; progress and errors go to stderr.
            """,
        version: CNNInte.version,
        subcommands: [
            RunCommand.self, TrainCommand.self, InterpretCommand.self, ReportCommand.self,
            ExplainCommand.self, FeaturesCommand.self, BenchCommand.self, DataCommand.self, InspectCommand.self, ExportCommand.self,
            ReferenceCommand.self, ShardCommand.self, StatusCommand.self,
        ]
    )

    public static let version = Release.version

    public init() {}

    /// Runs the command line and returns the process exit status: 0 on success, 64 for a
    /// usage error, 1 for any other failure. Messages go to stderr as one line each.
    public static func main(arguments: [String]) -> Int32 {
        let command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            return report(error)
        }
        do {
            var mutable = command
            try mutable.run()
            return 0
        } catch {
            return report(error)
        }
    }

    /// Prints `error` the way its kind calls for and returns the exit status.
    static func report(_ error: Error) -> Int32 {
        let code = exitCode(for: error).rawValue
        // Help and version requests are not failures: full text on stdout.
        if code == 0 {
            let text = fullMessage(for: error)
            if !text.isEmpty { print(text) }
            return 0
        }
        if isArgumentParserError(error) {
            FileHandle.standardError.write(Data((usageLine(fullMessage(for: error)) + "\n").utf8))
            return code
        }
        // Our own errors describe themselves in one line naming the file or option.
        let line = "\(error)".replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data("cnn-inte: error: \(line)\n".utf8))
        return isUsageError(error) ? ExitCode.validationFailure.rawValue : 1
    }

    /// ArgumentParser's message (error, usage, pointer to help) as the one line every other
    /// error gets: `cnn-inte: error: <what>; see 'cnn-inte train --help'`.
    static func usageLine(_ message: String) -> String {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard var first = lines.first else { return "cnn-inte: error: invalid usage" }
        if first.hasPrefix("Error: ") { first.removeFirst("Error: ".count) }
        if let see = lines.first(where: { $0.hasPrefix("See '") }), let end = see.dropFirst(5).firstIndex(of: "'") {
            return "cnn-inte: error: \(first); see '\(see[see.index(see.startIndex, offsetBy: 5)..<end])'"
        }
        return "cnn-inte: error: \(first)"
    }

    /// Errors that mean an option's value is wrong, not the files it names.
    static func isUsageError(_ error: Error) -> Bool {
        if error is UsageError { return true }
        if case .badFolder? = error as? DatasetError { return true }
        if case .invalidOption? = error as? InterpretationError { return true }
        return false
    }

    private static func isArgumentParserError(_ error: Error) -> Bool {
        if error is ValidationError || error is ExitCode || error is CleanExit { return true }
        return String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}
