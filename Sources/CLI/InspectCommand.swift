import ArgumentParser
import Foundation
import ONNX

/// `cnn-inte inspect MODEL.onnx`: what an ONNX model declares, before explaining it.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an ONNX model's inputs, outputs, parameters and nodes.")

    @Argument(help: ArgumentHelp("The model (.onnx); weights in side files are read from its folder.", valueName: "MODEL.onnx"))
    var model: String

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        try ONNXSummary(try ONNXModel.load(path: model)).print(json: json)
    }
}

extension ONNXSummary: PrintableSummary {}
