import Datasets
import Foundation
import Network
import XCTest
@testable import ONNX

/// Imported graphs run on cnn-inte's engine and give onnxruntime's outputs
/// (Fixtures/*.outputs.json, made by make_fixtures.py with onnxruntime 1.32.0).

/// The fixtures and how the tests compare with them.
enum Fixture {
    static func fixture(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil)).path
    }

    /// onnxruntime's values of each output, one row per image.
    static func reference(_ name: String) throws -> [String: [[Float]]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: try Fixture.fixture(name + ".outputs.json")))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let outputs = try XCTUnwrap(object["outputs"] as? [String: [[Double]]])
        return outputs.mapValues { $0.map { $0.map(Float.init) } }
    }

    /// The fixtures' images: byte k of image n (C, H, W order) is (97 n + 7 k) % 256,
    /// stored here height x width x channels.
    static func images(count: Int, channels: Int, side: Int) -> ImageSet {
        var pixels = [UInt8](repeating: 0, count: count * channels * side * side)
        for n in 0..<count {
            for c in 0..<channels {
                for p in 0..<(side * side) {
                    let k = c * side * side + p
                    pixels[(n * side * side + p) * channels + c] = UInt8((97 * n + 7 * k) % 256)
                }
            }
        }
        return ImageSet(count: count, rows: side, columns: side, channels: channels, pixels: pixels)
    }

    /// What loading fixture `name` (tiny-cnn.onnx) changed by `change` says: "loaded", or
    /// its error without the file's path, which must be one line.
    static func loadError(of name: String = "tiny-cnn.onnx", _ change: (inout Onnx_ModelProto) -> Void, file: StaticString = #filePath,
                          line: UInt = #line) throws -> String {
        var proto = try ONNXModel.load(path: try fixture(name)).proto
        change(&proto)
        let path = NSTemporaryDirectory() + "cnn-inte-changed-\(UUID().uuidString).onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try proto.serializedData().write(to: URL(fileURLWithPath: path))
        do { _ = try ImportedModel.load(path: path); return "loaded" } catch {
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
            return text.replacingOccurrences(of: path + ": ", with: "")
        }
    }

    static func assertClose(_ ours: [Float], _ theirs: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(ours.count, theirs.count, what, file: file, line: line)
        let scale = max(theirs.map(abs).max() ?? 1, 1)
        let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-4 * scale, "\(what): max |difference| \(worst)", file: file, line: line)
    }

}

final class ONNXImporterTests: XCTestCase {
    func testTinyCNNMatchesOnnxruntime() throws {
        let model = try ONNXImporter.model(try ONNXModel.load(path: try Fixture.fixture("tiny-cnn.onnx")))
        XCTAssertEqual(model.graph.names, ["relu", "pool", "flat", "logits"])  // the ReLU folded into the convolution
        let logits = try model.features(layer: "logits", images: Fixture.images(count: 2, channels: 1, side: 6))
        let expected = try Fixture.reference("tiny-cnn")["logits"]!
        Fixture.assertClose(logits.values, expected.flatMap { $0 }, "logits")
    }

    func testEveryLoweredOperatorMatchesOnnxruntime() throws {
        let model = try ONNXImporter.model(try ONNXModel.load(path: try Fixture.fixture("tiny-resnet.onnx")))
        let input = Fixture.images(count: 3, channels: 3, side: 8)
        let expected = try Fixture.reference("tiny-resnet")
        Fixture.assertClose(try model.features(layer: "logits", images: input).values, expected["logits"]!.flatMap { $0 }, "logits")
        Fixture.assertClose(try model.probabilities(images: input).values, expected["probabilities"]!.flatMap { $0 }, "probabilities")
        // An inner feature map, flattened channels first as ONNX lays it out.
        Fixture.assertClose(try model.features(layer: "cat", images: input).values, expected["cat"]!.flatMap { $0 }, "cat")
        // Folded: each batch norm and ReLU into its convolution, the MatMul's bias Add and
        // Tanh into one dense layer; Flatten after global pooling is no node.
        XCTAssertEqual(model.graph.names, ["r0", "b1", "sum", "clip", "c2", "avg", "max", "sig", "cat", "gap", "tanh", "logits", "probabilities"])
    }

