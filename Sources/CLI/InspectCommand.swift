import ArgumentParser
import Foundation
import ONNX

/// `cnn-inte inspect MODEL.onnx`: what an ONNX model declares, before explaining it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an ONNX model's inputs, outputs, parameters and nodes, and whether cnn-inte runs it (exit 1 if not).")

    @Argument(help: ArgumentHelp("The model (.onnx); weights in side files are read from its folder.", valueName: "MODEL.onnx"))
    var model: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .long, help: "List the ONNX operators cnn-inte lowers, family by family, instead.")
    var operators = false

    func validate() throws {
        if operators == (model != nil) { throw ValidationError(operators ? "give a model or --operators, not both" : "give a model (MODEL.onnx) or --operators") }
    }

    /// Prints the summary; exits 1 when cnn-inte cannot run the model (the summary says why).
    func run() throws {
        guard let model else {
            print(ONNXImporter.supported.map { "- " + $0 }.joined(separator: "\n"))
            return
        }
        let summary = ONNXSummary(try ONNXModel.load(path: model))
        try summary.print(json: json)
        if summary.notRunnable != nil { throw ExitCode(1) }
    }
}

extension ONNXSummary: PrintableSummary {}
