import Foundation
import XCTest
@testable import Report

/// How large the diagrams draw the data's images, and the block averages of large ones.
final class ImageStoreTests: XCTestCase {
    func testSmallImagesAreEnlargedUpToTheLargestSide() {
        let digit = ImageStore.Shown([UInt8](repeating: 7, count: 28 * 28), rows: 28, columns: 28, channels: 1, scale: 2)
        XCTAssertEqual([digit.rows, digit.columns, digit.scale], [28, 28, 2])
        let colour = ImageStore.Shown([UInt8](repeating: 7, count: 64 * 64 * 3), rows: 64, columns: 64, channels: 3, scale: 2)
        XCTAssertEqual([colour.rows, colour.columns, colour.scale], [64, 64, 2])
        // Twice 96 would pass 128: drawn once.
        let medium = ImageStore.Shown([UInt8](repeating: 7, count: 96 * 80 * 3), rows: 96, columns: 80, channels: 3, scale: 2)
        XCTAssertEqual([medium.rows, medium.columns, medium.scale], [96, 80, 1])
        XCTAssertEqual(medium.pixels.count, 96 * 80 * 3)
    }

    func testLargeImagesAreShrunkByWholeFactors() {
        let imagenet = ImageStore.Shown([UInt8](repeating: 200, count: 224 * 224 * 3), rows: 224, columns: 224, channels: 3, scale: 2)
        XCTAssertEqual([imagenet.rows, imagenet.columns, imagenet.scale], [112, 112, 1])
        XCTAssertEqual(imagenet.pixels, [UInt8](repeating: 200, count: 112 * 112 * 3))
        // 300 / 128 rounds up to 3: 100 x 50.
        let wide = ImageStore.Shown([UInt8](repeating: 1, count: 150 * 300), rows: 150, columns: 300, channels: 1, scale: 2)
        XCTAssertEqual([wide.rows, wide.columns, wide.scale], [50, 100, 1])
    }

    func testBlockAveragesByHand() {
        // 3 x 3 grey image, factor 2: blocks of 4, 2, 2 and 1 pixels.
        let pixels: [UInt8] = [10, 20, 30,
                               40, 50, 60,
                               70, 80, 90]
        let out = ImageStore.Shown.averaged(pixels, rows: 3, columns: 3, channels: 1, factor: 2)
        // (10+20+40+50)/4 = 30; (30+60)/2 = 45; (70+80)/2 = 75; 90.
        XCTAssertEqual(out, [30, 45, 75, 90])
        // Two channels kept apart; 1+2 rounds half up to 2 (1.5), 3+4 to 4 (3.5).
        let rgb: [UInt8] = [1, 3, 2, 4]
        XCTAssertEqual(ImageStore.Shown.averaged(rgb, rows: 1, columns: 2, channels: 2, factor: 2), [2, 4])
    }

    func testNamesFollowTheShownPicture() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("imagestore-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try ImageStore(folder: folder, prefix: "img/")
        var pixels = [UInt8](repeating: 0, count: 224 * 224 * 3)
        for i in pixels.indices { pixels[i] = UInt8(truncatingIfNeeded: i * 31) }
        let name = try store.image(pixels, rows: 224, columns: 224, channels: 3)
        XCTAssertEqual(name, ImageStore.name(pixels, rows: 224, columns: 224, channels: 3, prefix: "img/"))
        let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + String(name.dropFirst(4))))
        // IHDR width and height, big-endian, at bytes 16..<24.
        XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 112, 0, 0, 0, 112])
    }
}