    /// Graphs the importer must refuse, each with one line naming the file and the node.
    func testBrokenGraphsAreRefused() throws {
        func message(_ change: (inout Onnx_ModelProto) -> Void) throws -> String { try Fixture.loadError(change) }
        // A cycle: the first node reads what the last one makes.
        XCTAssertEqual(try message { $0.graph.node[0].input[0] = "logits" },
                       "node 'conv' (Conv, opset 13): input 'logits' is made by no earlier node")
        XCTAssertEqual(try message { $0.graph.initializer.removeAll { $0.name == "fc.weight" } },
                       "node 'fc' (Gemm, opset 13): weights 'fc.weight' must be a float initializer")
        XCTAssertTrue(try message { $0.graph.input[0].type.tensorType.shape.dim.removeLast() }
            .hasPrefix("input 'image' has shape [N, 1, 6]; cnn-inte needs [N, C, H, W]"))
        XCTAssertTrue(try message { $0.graph.input[0].type.tensorType.shape.dim[2].dimValue = 1_000_000 }
            .hasPrefix("input 'image' has shape [N, 1, 1000000, 6]"))
        XCTAssertTrue(try message { $0.graph.input[0].type.tensorType.shape.dim[3].dimParam = "W" }
            .hasPrefix("input 'image' has shape [N, 1, 6, W]"))
    }

    func testUnsupportedOperatorsAreNamed() throws {
        var proto = try ONNXModel.load(path: try Fixture.fixture("tiny-cnn.onnx")).proto
        proto.graph.node[1].opType = "Selu"
        let path = NSTemporaryDirectory() + "cnn-inte-selu-\(UUID().uuidString).onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try proto.serializedData().write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ONNXImporter.model(try ONNXModel.load(path: path))) { error in
            XCTAssertTrue("\(error)".hasPrefix(path + ": node 'relu' (Selu, opset 13): operator Selu is not supported yet (supported: Conv,"), "\(error)")
        }
    }
}

extension ONNXImporterTests {
    /// `blockers` lists every operator that stops a model, once per operator with a count,
    /// and not the nodes that only read a blocked value; `inspect` prints them all.
    func testEveryBlockerIsListed() throws {
        var proto = try ONNXModel.load(path: try Fixture.fixture("tiny-cnn.onnx")).proto
        proto.graph.node[1].opType = "Selu"  // relu; the pool, flatten and fc after it read its value
        for (name, op) in [("hm", "Hardmax"), ("selu2", "Selu")] {
            var node = Onnx_NodeProto()
            (node.name, node.opType, node.input, node.output) = (name, op, ["conv"], [name])
            proto.graph.node.append(node)
        }
        let path = NSTemporaryDirectory() + "cnn-inte-blockers-\(UUID().uuidString).onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try proto.serializedData().write(to: URL(fileURLWithPath: path))
        let model = try ONNXModel.load(path: path)
        let blockers = ONNXImporter.blockers(model)
        XCTAssertEqual(blockers.map(\.op), ["Selu", "Hardmax"])
        XCTAssertEqual(blockers.map(\.count), [2, 1])
        XCTAssertEqual(blockers.map(\.firstNode), ["relu", "hm"])
        XCTAssertTrue(blockers.last?.problem.hasPrefix("node 'hm' (Hardmax, opset 13): operator Hardmax is not supported yet") == true, "\(blockers)")
        let text = ONNXSummary(model).text
        XCTAssertTrue(text.contains("runs here:    no: 3 nodes of 2 operators stop it (and what reads them):\n"
                                    + "  Selu x2, first node 'relu' (Selu, opset 13): operator Selu is not supported yet\n"
                                    + "  Hardmax x1, first node 'hm' (Hardmax, opset 13): operator Hardmax is not supported yet\n"), text)
        // A model that lowers has none.
        XCTAssertEqual(ONNXImporter.blockers(try ONNXModel.load(path: try Fixture.fixture("tiny-resnet.onnx"))), [])
    }
}

/// The new operators' bad forms: one line naming the file and the node, never a crash.
final class OperatorRefusalTests: XCTestCase {
    func message(_ change: (inout Onnx_ModelProto) -> Void) throws -> String { try Fixture.loadError(change) }

    static func integers(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        (t.name, t.dims, t.dataType, t.int64Data) = (name, [Int64(values.count)], 7, values)
        return t
    }

