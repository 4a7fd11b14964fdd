import Interpretation
import XCTest
@testable import Report

/// The DOT emitter is a pure function: exact-string tests on a toy case.
final class InstanceDiagramTests: XCTestCase {
    static func node(_ id: String, level: Int, size: Int, histogram: [Int], prototypes: [Int]) -> ClusterNode {
        let majority = histogram.indices.max { histogram[$0] < histogram[$1] }!
        return ClusterNode(id: id, level: level, size: size, predictionHistogram: histogram, labelHistogram: histogram,
                           majority: majority, purity: Double(histogram[majority]) / Double(size), prototypes: prototypes,
                           meanDistance: 1)
    }

    static func toyInput(classNames: [String] = ["cat", "dog", "emu"], inte: Int = 1, cnn: Int = 1, label: Int = 1) -> InstanceDiagram.Input {
        let record = InstanceRecord(index: 7, label: label, cnnPrediction: cnn, cnnProbability: 0.875,
                                    route: Route(level1: 1, level2: 0, runnerUp: 0, level1Distances: [4.5, 2.25], level2Distance: 1.5),
                                    votes: [0, 0.75, 0.25], intePrediction: inte)
        return InstanceDiagram.Input(
            record: record, classNames: classNames, layer: "fc1", layerWidth: 16,
            level1: node("1", level: 1, size: 40, histogram: [0, 30, 10], prototypes: [3, 4]),
            level2: node("1.0", level: 2, size: 20, histogram: [0, 20, 0], prototypes: [3]),
            runnerUp: node("0", level: 1, size: 60, histogram: [59, 1, 0], prototypes: [9]), learner: .forest(trees: 10),
            inputImage: "img/g-input.png", level1Prototypes: ["img/g-3.png", "img/g-4.png"], level2Prototypes: ["img/g-3.png"])
    }

