import Datasets
import Foundation
import Network
import XCTest
@testable import ONNX

/// How pixels reach an imported model: `--input-scale`, `--mean`, `--std` and `--bgr`,
/// composed with the model's own normalisation where it has one, against onnxruntime on
/// input prepared the same way by numpy (Fixtures/make_preprocessing_fixtures.py); and
/// every fixture, with and without that preparation, on oneDNN's fast kernels.
final class InputPreparationTests: XCTestCase {
    struct Setting: Decodable {
        var model: String
        var scale: Float
        var mean: [Float]
        var std: [Float]
        var bgr: Bool
        var outputs: [[Float]]
    }

    static func settings() throws -> [String: Setting] {
        struct File: Decodable { var settings: [String: Setting] }
        let data = try Data(contentsOf: URL(fileURLWithPath: try Fixture.fixture("preprocessing.outputs.json")))
        return try JSONDecoder().decode(File.self, from: data).settings
    }

    func testPreparedInputMatchesOnnxruntime() throws {
        let settings = try Self.settings()
        XCTAssertEqual(settings.count, 9)
        for (name, s) in settings.sorted(by: { $0.key < $1.key }) {
            let preparation = InputPreprocessing(scale: s.scale, mean: s.mean, std: s.std, bgr: s.bgr)
            let imported = try ImportedModel.load(path: try Fixture.fixture(s.model), preprocessing: preparation)
            let input = imported.model.graph.input
            // Nothing added to the graph: the preparation is applied as the pixels are copied in.
            XCTAssertEqual(imported.model.graph.nodes.first?.inputs, [Graph.inputName], name)
            let images = Fixture.images(count: 3, channels: input.channels, side: input.height)
            let ours = imported.output == .probabilities ? try imported.model.probabilities(images: images)
                : try imported.model.features(layer: imported.model.graph.logitsNode.name, images: images)
            Fixture.assertClose(ours.values, s.outputs.flatMap { $0 }, name)
        }
    }

    /// Channel c is `scale / std[c] * byte[source c] - mean[c] / std[c]`, then the model's
    /// own `a * x + b`: worked by hand for two channels.
    func testTransformsCompose() throws {
        let preparation = InputPreprocessing(scale: 0.5, mean: [1, 2], std: [2, 4], bgr: true)
        let transform = try preparation.transform(channels: 2)
        XCTAssertEqual(transform.scale, [0.25, 0.125])
        XCTAssertEqual(transform.shift, [-0.5, -0.5])
        XCTAssertEqual(transform.source, [1, 0])
        let composed = transform.followed(byScale: [2, 10], shift: [1, -1])
        XCTAssertEqual(composed.scale, [0.5, 1.25])
        XCTAssertEqual(composed.shift, [0, -6])
        XCTAssertEqual(composed.source, [1, 0])
        XCTAssertThrowsError(try InputPreprocessing(mean: [1, 2]).transform(channels: 3))
    }

    /// No primitive on oneDNN's reference code for any fixture, as the file comes and with
    /// a colour model's usual preparation, at the batch of a full pass and of a last,
    /// partial one.
    func testNoFixtureRunsOnReferenceKernels() throws {
        let folder = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".onnx") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 15)
        for file in files {
            let path = folder.appendingPathComponent(file).path
            let channels = try ImportedModel.load(path: path).model.graph.input.channels
            var preparations = [InputPreprocessing()]
            if channels == 3 { preparations.append(InputPreprocessing(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], bgr: true)) }
            for preparation in preparations {
                let model = try ImportedModel.load(path: path, preprocessing: preparation).model
                for batch in [100, 3] {
                    let slow = try model.kernelImplementations(batch: batch).filter { $0.implementations.contains { $0.hasPrefix("ref") } }
                    XCTAssertTrue(slow.isEmpty, "\(file), \(preparation), batch \(batch): \(slow)")
                }
            }
        }
    }
}
