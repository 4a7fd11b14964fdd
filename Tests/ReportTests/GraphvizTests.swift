import Foundation
import XCTest
@testable import Report

/// Width and height from a PNG's IHDR chunk.
func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
    guard bytes.count > 24, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else { return nil }
    func u32(_ o: Int) -> Int { Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]) }
    return (u32(16), u32(20))
}

final class GraphvizTests: XCTestCase {
    // A fixed-size node so the picture's size is known: 2in x 1in plus 4pt margins.
    let dot = """
        digraph g { graph [pad=0, margin=0]; node [shape=box, fixedsize=true, width=2, height=1, label="x"]; a; }
        """

    func testRendersPNGWithExpectedSizeAtEachDPI() throws {
        let at72 = try XCTUnwrap(pngSize(Graphviz.shared.render(dot: dot, format: .png, dpi: 72)))
        let at144 = try XCTUnwrap(pngSize(Graphviz.shared.render(dot: dot, format: .png, dpi: 144)))
        // 2in x 1in at 72 dpi is 144 x 72 pixels; Graphviz adds at most a few pixels.
        XCTAssertEqual(Double(at72.width), 144, accuracy: 4)
        XCTAssertEqual(Double(at72.height), 72, accuracy: 4)
        XCTAssertEqual(Double(at144.width), 2 * Double(at72.width), accuracy: 4)
        XCTAssertEqual(Double(at144.height), 2 * Double(at72.height), accuracy: 4)
    }

    func testRendersPDFAndSVG() throws {
        let pdf = try Graphviz.shared.render(dot: dot, format: .pdf)
        XCTAssertEqual(Array(pdf.prefix(5)), Array("%PDF-".utf8))
        let svg = String(decoding: try Graphviz.shared.render(dot: dot, format: .svg), as: UTF8.self)
        XCTAssertTrue(svg.contains("<svg"), svg)
        XCTAssertTrue(svg.contains(">x</text>"), svg)
    }

    func testBadDOTIsAnError() {
        XCTAssertThrowsError(try Graphviz.shared.render(dot: "digraph { a -> ", format: .svg)) { error in
            XCTAssertTrue("\(error)".contains("could not read the DOT"), "\(error)")
        }
    }

    func testMissingImageIsAnErrorNotAWarning() {
        let missing = "/nonexistent/cnn-inte-\(UUID().uuidString).png"
        let withImage = "digraph { a [shape=none, label=<<TABLE><TR><TD><IMG SRC=\"\(missing)\"/></TD></TR></TABLE>>]; }"
        XCTAssertThrowsError(try Graphviz.shared.render(dot: withImage, format: .png)) { error in
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        // The context stays usable after an error.
        XCTAssertNoThrow(try Graphviz.shared.render(dot: dot, format: .svg))
    }

    func testConcurrentCallsAreSerialisedSafely() throws {
        let results = UnsafeMutableBufferPointer<Int>.allocate(capacity: 16)
        defer { results.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            results[i] = (try? Graphviz.shared.render(dot: dot, format: .svg).count) ?? -1
        }
        XCTAssertTrue(results.allSatisfy { $0 > 0 })
    }

    /// A picture taller than Cairo's 32,767 pixels at the asked resolution is drawn at the
    /// largest that fits (it used to fail with "invalid value (typically too big)").
    func testPNGPastCairosLimitIsDrawnAtALowerResolution() throws {
        let chain = (0..<60).map { "n\($0)" }.joined(separator: " -> ")
        let dot = "digraph g { graph [pad=0, ranksep=0.2]; node [shape=box, fixedsize=true, width=0.3, height=0.3, label=\"\"]; \(chain); }"
        let (pngDPI, png) = try Graphviz.shared.withLayout(dot: dot) { graph in (graph.pngDPI(1200), try graph.renderPNG(dpi: 1200)) }
        XCTAssertLessThan(pngDPI, 1200)
        XCTAssertGreaterThan(pngDPI, 1200 * 0.5)
        let size = try XCTUnwrap(pngSize(png))
        XCTAssertLessThanOrEqual(size.height, 32_767)
        XCTAssertGreaterThan(size.height, 32_000, "as large as fits")
        // At a resolution that fits, nothing changes.
        XCTAssertEqual(try Graphviz.shared.withLayout(dot: dot) { $0.pngDPI(96) }, 96)
    }
}