    func testGoldenDOTOfAnAgreeingInstance() {
        let expected = #"""
        digraph instance_7 {
          graph [rankdir=LR, bgcolor="white", fontname="DejaVu Sans", fontsize=15, nodesep=0.3, ranksep=0.4, pad=0.15,
                 labelloc=t, fontcolor="#1A1A1A", label="Test image #7: CNN-INTE agrees with the CNN (dog)"];
          node [shape=plain, fontname="DejaVu Sans", fontsize=10, fontcolor="#1A1A1A"];
          edge [color="#B85C00", penwidth=2.2, arrowsize=0.7];
          input [label=<<TABLE BORDER="1" COLOR="#B85C00" CELLBORDER="0" CELLPADDING="3" BGCOLOR="#FFF5E8"><TR><TD><IMG SRC="img/g-input.png"/></TD></TR><TR><TD><FONT POINT-SIZE="11" COLOR="#000000">test #7</FONT></TD></TR><TR><TD>true label: dog</TD></TR></TABLE>>];
          layer [shape=box, style=filled, color="#B85C00", fillcolor="#FFF5E8", margin="0.12,0.06", label="fc1\n16 units"];
          l1 [label=<<TABLE BORDER="1" COLOR="#B85C00" CELLBORDER="0" CELLPADDING="3" BGCOLOR="#FFF5E8"><TR><TD><FONT POINT-SIZE="11" COLOR="#000000">level-1 cluster 1</FONT></TD></TR><TR><TD>40 training images · distance 2.25</TD></TR><TR><TD><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="6"><TR><TD><IMG SRC="img/g-3.png"/></TD><TD><IMG SRC="img/g-4.png"/></TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="68" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#56B4E9"></TD><TD WIDTH="23" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;75% dog</TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="23" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#009E73"></TD><TD WIDTH="68" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;25% emu</TD></TR></TABLE></TD></TR></TABLE>>];
          l2 [label=<<TABLE BORDER="1" COLOR="#B85C00" CELLBORDER="0" CELLPADDING="3" BGCOLOR="#FFF5E8"><TR><TD><FONT POINT-SIZE="11" COLOR="#000000">level-2 cluster 1.0</FONT></TD></TR><TR><TD>20 training images · distance 1.50</TD></TR><TR><TD><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="6"><TR><TD><IMG SRC="img/g-3.png"/></TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="90" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#56B4E9"></TD><TD WIDTH="1" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;100% dog</TD></TR></TABLE></TD></TR></TABLE>>];
          learner [label=<<TABLE BORDER="1" COLOR="#B85C00" CELLBORDER="0" CELLPADDING="3" BGCOLOR="#FFF5E8"><TR><TD><FONT POINT-SIZE="11" COLOR="#000000">random forest of cluster 1</FONT></TD></TR><TR><TD>10 trees · vote shares</TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="68" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#56B4E9"></TD><TD WIDTH="23" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;75% dog</TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="23" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#009E73"></TD><TD WIDTH="68" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;25% emu</TD></TR></TABLE></TD></TR></TABLE>>];
          decision [shape=box, style=filled, color="#B85C00", fillcolor="#B85C00", fontcolor="white", fontsize=14, margin="0.14,0.08", label="CNN-INTE: dog"];
          cnn [shape=box, style=filled, color="#007A5A", fillcolor="white", margin="0.1,0.04", label="CNN: dog (p = 0.875) ✓ agrees"];
          truth [shape=box, style=filled, color="#007A5A", fillcolor="white", margin="0.1,0.04", label="truth: dog ✓ CNN right"];
          runner [shape=box, color="#8A8A8A", fontcolor="#8A8A8A", margin="0.1,0.04", label="runner-up: level-1 cluster 0 (mostly cat), distance 4.50"];
          input -> layer -> l1 -> l2 -> learner -> decision;
          decision -> cnn [color="#007A5A", penwidth=1.2, arrowhead=none, style=dashed];
          decision -> truth [color="#007A5A", penwidth=1.2, arrowhead=none, style=dashed];
          layer -> runner [color="#BBBBBB", penwidth=1, style=dashed];
        }

        """#
        XCTAssertEqual(InstanceDiagram.dot(Self.toyInput()), expected)
    }

    func testDisagreementAndMisclassificationStandOut() {
        let dot = InstanceDiagram.dot(Self.toyInput(inte: 2, cnn: 1, label: 0))
        XCTAssertTrue(dot.contains(##"fontsize=16, nodesep"##), dot)
        XCTAssertTrue(dot.contains(##"fontcolor="#C62828", label="Test image #7: CNN-INTE (emu) DISAGREES with the CNN (dog)""##), dot)
        XCTAssertTrue(dot.contains(##"decision [shape=box, style=filled, color="#C62828", fillcolor="#C62828""##), dot)
        XCTAssertTrue(dot.contains(##"cnn [shape=box, style=filled, color="#C62828", fillcolor="#FDECEA", margin="0.1,0.04", fontcolor="#C62828", penwidth=2, label="CNN: dog (p = 0.875) ✗ DISAGREES"]"##), dot)
        XCTAssertTrue(dot.contains(##"label="truth: cat ✗ CNN wrong""##), dot)
        XCTAssertTrue(dot.contains(##"decision -> truth [color="#C62828""##), dot)
    }

    /// Credibility beside the decision, in words as well as colour; none drawn for an
    /// interpretation made before credibilities existed (the golden above).
    func testCredibilityIsShownInWordsAndColour() {
        for (value, line) in [
            (0.97, ##"credibility [shape=box, style=filled, color="#007A5A", fillcolor="white", margin="0.1,0.04", label="credibility 97%: high"];"##),
            (0.9, ##"credibility [shape=box, style=filled, color="#8A8A8A", fillcolor="white", margin="0.1,0.04", label="credibility 90%: moderate"];"##),
            (0.42, ##"credibility [shape=box, style=filled, color="#C62828", fillcolor="#FDECEA", margin="0.1,0.04", fontcolor="#C62828", penwidth=2, label="credibility 42%: low: a shaky explanation"];"##),
        ] {
            var input = Self.toyInput()
            input.record.credibility = value
            let dot = InstanceDiagram.dot(input)
            XCTAssertTrue(dot.contains("  " + line + "\n"), dot)
            XCTAssertTrue(dot.contains(##"  decision -> credibility [color="#8A8A8A", penwidth=1.2, arrowhead=none, style=dashed];"##), dot)
        }
        XCTAssertFalse(InstanceDiagram.dot(Self.toyInput()).contains("credibility"))
    }

    /// With unit cards, the forest's box links to them (in the SVG).
    func testForestBoxLinksToItsUnitCards() {
        var input = Self.toyInput()
        input.forestLink = "../clusters/1.html#forest"
        let dot = InstanceDiagram.dot(input)
        XCTAssertTrue(dot.contains(##"</TABLE>>, href="../clusters/1.html#forest", tooltip="what this forest looks at"];"##), dot)
    }

    func testSoftLabelForestsSayTheirBarsAreLeafDistributions() {
        var input = Self.toyInput()
        XCTAssertTrue(InstanceDiagram.dot(input).contains("<TR><TD>10 trees · vote shares</TD></TR>"))
        input.softVotes = true
        let dot = InstanceDiagram.dot(input)
        XCTAssertTrue(dot.contains("<TR><TD>10 trees · mean leaf distributions (soft labels)</TD></TR>"), dot)
        XCTAssertFalse(dot.contains("vote shares"))
        let record = input.record
        let text = TextPath.render(record, level1: [input.runnerUp!, input.level1], level2: [[], [input.level2]], classNames: input.classNames,
                                   layer: "fc1", layerWidth: 16, learner: .forest(trees: 10), softVotes: true)
        XCTAssertTrue(text.contains("  -> random forest of cluster 1 (10 trees): mean leaf distributions (soft labels) dog 75%, emu 25%"), text)
    }

    func testClassNamesAreEscapedInDOT() throws {
        let nasty = "<script>alert(\"x\")</script>"
        let dot = InstanceDiagram.dot(Self.toyInput(classNames: ["cat", nasty, "a&b\\N\\G"]))
        // In HTML-like labels: entities; in quoted strings: escaped quotes and backslashes.
        XCTAssertTrue(dot.contains("true label: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), dot)
        XCTAssertTrue(dot.contains(#"label="CNN-INTE: <script>alert(\"x\")</script>""#), dot)
        XCTAssertTrue(dot.contains(#"&nbsp;25% a&amp;b\\N\\G</TD>"#), dot)
        // Graphviz reads it back and draws the names as text, never as markup.
        let svg = String(decoding: try Graphviz.shared.render(dot: dot.replacingOccurrences(of: #"<IMG SRC="[^"]*"/>"#, with: "",
                                                                                          options: .regularExpression), format: .svg), as: UTF8.self)
        XCTAssertFalse(svg.contains("<script"), svg)
        XCTAssertTrue(svg.contains("CNN&#45;INTE: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), svg)
        XCTAssertTrue(svg.contains("true label: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), svg)
        // Backslash escapes are Graphviz's (\N: the node's name) unless doubled.
        XCTAssertTrue(svg.contains(#"25% a&amp;b\N\G"#), svg)
    }

    /// An image folder's instance shows its file under its index, escaped, and shortened
    /// to its last 31 characters when long.
    func testInputFileIsShownEscapedAndShortened() {
        var input = Self.toyInput()
        input.inputFile = "test/<cat> & co/1.png"
        XCTAssertTrue(InstanceDiagram.dot(input).contains(
            "test #7</FONT></TD></TR><TR><TD>test/&lt;cat&gt; &amp; co/1.png</TD></TR><TR><TD>true label: dog</TD></TR>"))
        XCTAssertEqual(InstanceDiagram.fileLabel("a/" + String(repeating: "b", count: 40) + ".png"), "…" + String(repeating: "b", count: 27) + ".png")
        XCTAssertFalse(InstanceDiagram.dot(Self.toyInput()).contains("<TR><TD>test/"), "IDX instances have no file row")
    }

    func testEscaping() {
        XCTAssertEqual(Escaping.html(#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        XCTAssertEqual(Escaping.dotQuoted(#"say "hi" \ bye"#), #""say \"hi\" \\ bye""#)
        XCTAssertEqual(Escaping.dotQuoted(lines: ["a\"", "b"]), #""a\"\nb""#)
        XCTAssertEqual(Escaping.javaScript("</script>\"\\\n"), #""\u003C/script\u003E\"\\\n""#)
        XCTAssertEqual(InstanceDiagram.percent(0.001), "&lt;1%")
        XCTAssertEqual(InstanceDiagram.percent(0), "0%")
    }

    func testBookletNamesAreFileSafe() {
        XCTAssertEqual(ReportLayout.booklet(classIndex: 7, classNames: (0..<10).map(String.init)), "digit-7.pdf")
        XCTAssertEqual(ReportLayout.booklet(classIndex: 0, classNames: ["T-shirt/top", "Trouser"]), "t-shirt-top.pdf")
        XCTAssertEqual(ReportLayout.booklet(classIndex: 1, classNames: ["a/b", "a b"]), "a-b-1.pdf")
        XCTAssertEqual(ReportLayout.booklet(classIndex: 0, classNames: ["../..", "x"]), "class.pdf")
        // Names whose safe forms coincide never share a file.
        XCTAssertEqual(ReportLayout.booklets(classNames: ["0", "1", "digit-1"]), ["digit-0.pdf", "digit-1-1.pdf", "digit-1-2.pdf"])
        XCTAssertEqual(ReportLayout.booklets(classNames: ["X", "x-3", "x", "x-2"]), ["x-0.pdf", "x-3.pdf", "x-2-2.pdf", "x-2-3.pdf"])
        let long = String(repeating: "ab", count: 200)
        let names = ReportLayout.booklets(classNames: [long, long + "c", "z"])
        XCTAssertEqual(Set(names).count, 3)
        XCTAssertTrue(names.allSatisfy { $0.utf8.count <= 110 }, "\(names)")
    }
}
