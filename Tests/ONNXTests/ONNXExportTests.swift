import Datasets
import Foundation
import Network
import XCTest
@testable import ONNX

/// cnn-inte's networks written as ONNX and read back compute the same (the fixtures'
/// script checks the same files in onnxruntime: see make_fixtures.py's round trip).
final class ONNXExportTests: XCTestCase {
    func images(count: Int, channels: Int, side: Int) -> ImageSet {
        ImageSet(count: count, rows: side, columns: side, channels: channels,
                 pixels: (0..<(count * side * side * channels)).map { UInt8(truncatingIfNeeded: $0 * 37 + $0 / 7) })
    }

    func roundTrip(_ graph: Graph, images: ImageSet, layers: [String], foldsBatchNorm: Bool = false,
                   file: StaticString = #filePath, line: UInt = #line) throws {
        let original = try Model(graph: graph, seed: 5)
        let path = NSTemporaryDirectory() + "cnn-inte-export-\(UUID().uuidString).onnx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ONNXExporter.export(original, producerVersion: "test").write(to: URL(fileURLWithPath: path))
        let imported = try ImportedModel.load(path: path)
        for layer in layers {
            let ours = try original.features(layer: layer, images: images).values
            let back = try imported.model.features(layer: imported.node(forLayer: layer), images: images).values
            XCTAssertEqual(ours.count, back.count, layer, file: file, line: line)
            let worst = zip(ours, back).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5 * max(1, ours.map(abs).max() ?? 1), "\(layer): \(worst)", file: file, line: line)
        }
        // Batch norms folded into convolutions leave their parameters behind (but for a bias).
        if !foldsBatchNorm { XCTAssertEqual(imported.model.parameterCount, original.parameterCount, file: file, line: line) }
        XCTAssertEqual(imported.model.graph.flattenOrder, original.graph.flattenOrder, file: file, line: line)
    }

    func testLayerListNetworkRoundTrips() throws {
        // 'same' padding, fused activations, a channels-last flatten before the dense layers.
        let graph = try LayerList.parse("c1:conv(4,3,relu),p1:maxpool(2),c2:conv(6,3,leakyrelu=0.1),fc:dense(8,relu),d:dropout(0.5),out:dense(3)",
                                        input: .init(channels: 3, height: 8, width: 8))
        try roundTrip(graph, images: images(count: 4, channels: 3, side: 8), layers: ["c1", "p1", "c2", "fc", "d", "out"])
    }

    /// Each convolution's batch norm and ReLU are folded into it on import (as onnxruntime
    /// does), so only the blocks' outputs are layers of both.
    func testResNet20RoundTrips() throws {
        let graph = try XCTUnwrap(LayerList.builtin("resnet20", input: .init(channels: 3, height: 8, width: 8), classes: 4))
        try roundTrip(graph, images: images(count: 3, channels: 3, side: 8), layers: ["stem", "s1b2", "s2b1", "gap", graph.logitsNode.name],
                      foldsBatchNorm: true)
    }
}
