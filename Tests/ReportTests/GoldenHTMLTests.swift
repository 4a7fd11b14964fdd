import Foundation
import XCTest
@testable import Interpretation
@testable import Report

/// The report's pages as rendered HTML, byte for byte, for the hand-made interpretations
/// (plain, and with credibility, neighbours, unit cards and a map): a template key the code
/// no longer provides, or a context key misspelt, renders as nothing and changes a page, which
/// comparing contexts alone cannot see. The expected pages are in `GoldenHTML/`; after a change
/// meant to alter them, run with `CNN_INTE_RECORD_GOLDEN=1` and read the diff before
/// committing it.
final class GoldenHTMLTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("GoldenHTML")

    /// Each page to compare: its golden file's name, its template and its context.
    static func pages() throws -> [(name: String, html: String, context: any Encodable)] {
        var pages: [(String, String, any Encodable)] = []
        for (variant, report) in [("plain", GoldenHTMLTests.report(HandMade.inputs)), ("insight", HandMadeInsight.html),
                                  ("full", GoldenHTMLTests.report(try ReportInputs(saved: full, dataset: HandMade.dataset,
                                                                                   interpretationFolder: "interpretation")))] {
            var html = report
            if variant == "full" { html.treeNote = "2 level-1 clusters instead of 3: the layer gives only 2 distinct activation vectors" }
            html.generator = "cnn-inte (golden test)"
            html.sources = ["interpretation": String(repeating: "1a", count: 32), "model": String(repeating: "0f", count: 32)]
            func add<Body: PageContext>(_ name: String, _ page: Page<Body>) { pages.append((variant + "-" + name, html.templates.render(page), page)) }
            add("index.html", html.indexPage(k1: 2, k2: 2))
            for i in 0..<3 { add("instance-\(i).html", html.instancePage(i)) }
            add("cluster-1.html", html.clusterPage(HandMade.level1[1], parent: nil, children: HandMade.level2[1]))
            if let layers = html.saved.layers { add("layers.html", html.layersPage(layers)) }
            if let classes = ClassesReportPage.page(html) { add("classes.html", classes) }
            add("cluster-1.1.html", html.clusterPage(HandMade.level2[1][1], parent: HandMade.level1[1], children: []))
        }
        return pages
    }

    /// The insight variant with a credibility model and its figures, and a layer comparison.
    static var full: SavedInterpretation {
        var saved = HandMadeInsight.saved
        saved.results.credibility = CredibilityModel(weights: [1, 0], signals: ["margin"], calibrationSize: 40, calibrationAgreement: 0.9)
        saved.results.credibilityFigures = CredibilityFigures(credibility: saved.records.map { $0.credibility! }, agrees: saved.records.map(\.agrees))
        saved.layers = [LayerFigures(saved.results), LayerFigures(saved.results)]
        saved.layers![1].layer = "conv2"
        // The class summary, as a run computes it from the records (an empty class too).
        saved.analyses[ClassSummary.fileName] = ClassSummary.summarise(saved.records, classes: 3)
        // Image files with characters HTML must escape.
        saved.images = ImageNames(train: .files((0..<10).map { "train/a&b/\($0).png" }),
                                  test: .files(["test/cat/<0>.png", "test/emu/\"1\".png", "test/dog/2's.png"]))
        return saved
    }

    static func report(_ inputs: ReportInputs) -> HTMLReport {
        HTMLReport(inputs: inputs, templates: try! HTMLTemplates(), folder: "/r", grouping: .inte)
    }

    func testPagesRenderAsRecorded() throws {
        let record = ProcessInfo.processInfo.environment["CNN_INTE_RECORD_GOLDEN"] == "1"
        if record { try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true) }
        for (name, html, _) in try Self.pages() {
            let file = Self.folder.appendingPathComponent(name)
            if record { try Data(html.utf8).write(to: file); continue }
            let expected = try String(contentsOf: file, encoding: .utf8)
            XCTAssertTrue(html == expected, "\(name) differs from its golden page (\(Self.firstDifference(html, expected)))")
        }
        XCTAssertFalse(record, "golden pages recorded: read their diff, then run again without CNN_INTE_RECORD_GOLDEN")
    }

    /// The first differing line, for the failure message.
    static func firstDifference(_ a: String, _ b: String) -> String {
        let (x, y) = (a.components(separatedBy: "\n"), b.components(separatedBy: "\n"))
        for i in 0..<max(x.count, y.count) where i >= x.count || i >= y.count || x[i] != y[i] {
            return "line \(i + 1): got \(i < x.count ? x[i] : "(end)") | want \(i < y.count ? y[i] : "(end)")"
        }
        return "same lines"
    }

    /// Every name a page template asks for (`{{name}}`, `{{#name}}`, `{{^name}}`, each part
    /// of `{{a.b}}`) is one some context of these pages provides: a name the code never
    /// provides is a misspelling or a leftover, and would render as nothing.
    func testEveryTemplateNameIsProvided() throws {
        var provided: Set<String> = []
        func collect(_ value: Any) {
            if let dictionary = value as? [String: Any] {
                for (key, inner) in dictionary { provided.insert(key); collect(inner) }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        // The names the contexts provide are the keys they encode to (their property names).
        for page in try Self.pages() { collect(try JSONSerialization.jsonObject(with: JSONEncoder().encode(page.context))) }
        let folder = try HTMLTemplates().folder
        let tag = try NSRegularExpression(pattern: #"\{\{\{?\s*[#^/&]?\s*([A-Za-z0-9_.]+)\s*\}?\}\}"#)
        for page in ["index", "instance", "cluster", "layers", "classes", "layout-head", "layout-foot"] {
            let text = try String(contentsOfFile: folder + "/" + page + ".mustache", encoding: .utf8)
            let names = tag.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { (text as NSString).substring(with: $0.range(at: 1)) }
            XCTAssertFalse(names.isEmpty, page)
            for name in names where name != "." {
                for part in name.split(separator: ".") {
                    XCTAssertTrue(provided.contains(String(part)), "\(page).mustache asks for '\(name)', which no page context provides")
                }
            }
        }
    }
}
