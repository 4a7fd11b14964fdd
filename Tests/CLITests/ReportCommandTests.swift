import Foundation
import XCTest

/// `report` end to end on a toy data set whose class names try to break out of HTML and DOT.
final class ReportCommandTests: XCTestCase {
    static var folder: String!
    static let nastyName = #"<script>alert("x")</script>"#

    override class func setUp() {
        folder = NSTemporaryDirectory() + "cnn-inte-report-" + UUID().uuidString
        try! writeToyDataFolder(folder + "/data", train: 120, test: 24)
        try! "north-west\n\(nastyName)\nsouth \"west\"\nsouth-east\n".write(toFile: folder + "/data/classes.txt", atomically: true, encoding: .utf8)
        for arguments in [
            ["train", "--architecture", toyLayers, "--epochs", "10", "--batch-size", "10", "--learning-rate", "0.01", "--no-augment"],
            ["interpret", "--k1", "2", "--k2", "2", "--trees", "5", "--augment-copies", "1", "--layer", "fc", "--prototypes", "3"],
        ] {
            let result = try! CLIProcess.run(arguments + ["--data", folder + "/data", "--quiet", "--output", folder + "/out"])
            precondition(result.status == 0, result.stderr)
        }
    }

    override class func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    var folder: String { Self.folder }

    /// A fresh output folder holding a copy of the shared model and interpretation.
    func outputCopy(_ name: String) throws -> String {
        let output = folder + "/" + name
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for sub in ["model", "interpretation"] { try FileManager.default.copyItem(atPath: folder + "/out/" + sub, toPath: output + "/" + sub) }
        return output
    }

    func report(_ output: String, _ extra: [String] = []) throws -> CLIResult {
        try CLIProcess.run(["report", "--data", folder + "/data", "--quiet", "--output", output] + extra)
    }

    func testReportIsCompleteEscapedAndEveryLinkResolves() throws {
        let output = try outputCopy("full")
        let result = try report(output, ["--jobs", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("report: "), result.stdout)
        let reportFolder = output + "/report"
        let fm = FileManager.default
        for i in 0..<24 {
            for ext in ["png", "svg", "pdf", "dot", "txt"] {
                XCTAssertTrue(fm.fileExists(atPath: "\(reportFolder)/diagrams/\(i).\(ext)"), "\(i).\(ext)")
            }
            XCTAssertTrue(fm.fileExists(atPath: "\(reportFolder)/instances/\(i).html"))
        }
        // No staging folders are left behind.
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: output).filter { $0.hasPrefix(".") }, [], "no staging folder or lock left")

