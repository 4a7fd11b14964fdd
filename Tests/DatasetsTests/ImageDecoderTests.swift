import Foundation
import XCTest
@testable import Datasets
import TestSupport

/// What the decoder makes of every kind of file the issue lists, good and bad.
final class ImageDecoderTests: XCTestCase {
    func fixture(_ name: String) throws -> [UInt8] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil))
        return [UInt8](try Data(contentsOf: url))
    }

    func testEncodedPNGsRoundTripInGreyAndColour() throws {
        let grey: [UInt8] = [0, 50, 100, 150, 200, 250]
        let png = try XCTUnwrap(ImageEncoder.encode(grey, rows: 2, columns: 3, channels: 1, format: .png))
        XCTAssertEqual(try ImageDecoder.header(png, path: "g.png"), .init(rows: 2, columns: 3, storedChannels: 1))
        XCTAssertEqual(try ImageDecoder.decode(png, path: "g.png", channels: 1).pixels, grey)
        // Grey asked as RGB: each value three times.
        XCTAssertEqual(try ImageDecoder.decode(png, path: "g.png", channels: 3).pixels, grey.flatMap { [$0, $0, $0] })
        let rgb: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]
        let colour = try XCTUnwrap(ImageEncoder.encode(rgb, rows: 2, columns: 2, channels: 3, format: .png))
        XCTAssertEqual(try ImageDecoder.decode(colour, path: "c.png", channels: 3).pixels, rgb)
        // RGB asked as grey: BT.601 luma, 0.299 R + 0.587 G + 0.114 B, rounded.
        XCTAssertEqual(try ImageDecoder.decode(colour, path: "c.png", channels: 1).pixels, [76, 150, 29, 18])
    }

    func testSixteenBitPalettesAndAlpha() throws {
        // 16-bit grey: big-endian samples, reduced to their high byte.
        let sixteen = HandMadePNG.file(width: 2, height: 1, bitDepth: 16, colourType: 0, rows: [[0x12, 0x34, 0xAB, 0xCD]])
        XCTAssertEqual(try ImageDecoder.decode(sixteen, path: "16.png", channels: 1).pixels, [0x12, 0xAB])
        // A palette of two colours, the second half transparent: colours as stored.
        let palette = HandMadePNG.file(width: 2, height: 1, bitDepth: 8, colourType: 3, rows: [[1, 0]],
                                       palette: [10, 20, 30, 200, 100, 50], transparency: [255, 128])
        XCTAssertEqual(try ImageDecoder.header(palette, path: "p.png").storedChannels, 4)
        XCTAssertEqual(try ImageDecoder.decode(palette, path: "p.png", channels: 3).pixels, [200, 100, 50, 10, 20, 30])
        // Grey + alpha: alpha dropped, the grey kept.
        let greyAlpha = HandMadePNG.file(width: 1, height: 1, bitDepth: 8, colourType: 4, rows: [[90, 0]])
        XCTAssertTrue(try ImageDecoder.header(greyAlpha, path: "ga.png").isGrey)
        XCTAssertEqual(try ImageDecoder.decode(greyAlpha, path: "ga.png", channels: 1).pixels, [90])
    }

    func testCMYKAndProgressiveJPEGs() throws {
        let red = try ImageDecoder.decode(try fixture("cmyk-red.jpg"), path: "cmyk-red.jpg", channels: 3)
        XCTAssertEqual(red.header.rows, 6)
        XCTAssertEqual(red.header.columns, 8)
        for p in stride(from: 0, to: red.pixels.count, by: 3) {
            XCTAssertGreaterThan(red.pixels[p], 240); XCTAssertLessThan(red.pixels[p + 1], 15); XCTAssertLessThan(red.pixels[p + 2], 15)
        }
        let blue = try ImageDecoder.decode(try fixture("progressive-blue.jpg"), path: "p.jpg", channels: 3)
        for p in stride(from: 0, to: blue.pixels.count, by: 3) {
            XCTAssertEqual(Double(blue.pixels[p]), 40, accuracy: 4)
            XCTAssertEqual(Double(blue.pixels[p + 1]), 160, accuracy: 4)
            XCTAssertEqual(Double(blue.pixels[p + 2]), 220, accuracy: 4)
        }
    }

    func testBadFilesAreOneLineErrorsNamingTheFile() throws {
        func message(_ bytes: [UInt8]) -> String {
            do { _ = try ImageDecoder.decode(bytes, path: "/d/x.png", channels: 3); return "decoded" } catch { return "\(error)" }
        }
        XCTAssertEqual(message([]), "/d/x.png: empty file, not an image")
        XCTAssertEqual(message(Array("just some text\n".utf8)), "/d/x.png: not a PNG or JPEG file")
        let good = try XCTUnwrap(ImageEncoder.encode([UInt8](repeating: 7, count: 64 * 64 * 3), rows: 64, columns: 64, channels: 3, format: .png))
        XCTAssertTrue(message(Array(good.prefix(good.count / 2))).hasPrefix("/d/x.png: corrupt or truncated image ("), message(Array(good.prefix(good.count / 2))))
        // A JPEG cut short: libjpeg would fill the rest with grey and only warn; refused.
        let jpeg = try XCTUnwrap(ImageEncoder.encode((0..<(64 * 64 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }, rows: 64, columns: 64,
                                                     channels: 3, format: .jpeg(quality: 90)))
        XCTAssertTrue(message(Array(jpeg.prefix(jpeg.count * 2 / 3))).hasPrefix("/d/x.png: corrupt or truncated image ("), message(Array(jpeg.prefix(jpeg.count * 2 / 3))))
        XCTAssertEqual(try ImageDecoder.decode(jpeg, path: "j.jpg").pixels.count, 64 * 64 * 3)
        let zero = HandMadePNG.file(width: 0, height: 5, bitDepth: 8, colourType: 0, rows: [])
        XCTAssertTrue(message(zero).hasPrefix("/d/x.png: "), message(zero))
        XCTAssertNotEqual(message(zero), "decoded")
        // A 60-byte file declaring 8,000 x 8,000 pixels (64 megapixels): refused from its header.
        let bomb = HandMadePNG.file(width: 8_000, height: 8_000, bitDepth: 8, colourType: 2, rows: [])
        XCTAssertLessThan(bomb.count, 100)
        XCTAssertEqual(message(bomb), "/d/x.png: 8000x8000 pixels is more than the limit of 50 megapixels")
        var garbage = good
        for i in stride(from: 40, to: garbage.count, by: 7) { garbage[i] ^= 0x5A }
        XCTAssertNotEqual(message(garbage), "decoded")
    }
}
