import Foundation
import XCTest
@testable import Report

final class CairoTests: XCTestCase {
    var folder: String!

    override func setUp() {
        folder = NSTemporaryDirectory() + "cnn-inte-cairo-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testWritesPNGOfTheRequestedSize() throws {
        let canvas = CairoPNG(width: 56, height: 40)
        canvas.fill(rectX: 0, y: 0, width: 56, height: 40, color: .white)
        canvas.greyImage([0, 255, 255, 0], rows: 2, columns: 2, x: 0, y: 0, width: 28, height: 28)
        canvas.text("7", x: 30, y: 20, size: 12)
        let path = folder + "/digit.png"
        try canvas.writePNG(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let size = try XCTUnwrap(pngSize(bytes))
        XCTAssertEqual(size.width, 56)
        XCTAssertEqual(size.height, 40)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["digit.png"], "no temporary left behind")
    }

    func testWritesTwoPagePDF() throws {
        let path = folder + "/two.pdf"
        let pdf = try CairoPDF(path: path, width: 595, height: 842)
        pdf.text("page one", x: 72, y: 72, size: 14)
        try pdf.newPage()
        pdf.text("page two", x: 72, y: 72, size: 14)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "nothing at the final path before finish()")
        try pdf.finish()
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("%PDF-"))
        XCTAssertEqual(text.components(separatedBy: "/Type /Page\n").count - 1
                       + text.components(separatedBy: "/Type /Page ").count - 1
                       + text.components(separatedBy: "/Type /Page>").count - 1, 2)
    }

    func testUnwritablePathIsAnErrorNamingIt() {
        let canvas = CairoPNG(width: 4, height: 4)
        XCTAssertThrowsError(try canvas.writePNG(to: "/nonexistent/dir/x.png")) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/dir/x.png: "), "\(error)")
        }
    }
}