    /// The ReLU (node 1, reading the convolution's [N, 2, 4, 4]) replaced by `op` on `inputs`.
    func replacingRelu(_ op: String, _ inputs: [String], attributes: [Onnx_AttributeProto] = [], initializers: [Onnx_TensorProto] = []) throws -> String {
        try message { proto in
            proto.graph.node[1].opType = op
            proto.graph.node[1].input = inputs
            proto.graph.node[1].attribute = attributes
            proto.graph.initializer += initializers
        }
    }

    func testBadResizesSplitsAndBroadcastsAreOneLine() throws {
        XCTAssertEqual(try replacingRelu("Resize", ["conv", "", "", "sizes"], initializers: [Self.integers("sizes", [1, 2, 0, 4])]),
                       "node 'relu' (Resize, opset 13): sizes [0, 4] are not 1-65536 pixels")
        XCTAssertEqual(try replacingRelu("Resize", ["conv", "", "", "sizes"], initializers: [Self.integers("sizes", [1, 2, 100_000, 100_000])]),
                       "node 'relu' (Resize, opset 13): sizes [100000, 100000] are not 1-65536 pixels")
        XCTAssertEqual(try replacingRelu("Resize", ["conv", "", "", "sizes"], initializers: [Self.integers("sizes", [1, 3, 8, 8])]),
                       "node 'relu' (Resize, opset 13): sizes [1, 3, 8, 8] change more than height and width")
        XCTAssertEqual(try replacingRelu("Resize", ["conv"]), "node 'relu' (Resize, opset 13): its scales or sizes must be known at load")
        XCTAssertEqual(try replacingRelu("Split", ["conv", "parts"], attributes: [Onnx_AttributeProto.int("axis", 1)], initializers: [Self.integers("parts", [1, 2])]),
                       "node 'relu' (Split, opset 13): sizes [1, 2] do not split 2 channels into 1 parts")
        // The pooled [2, 3, 3] map times the [1, 6, 6] image: no broadcast.
        let product = try message { proto in
            proto.graph.node[3].opType = "Mul"
            proto.graph.node[3].input = ["pool", "image"]
            proto.graph.node[3].attribute = []
        }
        XCTAssertTrue(product.contains("shapes [2, 3, 3] and [1, 6, 6] do not broadcast"), product)
        XCTAssertEqual(try replacingRelu("Pad", ["conv", "pads"], attributes: [Onnx_AttributeProto.string("mode", "wrap")], initializers: [Self.integers("pads", [0, 0, 1, 1, 0, 0, 1, 1])]),
                       "node 'relu' (Pad, opset 13): mode 'wrap' is not supported (constant, reflect and edge are)")
        XCTAssertEqual(try replacingRelu("Gather", ["conv", "index"], initializers: [Self.integers("index", [0])]),
                       "node 'relu' (Gather, opset 13): a Gather of computed values is supported only as PyTorch's as_strided view of a whole batch (a Reshape to [-1], then a Gather at the indices that restore it)")
        XCTAssertEqual(try replacingRelu("Expand", ["conv", "shape"], initializers: [Self.integers("shape", [1, 2, 6, 6])]),
                       "node 'relu' (Expand, opset 13): an Expand of computed values is supported only where broadcasting arithmetic reads it")
        // Crops: a Slice of height and width, or a negative Pad, that leaves nothing; a Slice of the batch.
        XCTAssertEqual(try replacingRelu("Slice", ["conv", "starts", "ends", "axes"],
                                         initializers: [Self.integers("starts", [6]), Self.integers("ends", [9]), Self.integers("axes", [2])]),
                       "node 'relu' (Slice, opset 13): an empty slice 6..<9 of axis 2")
        XCTAssertEqual(try replacingRelu("Slice", ["conv", "starts", "ends", "axes"],
                                         initializers: [Self.integers("starts", [1]), Self.integers("ends", [2]), Self.integers("axes", [0])]),
                       "node 'relu' (Slice, opset 13): a slice of the batch is not supported")
        XCTAssertEqual(try replacingRelu("Pad", ["conv", "pads"], initializers: [Self.integers("pads", [0, 0, -3, 0, 0, 0, -3, 0])]),
                       "cannot run on cnn-inte's engine: node 'relu' (pad): cropping must leave some of the 6x6 map")
    }
}

