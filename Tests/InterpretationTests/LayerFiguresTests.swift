import XCTest
@testable import Interpretation

/// The seconds the layer comparison gives a layer: its stages' seconds only.
final class LayerFiguresTests: XCTestCase {
    func testSecondsLeaveOutTheComparatorAndTheRates() {
        let timings = ["activations_train": 0.5, "activations_test": 0.25, "forests": 2, "global_forest_seconds": 10,
                       "activations_images_per_s": 7_700]
        XCTAssertEqual(LayerFigures.interpretingSeconds(timings), 2.75)
    }
}
