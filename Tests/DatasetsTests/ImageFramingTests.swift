import Foundation
import XCTest
@testable import Datasets

/// `--resize-shorter` and `--center-crop` give the pixels torchvision's `Resize(N)` and
/// `CenterCrop` give on the same PIL image (Fixtures/make_framing_fixtures.py), within one
/// grey level, shrinking and growing; and the sizes its rules give.
final class ImageFramingTests: XCTestCase {
    func image(_ name: String) throws -> (pixels: [UInt8], rows: Int, columns: Int, channels: Int) {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/framing/" + name, withExtension: nil))
        let (header, pixels) = try ImageDecoder.decode([UInt8](try Data(contentsOf: url)), path: url.path)
        return (pixels, header.rows, header.columns, header.isGrey ? 1 : 3)
    }

    func testMatchesTorchvisionWithinOneLevel() throws {
        for (source, shorter, crop, expected) in [("tall", 64, ImageSize(rows: 56, columns: 48), "tall.s64.c56x48"),
                                                  ("small", 80, ImageSize(rows: 64, columns: 64), "small.s80.c64x64"),
                                                  ("grey", 50, nil, "grey.s50.c0"),
                                                  ("grey", nil, ImageSize(rows: 32, columns: 40), "grey.s0.c32x40")] as [(String, Int?, ImageSize?, String)] {
            let input = try image(source + ".png"), want = try image(expected + ".png")
            let framing = ImageFraming(shorter: shorter, crop: crop)
            let out = framing.apply(input.pixels, rows: input.rows, columns: input.columns, channels: input.channels)
            XCTAssertEqual([out.rows, out.columns], [want.rows, want.columns], expected)
            XCTAssertEqual(framing.size(rows: input.rows, columns: input.columns), ImageSize(rows: want.rows, columns: want.columns), expected)
            let worst = zip(out.pixels, want.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1, "\(expected): max difference \(worst)")
            XCTAssertEqual(out.pixels.count, want.pixels.count, expected)
        }
    }

    func testSizesFollowTorchvisionsRules() {
        // The shorter side to N, the longer truncated: 500x375 (portrait 500 rows) at 256 is 341x256.
        XCTAssertEqual(ImageFraming(shorter: 256).size(rows: 500, columns: 375), ImageSize(rows: 341, columns: 256))
        XCTAssertEqual(ImageFraming(shorter: 256).size(rows: 375, columns: 500), ImageSize(rows: 256, columns: 341))
        XCTAssertEqual(ImageFraming(shorter: 256, crop: ImageSize(rows: 224, columns: 224)).size(rows: 375, columns: 500),
                       ImageSize(rows: 224, columns: 224))
        // A crop larger than the image is refused, not padded.
        let small = ImageFraming(shorter: 32, crop: ImageSize(rows: 64, columns: 64))
        XCTAssertNil(small.size(rows: 100, columns: 100))
        XCTAssertEqual(small.problem(rows: 100, columns: 100), "is 32x32 after --resize-shorter 32, smaller than --center-crop 64x64")
        // Centre offsets: half the difference, rounded half to even (1.5 -> 2, 0.5 -> 0).
        let pixels = (0..<(5 * 4)).map { UInt8($0) }
        let cut = ImageFraming(crop: ImageSize(rows: 2, columns: 3)).apply(pixels, rows: 5, columns: 4, channels: 1)
        // top = round(1.5) = 2, left = round(0.5) = 0: rows 2-3, columns 0-2.
        XCTAssertEqual(cut.pixels, [8, 9, 10, 12, 13, 14])
    }

    /// An image folder of photos of different sizes framed to one size on loading; a photo
    /// the crop does not fit is named.
    func testFolderOfMixedSizesIsFramed() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("framing-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        for split in ["train", "test"] {
            for (label, source) in ["tall", "small"].enumerated() {
                let folder = root.appendingPathComponent("\(split)/c\(label)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for other in ["tall", "small"] {
                    let from = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/framing/\(other).png", withExtension: nil))
                    try FileManager.default.copyItem(at: from, to: folder.appendingPathComponent("\(source)-\(other).png"))
                }
            }
        }
        let framing = ImageFraming(shorter: 64, crop: ImageSize(rows: 56, columns: 48))
        let dataset = try DataSelection(folder: root.path, framing: framing).load()
        XCTAssertEqual([dataset.rows, dataset.columns, dataset.channels], [56, 48, 3])
        XCTAssertTrue(dataset.format.hasSuffix("shorter side to 64 (Pillow bilinear), centre 56x48"), dataset.format)
        // The first training image (c0/tall-small.png, listed by name) is small.png framed.
        let small = try image("small.png")
        let want = framing.apply(small.pixels, rows: small.rows, columns: small.columns, channels: 3).pixels
        XCTAssertEqual(Array(dataset.train.images.pixels[0..<want.count]), want)
        XCTAssertThrowsError(try DataSelection(folder: root.path, framing: ImageFraming(shorter: 40, crop: ImageSize(rows: 56, columns: 48))).load()) { error in
            XCTAssertTrue("\(error)".hasSuffix("tall-small.png: is 40x62 after --resize-shorter 40, smaller than --center-crop 56x48"), "\(error)")
        }
    }
}