/// torchvision's own model code at small widths (Fixtures/make_zoo_fixtures.py), through
/// both PyTorch exporters: the TorchScript one shares equal initializers through Identity
/// nodes and writes shapes as Constant chains, which are evaluated at load. Between them
/// they hold HardSwish, HardSigmoid, SiLU written as x * sigmoid(x), squeeze-and-excitation
/// products of a map and a per-image vector, channel splits and shuffles, and ConvNeXt's
/// LayerNorm, Linear layers and GELU (as Erf) on maps transposed to channels last, and,
/// through torch.export, its pooled features as an as_strided Gather (a Reshape to [-1],
/// then indices from Range(0, N)); timm's ECA module (a 1-D convolution across pooled
/// channels, the gate Expanded to the map); AlexNet's AdaptiveAvgPool2d((6, 6)) of a 2x2 map
/// (torch.export's Transpose, GatherND, Transpose, ReduceMean), and of a 3x3 map to 7x5 and
/// 3x4 (windows of unequal sizes and overlapping ones); timm's ResNeSt split
/// attention (5-axis views of the splits, a softmax across them, grouped 1x1 convolutions on
/// pooled features).
final class ZooFixtureTests: XCTestCase {
    func testBothExportersMatchOnnxruntime() throws {
        let both = ["legacy", "dynamo"]
        for (name, exporters) in [("zoo-densenet", both), ("zoo-mobilenet", both), ("zoo-mobilenetv3", both), ("zoo-efficientnet", both),
                                  ("zoo-shufflenet", both), ("zoo-regnety", both), ("zoo-convnext", both), ("zoo-eca", both),
                                  ("zoo-resnest", both), ("zoo-adaptive", ["dynamo"]), ("zoo-adaptive-unequal", ["dynamo"])] {
            for exporter in exporters {
                let file = "\(name).\(exporter)"
                let onnx = try ONNXModel.load(path: try Fixture.fixture(file + ".onnx"))
                if exporter == "legacy" && !["zoo-eca", "zoo-resnest"].contains(name) { XCTAssertTrue(onnx.graph.node.contains { $0.opType == "Identity" }, file) }
                if file == "zoo-convnext.dynamo" { XCTAssertTrue(onnx.graph.node.contains { $0.opType == "Range" }, "as_strided's indices") }
                let model = try ONNXImporter.model(onnx)
                if file == "zoo-convnext.legacy" {
                    // GELU written out with Erf (opset 17) is one activation, on the Linear layer before it.
                    XCTAssertTrue(onnx.graph.node.contains { $0.opType == "Erf" })
                    let functions = model.graph.nodes.compactMap { node -> Activation? in
                        switch node.op {
                        case let .activation(f): return f
                        case let .convolution(c): return c.activation
                        default: return nil
                        }
                    }
                    XCTAssertFalse(functions.contains(.erf), file)
                    XCTAssertTrue(functions.contains(.gelu(approximate: false)), file)
                }
                if name == "zoo-adaptive" {
                    // AdaptiveAvgPool2d((6, 6)) of a 2x2 map: Transpose, GatherND, Transpose, ReduceMean, lowered to a resize.
                    XCTAssertTrue(onnx.graph.node.contains { $0.opType == "GatherND" })
                    XCTAssertEqual(model.graph.nodes.filter { if case .resize = $0.op { return true } else { return false } }.count, 1)
                }
                if name == "zoo-adaptive-unequal" {
                    // 3x3 to 7x5 (Where, Gather, Add, Div), then to 3x4 (a ReduceMean of overlapping windows): two poolings.
                    XCTAssertTrue(onnx.graph.node.contains { $0.opType == "Where" })
                    XCTAssertEqual(model.graph.nodes.filter { if case .adaptiveAveragePooling = $0.op { return true } else { return false } }.count, 2)
                }
                if name == "zoo-resnest" {
                    // Each softmax across the splits is a max of each group's splits: one per group of radix 2 in 2 groups, two for radix 3.
                    XCTAssertTrue(onnx.graph.node.contains { $0.opType == "ReduceSum" })
                    XCTAssertEqual(model.graph.nodes.filter { $0.op == .binary(Binary(.max)) }.count, 4, file)
                }
                let logits = try model.features(layer: model.graph.logitsNode.name, images: Fixture.images(count: 3, channels: 3, side: 32))
                Fixture.assertClose(logits.values, try Fixture.reference(file)["logits"]!.flatMap { $0 }, file)
            }
        }
    }

