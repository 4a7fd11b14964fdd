import Foundation
import XCTest
@testable import Interpretation

/// The seconds the layer comparison gives a layer: its stages' seconds only; and the keys
/// of `layers.json`, which the Swift names no longer spell (`CodingKeys`).
final class LayerFiguresTests: XCTestCase {
    func testKeysAreTheFilesOwn() throws {
        let v1 = try XCTUnwrap(Bundle.module.path(forResource: "interpretation-v1", ofType: nil, inDirectory: "Fixtures"))
        let results = try JSONDecoder().decode(InterpretationResults.self, from: Data(contentsOf: URL(fileURLWithPath: v1 + "/results.json")))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(LayerFigures(results))) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["layer", "width", "fidelity", "cnn_accuracy", "inte_accuracy", "accuracy_gap_points",
                                          "purity_level1_test", "purity_level2_test", "seconds"])
        // results.json written again keeps every key the 0.1.0 file has.
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: v1 + "/results.json"))) as? [String: Any])
        let again = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(results)) as? [String: Any])
        XCTAssertTrue(Set(original.keys).isSubset(of: Set(again.keys)), "\(Set(original.keys).subtracting(again.keys))")
        let configuration = try XCTUnwrap(again["configuration"] as? [String: Any])
        XCTAssertTrue(Set(["layer_width", "min_cluster_size", "max_features", "min_samples_leaf", "data_fingerprint"]).isSubset(of: Set(configuration.keys)))
    }

    func testSecondsLeaveOutTheComparatorAndTheRates() {
        let timings = ["activations_train": 0.5, "activations_test": 0.25, "forests": 2, "global_forest_seconds": 10,
                       "activations_images_per_s": 7_700]
        XCTAssertEqual(LayerFigures.interpretingSeconds(timings), 2.75)
    }
}
