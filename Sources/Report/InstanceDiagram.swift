import Foundation
import Numerics
import Interpretation

/// The DOT text of one test instance's interpretation (docs/METHOD.md,
/// section 6): input -> layer -> level-1 cluster -> level-2 cluster -> forest votes ->
/// CNN-INTE decision, the path in the highlight colour, the CNN's prediction and the truth
/// beside the decision, the runner-up cluster greyed. A pure function of its input: no
/// file is read, nothing is rendered here.
public enum InstanceDiagram {
    public struct Input: Sendable {
        public var record: InstanceRecord
        public var classNames: [String]
        public var layer: String
        public var layerWidth: Int
        public var level1: ClusterNode
        public var level2: ClusterNode
        public var runnerUp: ClusterNode?
        /// What decides the level-1 cluster's instances: its forest, or a constant.
        public var learner: LearnerSummary
        /// Image file names as the DOT refers to them (resolved through `imagepath`).
        public var inputImage: String
        public var level1Prototypes: [String]
        public var level2Prototypes: [String]
        /// Where the forest's box links to (its cluster page's unit cards, relative to the
        /// diagram's folder), when the interpretation has them.
        public var forestLink: String? = nil
        /// The forest was grown on soft labels (`interpret --soft-labels`): its bars are the
        /// mean of its leaves' distributions, not shares of tree votes.
        public var softVotes = false
        /// The test image's file (`test/cat/0003.png`), shown under its index.
        public var inputFile: String? = nil

        public init(record: InstanceRecord, classNames: [String], layer: String, layerWidth: Int, level1: ClusterNode,
                    level2: ClusterNode, runnerUp: ClusterNode?, learner: LearnerSummary, inputImage: String,
                    level1Prototypes: [String], level2Prototypes: [String]) {
            self.record = record
            self.classNames = classNames
            self.layer = layer
            self.layerWidth = layerWidth
            self.level1 = level1
            self.level2 = level2
            self.runnerUp = runnerUp
            self.learner = learner
            self.inputImage = inputImage
            self.level1Prototypes = level1Prototypes
            self.level2Prototypes = level2Prototypes
        }
    }

    /// Most prototypes drawn per cluster, and most classes listed per histogram.
    public static let prototypesShown = 3
    public static let barsShown = 3

    /// The bold face, named as a font rather than through `<B>`: Graphviz 2.42 passes
    /// `<B>` text to Pango as markup, which leaks about 1 KB a diagram. Only the cluster
    /// tree uses it: in the per-instance diagrams a second face costs its own font subset
    /// in every PDF (about 0.2 of 1.9 ms, measured), so headings are set larger instead.
    static let bold = Palette.font + " Bold"

    /// A file name short enough for the input's box: its last 32 characters, marked.
    static func fileLabel(_ file: String) -> String {
        file.count <= 32 ? file : "…" + file.suffix(31)
    }

    /// A heading inside an HTML-like label: one point larger than the text, in black.
    static func heading(_ text: String) -> String { "<FONT POINT-SIZE=\"11\" COLOR=\"#000000\">\(text)</FONT>" }

    /// The node of the forest's votes (or the constant learner), linking to what the forest
    /// looks at when the report has that page.
    static func learnerNode(_ input: Input, name html: (Int) -> String) -> String {
        var rows: [String]
        if case let .forest(trees) = input.learner {
            rows = ["<TR><TD>\(heading("random forest of cluster \(Escaping.dotHTML(input.level1.id))"))</TD></TR>",
                    "<TR><TD>\(trees.counted("tree")) · \(input.softVotes ? "mean leaf distributions (soft labels)" : "vote shares")</TD></TR>"]
        } else {
            rows = ["<TR><TD>\(heading("constant learner of cluster \(Escaping.dotHTML(input.level1.id))"))</TD></TR>",
                    "<TR><TD>its training data all got one prediction</TD></TR>"]
        }
        rows += bars(shares: input.record.votes, name: html)
        let link = input.forestLink.map { ", href=" + Escaping.dotQuoted($0) + ", tooltip=\"what this forest looks at\"" } ?? ""
        return "  learner [label=<" + box(border: Palette.highlight, fill: Palette.highlightFill, rows: rows) + ">" + link + "];"
    }

