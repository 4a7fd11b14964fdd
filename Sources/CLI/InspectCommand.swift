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
        let summary = ONNXSummary(try ONNXModel.load(path: model))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.text)
        }
    }
}