    /// A GatherND at other indices than adaptive pooling's windows is refused, naming them.
    func testOtherGathersAreRefused() throws {
        let message = try Fixture.loadError(of: "zoo-adaptive.dynamo.onnx") { proto in
            guard let gather = proto.graph.node.first(where: { $0.opType == "GatherND" }),
                  let k = proto.graph.initializer.firstIndex(where: { $0.name == gather.input[1] }) else { return XCTFail("no GatherND") }
            if proto.graph.initializer[k].int64Data.isEmpty {
                proto.graph.initializer[k].rawData[0] = 1  // the first window's row: 1 instead of 0
            } else {
                proto.graph.initializer[k].int64Data[0] = 1
            }
        }
        XCTAssertTrue(message.contains("gathers pixels other than adaptive pooling's windows from a 2x2 map"), message)
    }
}

/// Shapes whose sizes overflow when multiplied (the fuzzer's find: a Reshape of
/// ResNeSt's attention to [-1, -(2^56 - 2), 2^56 - 1, 12] trapped) are refused, not a crash.
final class OverflowingShapeTests: XCTestCase {
    func testOverflowingReshapesAreRefused() throws {
        var changed = 0
        let message = try Fixture.loadError(of: "zoo-resnest.dynamo.onnx") { proto in
            let shapes = Set(proto.graph.node.filter { $0.opType == "Reshape" }.map { $0.input[1] })
            for k in proto.graph.initializer.indices where shapes.contains(proto.graph.initializer[k].name) && proto.graph.initializer[k].dims == [4] {
                var values: [Int64] = [-1, -72_057_594_037_927_934, 72_057_594_037_927_935, 12]
                proto.graph.initializer[k].int64Data = []
                proto.graph.initializer[k].rawData = Data(bytes: &values, count: 32)
                changed += 1
            }
        }
        XCTAssertGreaterThan(changed, 0)
        XCTAssertTrue(message.contains("is supported only as a flatten"), message)
        XCTAssertEqual([Int64(1) << 32, 1 << 32].checkedProduct, nil)
        XCTAssertEqual([Int64(3), 4, -1].checkedProduct, -12)
    }
}

/// Adaptive pooling's masks and window sizes other than PyTorch's are refused in one line.
final class AdaptivePoolingImportTests: XCTestCase {
    func testOtherMasksAndSizesAreRefused() throws {
        func flipFirst(_ tensor: inout Onnx_TensorProto) {
            if !tensor.rawData.isEmpty { tensor.rawData[0] ^= tensor.dataType == 1 ? 0x01 : 1; return }
            if !tensor.int32Data.isEmpty { tensor.int32Data[0] ^= 1 } else { tensor.floatData[0] += 1 }
        }
        for (op, input, message) in [("Where", 0, "masks other positions than the padding of adaptive pooling's windows"),
                                     ("Div", 1, "only the sum of every window position divided by the windows' sizes is supported")] {
            let said = try Fixture.loadError(of: "zoo-adaptive-unequal.dynamo.onnx") { proto in
                guard let node = proto.graph.node.first(where: { $0.opType == op }),
                      let k = proto.graph.initializer.firstIndex(where: { $0.name == node.input[input] }) else { return XCTFail(op) }
                flipFirst(&proto.graph.initializer[k])
            }
            XCTAssertTrue(said.contains(message), "\(op): \(said)")
        }
    }
}

