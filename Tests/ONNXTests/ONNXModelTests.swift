import Foundation
import XCTest
@testable import ONNX

/// Reading ONNX files made by the onnx package (Fixtures/make_fixtures.py).
final class ONNXModelTests: XCTestCase {
    func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)).path
    }

    func testReadsGraphAndInitializers() throws {
        let model = try ONNXModel.load(path: try fixture("tiny-cnn.onnx"))
        XCTAssertEqual(model.opset, 13)
        XCTAssertEqual(model.graph.node.map(\.opType), ["Conv", "Relu", "MaxPool", "Flatten", "Gemm"])
        XCTAssertEqual(model.initializerNames, ["conv.weight", "conv.bias", "fc.weight", "fc.bias"])
        XCTAssertEqual(model.initializers["conv.weight"]?.dims, [2, 1, 3, 3])
        XCTAssertEqual(model.initializers["conv.bias"]?.floats, [0.1, -0.2])
        XCTAssertEqual(model.initializers["fc.bias"]?.floats, [0, 0.5, -0.5])
        XCTAssertEqual(model.parameterCount, 18 + 2 + 54 + 3)
        let summary = ONNXSummary(model)
        XCTAssertEqual(summary.inputs, [.init(name: "image", type: "float", shape: ["N", "1", "6", "6"])])
        XCTAssertEqual(summary.outputs, [.init(name: "logits", type: "float", shape: ["N", "3"])])
        XCTAssertTrue(summary.text.contains("parameters:   77 in 4 initializers"), summary.text)
        XCTAssertTrue(summary.text.contains("nodes:        5 (Conv 1, Flatten 1, Gemm 1, MaxPool 1, Relu 1)"), summary.text)
    }

    func testExternalDataReadsTheSameWeights() throws {
        let inline = try ONNXModel.load(path: try fixture("tiny-cnn.onnx"))
        let external = try ONNXModel.load(path: try fixture("tiny-cnn-external.onnx"))
        XCTAssertEqual(external.proto.graph.initializer.first?.dataLocation, .external)
        for name in inline.initializerNames { XCTAssertEqual(external.initializers[name], inline.initializers[name], name) }
    }

    func testBrokenFilesAreOneLineErrors() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-onnx-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = try Data(contentsOf: URL(fileURLWithPath: try fixture("tiny-cnn.onnx")))
        func message(_ bytes: Data, _ name: String = "m.onnx") -> String {
            let path = folder + "/" + name
            FileManager.default.createFile(atPath: path, contents: bytes)
            do { _ = try ONNXModel.load(path: path); return "loaded" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(Data()), folder + "/m.onnx: empty file, not an ONNX model")
        XCTAssertTrue(message(good.prefix(good.count / 2)).hasPrefix(folder + "/m.onnx: not an ONNX model: the protobuf does not decode"),
                      message(good.prefix(good.count / 2)))
        XCTAssertTrue(message(Data("hello, this is text".utf8)).hasPrefix(folder + "/m.onnx: not an ONNX model"))
        XCTAssertEqual((try? ONNXModel.load(path: folder + "/none.onnx")).map { _ in "" }, nil)
        // External data: missing file, too short, and a location outside the folder.
        let external = try Data(contentsOf: URL(fileURLWithPath: try fixture("tiny-cnn-external.onnx")))
        XCTAssertTrue(message(external, "e.onnx").contains("external data file \(folder)/tiny-cnn-external.weights cannot be read"),
                      message(external, "e.onnx"))
        FileManager.default.createFile(atPath: folder + "/tiny-cnn-external.weights", contents: Data(count: 40))
        XCTAssertTrue(message(external, "e.onnx").contains("fewer than offset"), message(external, "e.onnx"))
        var escaping = try Onnx_ModelProto(serializedBytes: external)
        escaping.graph.initializer[0].externalData[0].value = "../../etc/passwd"
        let escaped = message(try escaping.serializedData(), "x.onnx")
        XCTAssertTrue(escaped.contains("is outside the model's folder"), escaped)
    }
}