    public static func dot(_ input: Input) -> String {
        let r = input.record
        func name(_ c: Int) -> String { c < input.classNames.count && c >= 0 ? input.classNames[c] : "\(c)" }
        func html(_ c: Int) -> String { Escaping.dotHTML(name(c)) }
        let agrees = r.agrees
        let cnnRight = r.cnnPrediction == r.label
        let hl = Palette.highlight
        let title = agrees
            ? "Test image #\(r.index): CNN-INTE agrees with the CNN (\(name(r.cnnPrediction)))"
            : "Test image #\(r.index): CNN-INTE (\(name(r.intePrediction))) DISAGREES with the CNN (\(name(r.cnnPrediction)))"
        var lines: [String] = []
        lines.append("digraph instance_\(r.index) {")
        lines.append("  graph [rankdir=LR, bgcolor=\"white\", fontname=\"\(Palette.font)\", fontsize=\(agrees ? 15 : 16), nodesep=0.3, ranksep=0.4, pad=0.15,")
        lines.append("         labelloc=t, fontcolor=\"\(agrees ? Palette.text : Palette.alarm)\", label=\(Escaping.dotQuoted(title))];")
        lines.append("  node [shape=plain, fontname=\"\(Palette.font)\", fontsize=10, fontcolor=\"\(Palette.text)\"];")
        lines.append("  edge [color=\"\(hl)\", penwidth=2.2, arrowsize=0.7];")

        // Input image and true label. HTML-like tables only where a node mixes pictures,
        // bars and text, each with one column or one row (see `clusterBox`).
        lines.append("  input [label=<" + box(border: hl, fill: Palette.highlightFill, rows: [
            "<TR><TD><IMG SRC=\(attr(input.inputImage))/></TD></TR>",
            "<TR><TD>\(heading("test #\(r.index)"))</TD></TR>",
        ] + (input.inputFile.map { ["<TR><TD>\(Escaping.dotHTML(fileLabel($0)))</TD></TR>"] } ?? []) + [
            "<TR><TD>true label: \(html(r.label))</TD></TR>",
        ]) + ">];")
        lines.append("  layer [shape=box, style=filled, color=\"\(hl)\", fillcolor=\"\(Palette.highlightFill)\", margin=\"0.12,0.06\", label="
                     + Escaping.dotQuoted(lines: [input.layer, input.layerWidth.counted("unit")]) + "];")
        lines.append("  l1 [label=<" + clusterBox(title: "level-1 cluster \(Escaping.dotHTML(input.level1.id))", node: input.level1,
                                                    distance: r.route.level1Distances[r.route.level1],
                                                    prototypes: input.level1Prototypes, name: html) + ">];")
        lines.append("  l2 [label=<" + clusterBox(title: "level-2 cluster \(Escaping.dotHTML(input.level2.id))", node: input.level2,
                                                    distance: r.route.level2Distance,
                                                    prototypes: input.level2Prototypes, name: html) + ">];")

        lines.append(learnerNode(input, name: html))

        // The decision, with the CNN and the truth beside it.
        let decisionColor = agrees ? hl : Palette.alarm
        lines.append("  decision [shape=box, style=filled, color=\"\(decisionColor)\", fillcolor=\"\(decisionColor)\", fontcolor=\"white\", "
                     + "fontsize=14, margin=\"0.14,0.08\", label=" + Escaping.dotQuoted("CNN-INTE: \(name(r.intePrediction))") + "];")
        let cnnColor = agrees ? Palette.agree : Palette.alarm
        let cnnText = "CNN: \(name(r.cnnPrediction)) (p = \(String(format: "%.3f", r.cnnProbability))) " + (agrees ? "✓ agrees" : "✗ DISAGREES")
        lines.append("  cnn [" + sideNode(color: cnnColor, alarm: !agrees) + ", label=" + Escaping.dotQuoted(cnnText) + "];")
        let truthColor = cnnRight ? Palette.agree : Palette.alarm
        let truthText = cnnRight ? "truth: \(name(r.label)) ✓ CNN right" : "truth: \(name(r.label)) ✗ CNN wrong"
        lines.append("  truth [" + sideNode(color: truthColor, alarm: !cnnRight) + ", label=" + Escaping.dotQuoted(truthText) + "];")
        if let c = r.credibility {
            // In words as well as colour: high, moderate, or low (a shaky explanation).
            let low = c < CredibilityModel.low
            let text = "credibility \(String(format: "%.0f%%", 100 * c)): \(CredibilityModel.words(c))"
            lines.append("  credibility [" + sideNode(color: low ? Palette.alarm : c >= CredibilityModel.high ? Palette.agree : Palette.muted, alarm: low)
                         + ", label=" + Escaping.dotQuoted(text) + "];")
        }
        if let runner = input.runnerUp, let runnerIndex = r.route.runnerUp {
            let text = "runner-up: level-1 cluster \(runner.id) (mostly \(name(runner.majority))), distance "
                + String(format: "%.2f", r.route.level1Distances[runnerIndex])
            lines.append("  runner [shape=box, color=\"\(Palette.muted)\", fontcolor=\"\(Palette.muted)\", margin=\"0.1,0.04\", label="
                         + Escaping.dotQuoted(text) + "];")
        }

        lines.append("  input -> layer -> l1 -> l2 -> learner -> decision;")
        lines.append("  decision -> cnn [color=\"\(cnnColor)\", penwidth=1.2, arrowhead=none, style=dashed];")
        lines.append("  decision -> truth [color=\"\(truthColor)\", penwidth=1.2, arrowhead=none, style=dashed];")
        if r.credibility != nil {
            lines.append("  decision -> credibility [color=\"\(Palette.muted)\", penwidth=1.2, arrowhead=none, style=dashed];")
        }
        if input.runnerUp != nil {
            lines.append("  layer -> runner [color=\"#BBBBBB\", penwidth=1, style=dashed];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The CNN's and the truth's boxes beside the decision; red, filled and framed heavier when wrong.
    static func sideNode(color: String, alarm: Bool) -> String {
        "shape=box, style=filled, color=\"\(color)\", fillcolor=\"\(alarm ? Palette.alarmFill : "white")\", margin=\"0.1,0.04\""
            + (alarm ? ", fontcolor=\"\(Palette.alarm)\", penwidth=2" : "")
    }

    /// A summary of one cluster: size, distance, prototypes and the CNN's predictions
    /// over its members.
    ///
    /// Every table here has one column or one row: Graphviz 2.42 sizes other tables with
    /// auxiliary graphs it never frees (about 5 KB a diagram, measured), which would make
    /// a long report's memory grow.
    static func clusterBox(title: String, node: ClusterNode, distance: Float, prototypes: [String],
                           name: (Int) -> String) -> String {
        var rows = ["<TR><TD>\(heading(title))</TD></TR>",
                    "<TR><TD>\(node.size.counted("training image")) · distance \(String(format: "%.2f", distance))</TD></TR>"]
        if let images = imageRow(Array(prototypes.prefix(prototypesShown))) { rows.append(images) }
        let total = max(1, node.predictionHistogram.reduce(0, +))
        rows += bars(shares: node.predictionHistogram.map { Double($0) / Double(total) }, name: name)
        return box(border: Palette.highlight, fill: Palette.highlightFill, rows: rows)
    }

    /// A row of images, as a one-row table inside a one-column row.
    static func imageRow(_ images: [String]) -> String? {
        guard !images.isEmpty else { return nil }
        return "<TR><TD><TABLE BORDER=\"0\" CELLPADDING=\"0\" CELLSPACING=\"6\"><TR>"
            + images.map { "<TD><IMG SRC=\(attr($0))/></TD>" }.joined() + "</TR></TABLE></TD></TR>"
    }

    /// The top classes of a share vector as rows of coloured bars, largest first: the bar,
    /// the rest of its 90-point track, then the share and the class name, so bars and
    /// figures line up whatever the names' lengths.
    static func bars(shares: [Double], name: (Int) -> String) -> [String] {
        let order = shares.indices.filter { shares[$0] > 0 }
            .sorted { shares[$0] > shares[$1] || (shares[$0] == shares[$1] && $0 < $1) }.prefix(barsShown)
        return order.map { c in
            let width = max(1, Int((90 * shares[c]).rounded()))
            return "<TR><TD ALIGN=\"LEFT\"><TABLE BORDER=\"0\" CELLPADDING=\"0\" CELLSPACING=\"0\"><TR>"
                + "<TD WIDTH=\"\(width)\" HEIGHT=\"8\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"\(Palette.classColor(c))\"></TD>"
                + "<TD WIDTH=\"\(91 - width)\" HEIGHT=\"8\" FIXEDSIZE=\"TRUE\"></TD>"
                + "<TD ALIGN=\"LEFT\">&nbsp;\(percent(shares[c])) \(name(c))</TD></TR></TABLE></TD></TR>"
        }
    }

    /// A share as a whole percentage; a share that rounds to 0 still shows as present.
    static func percent(_ share: Double) -> String {
        share > 0 && share < 0.005 ? "&lt;1%" : String(format: "%.0f%%", 100 * share)
    }

    static func box(border: String, fill: String, rows: [String]) -> String {
        "<TABLE BORDER=\"1\" COLOR=\"\(border)\" CELLBORDER=\"0\" CELLPADDING=\"3\" BGCOLOR=\"\(fill)\">" + rows.joined() + "</TABLE>"
    }

    /// An attribute value in an HTML-like label, quotes included.
    static func attr(_ value: String) -> String { "\"" + Escaping.html(value) + "\"" }
}