/// ResNeSt's split attention written otherwise than timm writes it: refused in one line
/// naming the node, not computed wrongly.
final class SplitAttentionTests: XCTestCase {
    func testOtherRadixPatternsAreRefused() throws {
        let cases: [(String, (inout Onnx_NodeProto) -> Void, String)] = [
            ("Transpose", { $0.attribute[0].ints = [0, 1, 3, 2] }, "of a [N, cardinality, radix, width] view: only ResNeSt's [0, 2, 1, 3] is supported"),
            ("ReduceSum", { node in
                if let k = node.attribute.firstIndex(where: { $0.name == "keepdims" }) { node.attribute[k].i = 1 }
            }, "only ResNeSt's ReduceSum over axis 1 without keepdims is supported"),
            ("Softmax", { $0.attribute[0].i = 3 }, "a softmax over axis 3 of a radix view: only across the splits"),
        ]
        for (op, change, message) in cases {
            // loadError also fails the test unless the message is one line.
            let said = try Fixture.loadError(of: "zoo-resnest.dynamo.onnx") { proto in
                guard let k = proto.graph.node.firstIndex(where: { $0.opType == op }) else { return XCTFail(op) }
                change(&proto.graph.node[k])
            }
            XCTAssertTrue(said.contains(message), "\(op): \(said)")
        }
    }
}

/// PyTorch's default exporter records each node's modules (`pkg.torch.onnx.name_scopes`):
/// `--layer` takes a module's name for the value the module outputs.
final class ModuleNameTests: XCTestCase {
    func testModulesNameTheirLastKeptValue() throws {
        let path = try Fixture.fixture("torch-resnet-dynamo.onnx")
        let imported = try ImportedModel.load(path: path)
        // stem's ReLU is fused into its convolution, which takes the ReLU's name; block1
        // ends in relu_2 after its Add; block2.shortcut's convolution is read by an Add, so kept.
        XCTAssertEqual(["stem", "block1", "block2", "block2.shortcut", "pool", "fc"].map(imported.node(forLayer:)),
                       ["relu", "relu_2", "relu_4", "getitem_15", "mean_1", "logits"])
        // A value's own name still wins, and a module folded away is not a layer.
        XCTAssertEqual(imported.node(forLayer: "relu_2"), "relu_2")
        XCTAssertNil(imported.moduleOutputs["block1.bn1"])
        XCTAssertEqual(ModuleNames.parseList("['', 'a.b', \"it's\", 'x']"), ["", "a.b", "it's", "x"])
        let text = ONNXSummary(try ONNXModel.load(path: path)).text
        XCTAssertTrue(text.contains("\n  relu_4      Relu        [16, 8, 8]  (module block2)\n"), text)
        XCTAssertTrue(text.contains("\n  getitem_15  Conv        [16, 8, 8]  (modules block2.shortcut, block2.shortcut.1)\n"), text)
    }
}

/// Keras models exported with tf2onnx (Fixtures/make_keras_fixtures.py): NHWC inputs made
/// NCHW by a Reshape (one channel) or a Transpose (three), Flatten as tf2onnx writes it
/// (Transpose to NHWC, Shape, Gather, Slice, Concat, Cast, Reshape), Dense as MatMul + Add.
final class KerasImportTests: XCTestCase {
    func testKerasExportsMatchOnnxruntime() throws {
        for (name, channels) in [("keras-grey", 1), ("keras-colour", 3)] {
            let imported = try ImportedModel.load(path: try Fixture.fixture(name + ".onnx"))
            XCTAssertEqual(imported.model.graph.input, Graph.InputShape(channels: channels, height: 8, width: 8), name)
            XCTAssertEqual(imported.model.graph.flattenOrder, Graph.FlattenOrder.channelsLast, name)
            let logits = try imported.model.features(layer: imported.model.graph.logitsNode.name,
                                                     images: Fixture.images(count: 3, channels: channels, side: 8))
            Fixture.assertClose(logits.values, try Fixture.reference(name)["logits"]!.flatMap { $0 }, name)
        }
    }
}

