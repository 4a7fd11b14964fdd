import ArgumentParser
import Foundation

/// `cnn-inte reference`: every command's help as one Markdown page, the source of
/// docs/CLI.md (`cnn-inte reference > docs/CLI.md`; a test fails when the page is stale).
/// Hidden: it documents the tool, it is not a way to use it.
struct ReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reference",
        abstract: "Print every command's help as Markdown (the source of docs/CLI.md).",
        shouldDisplay: false)

    func run() throws {
        print(CLIReference.markdown(), terminator: "")
    }
}

/// The command reference, built from the commands' own help texts at a fixed width, so
/// the page is the same on every terminal.
public enum CLIReference {
    static let columns = 100

    public static func markdown() -> String {
        var out = """
            # Command reference

            Every command and option of `cnn-inte`, as its `--help` prints it. Generated:
            `cnn-inte reference > docs/CLI.md` (a test fails when this page is stale).

            """
        var contents: [String] = [], sections: [String] = []
        func walk(_ command: ParsableCommand.Type, path: [String]) {
            let configuration = command.configuration
            guard configuration.shouldDisplay else { return }
            let name = (path + [command._commandName]).joined(separator: " ")
            if !path.isEmpty {
                contents.append("- [`\(name)`](#\(anchor(name))): \(configuration.abstract)")
            }
            sections.append("## \(name)\n\n```\n" + CNNInte.helpMessage(for: command, columns: columns)
                .trimmingCharacters(in: .newlines) + "\n```\n")
            for sub in configuration.subcommands { walk(sub, path: path + [command._commandName]) }
        }
        walk(CNNInte.self, path: [])
        out += "\n" + contents.joined(separator: "\n") + "\n\n" + sections.joined(separator: "\n")
        return out
    }

    /// GitHub's heading anchor: lower case, spaces to hyphens, other punctuation dropped.
    static func anchor(_ heading: String) -> String {
        String(heading.lowercased().compactMap { $0 == " " ? "-" : ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : nil })
    }
}