        // Every relative link and image of every page resolves; nothing points off the machine.
        var pages = ["index.html"]
        pages += try fm.contentsOfDirectory(atPath: reportFolder + "/instances").map { "instances/" + $0 }
        pages += try fm.contentsOfDirectory(atPath: reportFolder + "/clusters").map { "clusters/" + $0 }
        XCTAssertEqual(pages.count, 1 + 24 + 2 + 4)
        let attribute = try NSRegularExpression(pattern: #"(?:href|src)="([^"]*)""#)
        var checked = 0
        for page in pages {
            let html = try String(contentsOfFile: reportFolder + "/" + page, encoding: .utf8)
            XCTAssertFalse(html.contains("<script>alert"), page)
            for match in attribute.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
                let link = String(html[Range(match.range(at: 1), in: html)!])
                XCTAssertFalse(link.contains("://"), "\(page) links off the machine: \(link)")
                let file = String(link.split(separator: "#", omittingEmptySubsequences: false)[0])
                if file.isEmpty { continue }
                let target = URL(fileURLWithPath: reportFolder + "/" + page).deletingLastPathComponent().appendingPathComponent(file).standardized.path
                XCTAssertTrue(fm.fileExists(atPath: target), "\(page) links to a missing \(link)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 200)

        // The class name appears literally (escaped) in HTML, DOT and the browser's data.
        let index = try String(contentsOfFile: reportFolder + "/index.html", encoding: .utf8)
        XCTAssertTrue(index.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        XCTAssertTrue(index.contains("south &quot;west&quot;"))
        let data = try String(contentsOfFile: reportFolder + "/data.js", encoding: .utf8)
        XCTAssertTrue(data.contains(#""\u003Cscript\u003Ealert(\"x\")\u003C/script\u003E""#), data)
        let dots = try (0..<24).map { try String(contentsOfFile: "\(reportFolder)/diagrams/\($0).dot", encoding: .utf8) }.joined()
        XCTAssertTrue(dots.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        XCTAssertTrue(dots.contains(#"<script>alert(\"x\")</script>"#))  // in DOT quoted strings
        let svgs = try (0..<24).map { try String(contentsOfFile: "\(reportFolder)/diagrams/\($0).svg", encoding: .utf8) }.joined()
        XCTAssertFalse(svgs.contains("<script"))
        XCTAssertTrue(svgs.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))

        // One booklet per class; its pages are its instances plus the cover.
        let table = try String(contentsOfFile: output + "/interpretation/instances.csv", encoding: .utf8).split(separator: "\n")
        let inteColumn = try XCTUnwrap(table[0].split(separator: ",").firstIndex(of: "inte_prediction"))
        let records = table.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let booklets = try fm.contentsOfDirectory(atPath: output + "/pdf").sorted()
        XCTAssertEqual(booklets, [".cnn-inte.json", "north-west.pdf", "script-alert-x-script.pdf", "south-east.pdf", "south-west.pdf"])
        for (c, name) in [(0, "north-west.pdf"), (1, "script-alert-x-script.pdf"), (2, "south-west.pdf"), (3, "south-east.pdf")] {
            let members = records.filter { Int($0[inteColumn]) == c }.count
            XCTAssertEqual(try pdfPages(output + "/pdf/" + name), members + 1, name)
        }
    }

    func testPNGSizeScalesWithDPIAndDOTIsDeterministic() throws {
        let a = try outputCopy("dpi-96"), b = try outputCopy("dpi-192")
        XCTAssertEqual(try report(a, ["--jobs", "1"]).status, 0)
        XCTAssertEqual(try report(b, ["--dpi", "192", "--booklets-by", "true"]).status, 0)
        for i in [0, 5] {
            let small = try pngDimensions(a + "/report/diagrams/\(i).png"), large = try pngDimensions(b + "/report/diagrams/\(i).png")
            XCTAssertEqual(Double(large.width), 2 * Double(small.width), accuracy: 2)
            XCTAssertEqual(Double(large.height), 2 * Double(small.height), accuracy: 2)
        }
        // The same artifacts give byte-identical DOT and text, whatever the job count.
        for i in 0..<24 {
            for ext in ["dot", "txt"] {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a + "/report/diagrams/\(i).\(ext)")),
                               try Data(contentsOf: URL(fileURLWithPath: b + "/report/diagrams/\(i).\(ext)")))
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a + "/report/data.js")),
                       try Data(contentsOf: URL(fileURLWithPath: b + "/report/data.js")))
        // --booklets-by true: each booklet holds the instances of one true label (6 each).
        for name in ["north-west.pdf", "script-alert-x-script.pdf", "south-west.pdf", "south-east.pdf"] {
            XCTAssertEqual(try pdfPages(b + "/pdf/" + name), 6 + 1, name)
        }
    }

    func testFailuresLeaveNoHalfReport() throws {
        let output = try outputCopy("failing")
        let templates = folder + "/broken-templates"
        try FileManager.default.createDirectory(atPath: templates, withIntermediateDirectories: true)
        try "{{#unclosed}}".write(toFile: templates + "/index.mustache", atomically: true, encoding: .utf8)
        let result = try report(output, ["--templates", templates])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.hasPrefix("cnn-inte: error: \(templates)/"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(), ["interpretation", "model"])

        let dpi = try report(output, ["--dpi", "0"])
        XCTAssertEqual(dpi.status, 64)
        XCTAssertTrue(dpi.stderr.contains("--dpi must be between 10 and 1200 (got 0.0)"), dpi.stderr)

        // Artifacts made on other data are refused, naming the file.
        let other = folder + "/other-data"
        try writeToyDataFolder(other, train: 100, test: 24)
        let mismatch = try CLIProcess.run(["report", "--data", other, "--quiet", "--output", output])
        XCTAssertEqual(mismatch.status, 1)
        XCTAssertTrue(mismatch.stderr.hasPrefix("cnn-inte: error: \(output)/interpretation/results.json: was made on other data"), mismatch.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(), ["interpretation", "model"])
    }

    func pngDimensions(_ path: String) throws -> (width: Int, height: Int) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ o: Int) -> Int { Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3]) }
        return (u32(16), u32(20))
    }

    func pdfPages(_ path: String) throws -> Int {
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        return text.components(separatedBy: "/Type /Page").count - text.components(separatedBy: "/Type /Pages").count
    }
}