/// Keras' applications as tf2onnx writes them, fed pixels 0-255 (`--input-scale 1`) as they
/// rescale inside: the Rescaling before the NHWC input's Transpose becomes the input
/// transform; batch norms left as Mul and Add fold into the convolutions; ZeroPadding2D
/// before a MaxPool after a ReLU is its padding; a crop (ZeroPadding2D then Cropping2D) is
/// a negative pad; pooled features
/// reshaped to [N, 1, 1, C] for a 1x1 classifier; and MobileNetV3Small itself, which
/// tf2onnx leaves channels last between Transposes (batch-norm arithmetic, hard-swish,
/// Pad, the squeeze-and-excitation's ReduceMean and gate).
final class KerasApplicationTests: XCTestCase {
    func testApplicationPatternsMatchOnnxruntime() throws {
        for (name, side) in [("keras-applications", 16), ("keras-mobilenetv3", 32)] {
            let imported = try ImportedModel.load(path: try Fixture.fixture(name + ".onnx"), preprocessing: InputPreprocessing(scale: 1))
            XCTAssertEqual(imported.model.graph.input, Graph.InputShape(channels: 3, height: side, width: side), name)
            // The model's Rescaling is applied as the pixels are copied in, not by a node.
            XCTAssertEqual(imported.model.graph.nodes.first?.inputs, [Graph.inputName], name)
            XCTAssertEqual(imported.model.inputTransform.scale, [Float](repeating: 1 / 127.5, count: 3), name)
            XCTAssertEqual(imported.model.inputTransform.shift, [-1, -1, -1], name)
            let output = try imported.model.features(layer: imported.model.graph.logitsNode.name,
                                                     images: Fixture.images(count: 3, channels: 3, side: side))
            Fixture.assertClose(output.values, try Fixture.reference(name)["logits"]!.flatMap { $0 }, name)
        }
        // NASNet's pad and crop are the only pad nodes: the zeros before the depthwise
        // convolution and before the MaxPool (after a ReLU) are their padding.
        let applications = try ImportedModel.load(path: try Fixture.fixture("keras-applications.onnx")).model.graph
        let pads = applications.nodes.compactMap { node -> Pad? in if case let .pad(p) = node.op { return p } else { return nil } }
        XCTAssertEqual(pads, [Pad(top: 0, left: 0, bottom: 1, right: 1, mode: .constant(0)), Pad(top: -1, left: -1, bottom: 0, right: 0, mode: .constant(0))])
        // Batch norms tf2onnx left as Mul and Add (channels first or last) are folded into
        // the convolutions before them: no per-channel affine node is left.
        for name in ["keras-applications", "keras-mobilenetv3"] {
            let graph = try ImportedModel.load(path: try Fixture.fixture(name + ".onnx")).model.graph
            XCTAssertFalse(graph.nodes.contains { if case .batchNormalization = $0.op { return true } else { return false } }, name)
        }
    }
}

/// A graph shaped like PyTorch exports: input normalisation inside the graph, a Pad,
/// SAME_LOWER, arithmetic with constants, ReduceMean over (2, 3), GlobalMaxPool and
/// Squeeze, a Constant node.
final class TorchLikeImportTests: XCTestCase {
    func testNormalisationAndReductionsMatchOnnxruntime() throws {
        let model = try ONNXImporter.model(try ONNXModel.load(path: try Fixture.fixture("tiny-torchlike.onnx")))
        // The normalisation is applied while the pixels are copied in, not by a node.
        XCTAssertEqual(model.graph.nodes.first?.inputs, [Graph.inputName])
        XCTAssertFalse(model.graph.names.contains("normalize"))
        XCTAssertFalse(model.inputTransform.isStandard)
        let input = Fixture.images(count: 3, channels: 3, side: 8)
        let expected = try Fixture.reference("tiny-torchlike")
        Fixture.assertClose(try model.features(layer: "logits", images: input).values, expected["logits"]!.flatMap { $0 }, "logits")
        Fixture.assertClose(try model.features(layer: "both", images: input).values, expected["both"]!.flatMap { $0 }, "both")
        // After a Pad taken by the convolution, SAME_LOWER with stride 2, then Mul and Sub by
        // constants folded into that convolution (its weights and bias), and the ReLU after
        // them too: conv2, scaled and conv are no layers of their own, and the logits above
        // hold their arithmetic.
        Fixture.assertClose(try model.features(layer: "conv1", images: input).values, expected["conv1"]!.flatMap { $0 }, "conv1")
        XCTAssertFalse(["conv2", "scaled", "conv"].contains(where: model.graph.names.contains))
        XCTAssertFalse(model.graph.nodes.contains { if case .batchNormalization = $0.op { return true } else { return false } })
    }
}

