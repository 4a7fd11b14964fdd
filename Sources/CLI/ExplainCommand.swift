import ArgumentParser
import Foundation
import Interpretation
import Numerics

/// `cnn-inte explain --index N`: the interpretation path of one test instance, as text.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Print the interpretation path of one test instance.")

    @Option(parsing: .unconditional, help: "The test instance's index (0-based, in the test file's order).") var index: Int
    @OptionGroup var runOptions: RunOptions
    @Option(help: ArgumentHelp("Refuse unless the interpretation was made with this model file (compared by SHA-256).", valueName: "MODEL.onnx"))
    var model: String?

    func run() throws {
        let folder = runOptions.interpretationFolder
        let saved = try SavedInterpretation.load(folder: folder)
        if let model { try saved.checkMadeWith(model: model, folder: folder) }
        guard (0..<saved.records.count).contains(index) else {
            throw UsageError("--index \(index) is out of range: the test set has \(saved.records.count.counted("instance")) (0...\(saved.records.count - 1))")
        }
        print(saved.text(for: index))
    }
}
