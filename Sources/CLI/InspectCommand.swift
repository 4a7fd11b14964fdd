import ArgumentParser
import Foundation
import ONNX

/// `cnn-inte inspect MODEL.onnx`: what an ONNX model declares, before explaining it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an ONNX model's inputs, outputs, parameters and nodes, and whether cnn-inte runs it (exit 1 if not).")

    @Argument(help: ArgumentHelp("The model (.onnx); weights in side files are read from its folder.", valueName: "MODEL.onnx"))
    var model: String

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    /// Prints the summary; exits 1 when cnn-inte cannot run the model (the summary says why).
    func run() throws {
        let summary = ONNXSummary(try ONNXModel.load(path: model))
        try summary.print(json: json)
        if summary.notRunnable != nil { throw ExitCode(1) }
    }
}

extension ONNXSummary: PrintableSummary {}
