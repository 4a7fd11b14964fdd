import Foundation
import XCTest
@testable import Datasets

/// Resizing and channel conversion, against values worked out by hand.
final class ImageTransformTests: XCTestCase {
    func resize(_ pixels: [UInt8], rows: Int, columns: Int, channels: Int = 1, to r: Int, _ c: Int) -> [UInt8] {
        let set = ImageSet(count: 1, rows: rows, columns: columns, channels: channels, pixels: pixels)
        return set.resized(to: ImageSize(rows: r, columns: c)).pixels
    }

    func testShrinkingAveragesAreas() {
        // 4x4 to 2x2: each output is the mean of a 2x2 block.
        let image: [UInt8] = [0, 10, 100, 100,
                              20, 30, 100, 100,
                              0, 0, 255, 255,
                              0, 4, 255, 255]
        XCTAssertEqual(resize(image, rows: 4, columns: 4, to: 2, 2), [15, 100, 1, 255])
        // 3 to 2 along a row: output 0 covers source [0, 1.5): (30 + 0.5 * 60) / 1.5 = 40;
        // output 1 covers [1.5, 3): (0.5 * 60 + 90) / 1.5 = 80.
        XCTAssertEqual(resize([30, 60, 90], rows: 1, columns: 3, to: 1, 2), [40, 80])
    }

    func testGrowingIsBilinearWithCentresAligned() {
        // 2 to 4: centres at -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1).
        XCTAssertEqual(resize([0, 100], rows: 1, columns: 2, to: 1, 4), [0, 25, 75, 100])
        // Channels stay apart.
        let rgb: [UInt8] = [0, 100, 200, 100, 0, 200]
        XCTAssertEqual(resize(rgb, rows: 1, columns: 2, channels: 3, to: 1, 4),
                       [0, 100, 200, 25, 75, 200, 75, 25, 200, 100, 0, 200])
    }

    func testMixedAxesAndSameSize() {
        // Rows shrink 2 to 1 (mean), columns grow 1 to 2 (copies).
        XCTAssertEqual(resize([10, 30], rows: 2, columns: 1, to: 1, 2), [20, 20])
        let same = ImageSet(count: 2, rows: 1, columns: 2, pixels: [1, 2, 3, 4])
        XCTAssertEqual(same.resized(to: ImageSize(rows: 1, columns: 2)), same)
    }

    func testChannelConversion() {
        let rgb = ImageSet(count: 1, rows: 1, columns: 4, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        // BT.601 luma: 0.299 * 255 = 76.2, 0.587 * 255 = 149.7, 0.114 * 255 = 29.1.
        XCTAssertEqual(rgb.converted(toChannels: 1).pixels, [76, 150, 29, 255])
        let grey = ImageSet(count: 1, rows: 1, columns: 2, pixels: [7, 200])
        XCTAssertEqual(grey.converted(toChannels: 3).pixels, [7, 7, 7, 200, 200, 200])
        XCTAssertEqual(grey.converted(toChannels: 3).channels, 3)
    }

    func testSizeParsing() {
        XCTAssertEqual(ImageSize("32x24"), ImageSize(rows: 32, columns: 24))
        XCTAssertEqual(ImageSize("8X8"), ImageSize(rows: 8, columns: 8))
        for bad in ["32", "x32", "32x", "0x5", "5x0", "-3x3", "5000x5", "axb", "3x3x3"] { XCTAssertNil(ImageSize(bad), bad) }
    }
}