/// One graph written in the forms of opsets 9, 11, 13, 18 and 21 (attributes that became
/// inputs, Softmax's default axis), with a Pad before an AveragePool, a 1x1 Conv on pooled
/// features and ceil_mode pooling.
final class OpsetImportTests: XCTestCase {
    func testEveryOpsetFormMatchesOnnxruntime() throws {
        let input = Fixture.images(count: 3, channels: 3, side: 8)
        for opset in [9, 11, 13, 18, 21] {
            let name = "tiny-opset\(opset)"
            let imported = try ImportedModel.load(path: try Fixture.fixture(name + ".onnx"))
            XCTAssertEqual(try ONNXModel.load(path: try Fixture.fixture(name + ".onnx")).opset, opset)
            XCTAssertEqual(imported.output, .probabilities, name)
            let expected = try Fixture.reference(name)
            Fixture.assertClose(try imported.model.probabilities(images: input).values, expected["probabilities"]!.flatMap { $0 }, "\(name) probabilities")
            // The Softmax's own value is probabilities, not the logits it is computed from.
            for layer in ["logits", "head_flat", "avg", "probabilities"] {
                let values = try imported.model.features(layer: imported.node(forLayer: layer), images: input).values
                Fixture.assertClose(values, expected[layer]!.flatMap { $0 }, "\(name) \(layer)")
            }
        }
    }

    /// What the output is: read from the graph, or declared; a declaration the graph
    /// contradicts is refused.
    func testModelOutputIsReadOrDeclared() throws {
        let path = try Fixture.fixture("tiny-cnn.onnx")
        let input = Fixture.images(count: 2, channels: 1, side: 6)
        let logits = try Fixture.reference("tiny-cnn")["logits"]!
        XCTAssertEqual(try ImportedModel.load(path: path).output, .logits)
        // Declared probabilities: the last layer's values, negatives as 0, made to sum to 1.
        let declared = try ImportedModel.load(path: path, output: .probabilities)
        XCTAssertEqual(declared.output, .probabilities)
        XCTAssertTrue(declared.source.hasSuffix("output probabilities)"), declared.source)
        let expected = logits.flatMap { row -> [Float] in
            let clamped = row.map { max($0, 0) }, total = clamped.reduce(0, +)
            return clamped.map { $0 / total }
        }
        Fixture.assertClose(try declared.model.probabilities(images: input).values, expected, "declared probabilities")
        XCTAssertThrowsError(try ImportedModel.load(path: try Fixture.fixture("tiny-opset13.onnx"), output: .logits)) { error in
            XCTAssertTrue("\(error)".hasPrefix("--model-output logits: "), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("ends in a Softmax ('probabilities'), whose output is probabilities"), "\(error)")
        }
    }
}

/// Networks written in PyTorch and exported by torch.onnx.export, both exporters
/// (Fixtures/make_torch_fixtures.py, torch 2.13.0), a channel shuffle among them: the same
/// outputs as onnxruntime.
final class TorchImportTests: XCTestCase {
    func testPyTorchExportsMatchOnnxruntime() throws {
        let input = Fixture.images(count: 3, channels: 3, side: 16)
        for (name, output) in [("torch-resnet", "logits"), ("torch-resnet-dynamo", "logits"), ("torch-mobile", "probabilities"),
                               ("torch-shuffle", "logits")] {
            let imported = try ImportedModel.load(path: try Fixture.fixture(name + ".onnx"))
            let expected = try Fixture.reference(name)[output]!.flatMap { $0 }
            let values = output == "probabilities" ? try imported.model.probabilities(images: input).values
                                                   : try imported.model.features(layer: imported.node(forLayer: output), images: input).values
            Fixture.assertClose(values, expected, name)
            XCTAssertEqual(imported.output, output == "probabilities" ? .probabilities : .logits, name)
        }
    }
}

/// docs/YOUR-MODEL.md's list of what the importer lowers is `cnn-inte inspect --operators`'s.
final class SupportedListTests: XCTestCase {
    func testDocsListTheOperatorTable() throws {
        let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/YOUR-MODEL.md")
        let text = try String(contentsOf: page, encoding: .utf8)
        let list = ONNXImporter.supported.map { "- " + $0 }.joined(separator: "\n")
        XCTAssertTrue(text.contains("\n\n" + list + "\n\n"), "docs/YOUR-MODEL.md's operator list differs from ONNXImporter.supported:\n" + list)
        // Every operator of the table is in exactly one family.
        let operators = OperatorLowering.table.flatMap(\.operators)
        XCTAssertEqual(Set(operators).count, operators.count)
    }
}
