import CCairo
import Foundation
import XCTest
@testable import Report

/// The parts of rendering written here rather than in Graphviz: the PNG encoder and the
/// drawing of a laid-out graph on a Cairo PDF page.
final class RenderPathTests: XCTestCase {
    func testPNGEncoderRoundTripsThroughCairo() throws {
        // A 5 x 3 picture with distinct colours in every pixel, so any filter or channel
        // mistake shows.
        let canvas = CairoPNG(width: 5, height: 3)
        for y in 0..<3 {
            for x in 0..<5 {
                canvas.fill(rectX: Double(x), y: Double(y), width: 1, height: 1,
                            color: RGB(red: Double(x) / 4, green: Double(y) / 2, blue: Double((x + y) % 3) / 2))
            }
        }
        let bytes = canvas.encodedPNG(dpi: 300)
        XCTAssertEqual(pngSize(bytes)?.width, 5)
        XCTAssertEqual(pngSize(bytes)?.height, 3)
        let (data, stride, _, _) = try decodedByCairo(bytes)
        for y in 0..<3 {
            for x in 0..<5 {
                let o = y * stride + 4 * x
                XCTAssertEqual(Int(data[o + 2]), Int((Double(x) / 4 * 255).rounded()), "red at \(x),\(y)")
                XCTAssertEqual(Int(data[o + 1]), Int((Double(y) / 2 * 255).rounded()), "green at \(x),\(y)")
                XCTAssertEqual(Int(data[o]), Int((Double((x + y) % 3) / 2 * 255).rounded()), "blue at \(x),\(y)")
            }
        }
        // pHYs: 300 dpi is 11811 pixels per metre.
        let phys = try XCTUnwrap(bytes.indices.dropLast(4).first { bytes[$0..<($0 + 4)].elementsEqual("pHYs".utf8) })
        let perMetre = bytes[(phys + 4)..<(phys + 8)].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual(perMetre, 11811)
    }

    func testPNGEncoderWritesDataImagesScaledAsCairoReadsThem() throws {
        // A 2 x 3 grey image (0 paper, 255 ink) and an RGB one, each pixel drawn 3 x 3.
        let grey: [UInt8] = [0, 255, 10, 128, 200, 77]
        let rgb: [UInt8] = (0..<18).map { UInt8($0 * 14) }
        for (pixels, channels) in [(grey, 1), (rgb, 3)] {
            let bytes = PNGEncoder.encode(image: pixels, rows: 2, columns: 3, channels: channels, scale: 3)
            XCTAssertEqual(bytes[25], channels == 1 ? 0 : 2, "colour type")
            let (data, stride, width, height) = try decodedByCairo(bytes)
            XCTAssertEqual([width, height], [9, 6])
            for y in 0..<6 {
                for x in 0..<9 {
                    let (r, c) = (y / 3, x / 3), o = y * stride + 4 * x
                    let expected: [UInt8] = channels == 1 ? [UInt8](repeating: 255 - pixels[r * 3 + c], count: 3)
                        : Array(pixels[((r * 3 + c) * 3)..<((r * 3 + c) * 3 + 3)])
                    XCTAssertEqual([data[o + 2], data[o + 1], data[o]], expected, "pixel \(x),\(y), \(channels) channels")
                }
            }
        }
    }

    func testByteReplacementReplacesEveryOccurrenceLeftToRight() {
        func replaced(_ text: String, _ target: String, _ replacement: String) -> String {
            String(decoding: ByteReplacement.replacing(Array(target.utf8), with: Array(replacement.utf8), in: Array(text.utf8)), as: UTF8.self)
        }
        XCTAssertEqual(replaced("href=\"/a/b/img/x.png\" href=\"/a/b/y\"", "href=\"/a/b/", "href=\""), "href=\"img/x.png\" href=\"y\"")
        XCTAssertEqual(replaced("aaaa", "aa", "b"), "bb")             // non-overlapping
        XCTAssertEqual(replaced("abab", "aba", "x"), "xb")
        XCTAssertEqual(replaced("xay", "a", ""), "xy")
        XCTAssertEqual(replaced("abc", "abcd", "z"), "abc")          // target longer than the text
        XCTAssertEqual(replaced("abc", "", "z"), "abc")
        XCTAssertEqual(replaced("cab", "ab", "é"), "cé")               // at the very end
        XCTAssertEqual(replaced("aaab", "aab", "-"), "a-")             // a false start first
    }

    func testDiagramDrawsOnPDFPagesBetweenOurOwnText() throws {
        let path = NSTemporaryDirectory() + "cnn-inte-pages-\(UUID().uuidString).pdf"
        defer { unlink(path) }
        let pdf = try CairoPDF(path: path, width: 400, height: 300)
        pdf.text("cover", x: 20, y: 40, size: 12)
        for label in ["first", "second"] {
            try pdf.newPage()
            try Graphviz.shared.withLayout(dot: "digraph { a -> b; a [label=\"\(label)\"] }") { graph in
                let used = try graph.draw(on: pdf, x: 20, y: 20, width: 360, height: 200)
                XCTAssertGreaterThan(used, 50)
                XCTAssertLessThanOrEqual(used, 200)
            }
            pdf.text("below the diagram", x: 20, y: 260, size: 10)
        }
        try pdf.finish()
        XCTAssertEqual(try pdfPageCount(path), 3)
    }
}

/// PNG bytes as Cairo reads them: its native-endian ARGB32 pixels (B, G, R, A in memory),
/// copied out, with the row stride and the size.
func decodedByCairo(_ bytes: [UInt8]) throws -> (pixels: [UInt8], stride: Int, width: Int, height: Int) {
    let path = NSTemporaryDirectory() + "cnn-inte-png-\(UUID().uuidString).png"
    defer { unlink(path) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let decoded = try XCTUnwrap(cairo_image_surface_create_from_png(path))
    defer { cairo_surface_destroy(decoded) }
    XCTAssertEqual(cairo_surface_status(decoded), CAIRO_STATUS_SUCCESS)
    let stride = Int(cairo_image_surface_get_stride(decoded)), height = Int(cairo_image_surface_get_height(decoded))
    let data = try XCTUnwrap(cairo_image_surface_get_data(decoded))
    return (Array(UnsafeBufferPointer(start: data, count: stride * height)), stride, Int(cairo_image_surface_get_width(decoded)), height)
}

/// Pages in a PDF written by Cairo: its page objects are `/Type /Page` (the tree is `/Pages`).
func pdfPageCount(_ path: String) throws -> Int {
    let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    return text.components(separatedBy: "/Type /Page").count - 1 - (text.components(separatedBy: "/Type /Pages").count - 1)
}
