import Foundation
import XCTest

/// `cnn-inte inspect` on an ONNX file made by the onnx package, and on broken ones.
final class InspectCommandTests: XCTestCase {
    /// Tests/ONNXTests/Fixtures, found from this file's place in the package.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ONNXTests/Fixtures").path

    /// The instruction set oneDNN uses here, as `inspect --json` reports it.
    static var isa: String {
        let json = try? CLIProcess.run(["inspect", fixtures + "/tiny-cnn.onnx", "--json"])
        return ((try? JSONSerialization.jsonObject(with: Data((json?.stdout ?? "").utf8))) as? [String: Any])?["isa"] as? String ?? "?"
    }

    func testInspectPrintsWhatTheModelDeclares() throws {
        let model = Self.fixtures + "/tiny-cnn.onnx"
        let result = try CLIProcess.run(["inspect", model])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, """
            model:        \(model)
            format:       ONNX IR 8, opset 13, made by cnn-inte fixtures
            input:        image  float [N, 1, 6, 6]
            output:       logits  float [N, 3]
            parameters:   77 in 4 initializers
            nodes:        5 (Conv 1, Flatten 1, Gemm 1, MaxPool 1, Relu 1)
            runs here:    yes, on cnn-inte's engine; each value below gives one row of features per image
            kernels:      oneDNN's fast ones for every node (\(Self.isa))
            values, in the order the nodes make them, with their shape per image:
              conv    Conv     (folded into the node reading it: not kept)
              relu    Relu     [2, 6, 6]
              pool    MaxPool  [2, 3, 3]
              flat    Flatten  [18]
              logits  Gemm     [3]

            """)
        let json = try CLIProcess.run(["inspect", Self.fixtures + "/tiny-cnn-external.onnx", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["parameters"] as? Int, 77)
    }

    func testBrokenModelsAreOneLineErrors() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-inspect-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/tiny-cnn.onnx"))
        try good.prefix(300).write(to: URL(fileURLWithPath: folder + "/cut.onnx"))
        for (path, message) in [(folder + "/cut.onnx", "not an ONNX model: the protobuf does not decode"),
                                (folder + "/none.onnx", "no such file")] {
            let result = try CLIProcess.run(["inspect", path])
            XCTAssertEqual(result.status, 1)
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("cnn-inte: error: \(path): \(message)"), result.stderr)
        }
    }
}
