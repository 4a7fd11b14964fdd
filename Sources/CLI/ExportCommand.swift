import ArgumentParser
import Foundation
import Network
import Numerics
import ONNX

/// `cnn-inte export --onnx FILE`: the network cnn-inte trained, as ONNX.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the trained network as an ONNX model (for onnxruntime, Netron, other explainers).")

    @Option(name: .customLong("onnx"), help: ArgumentHelp("The .onnx file to write (must not exist).", valueName: "FILE"))
    var onnx: String

    @Option(help: ArgumentHelp("Folder holding model/ from 'cnn-inte train' or 'run'.", valueName: "DIR")) var output = "Output"

    func validate() throws {
        if FileManager.default.fileExists(atPath: onnx) { throw ValidationError("\(onnx) exists; cnn-inte will not replace it (remove it or choose another name)") }
    }

    func run() throws {
        let trained = try TrainedModel.load(folder: (output as NSString).appendingPathComponent(ModelStore.folderName))
        let bytes = try ONNXExporter.export(trained.model, producerVersion: CNNInte.configuration.version)
        let partial = onnx + ".partial-\(getpid())"
        do {
            try bytes.write(to: URL(fileURLWithPath: partial))
            guard rename(partial, onnx) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw FileError(path: onnx, problem: "cannot be written (\(FileError.reason(error)))")
        }
        print("\(trained.model.graph.nodes.count.counted("node")), \(trained.model.parameterCount) parameters written to \(onnx) (ONNX opset 13)")
    }
}
