import Foundation
import Numerics
import Interpretation

/// The DOT text of the whole cluster tree, drawn once: root -> level-1 clusters ->
/// level-2 clusters, each with its size, the CNN's predictions over its members as bars
/// and its prototypes. A pure function of its input.
public enum GlobalDiagram {
    public struct Input: Sendable {
        public var root: ClusterNode
        public var level1: [ClusterNode]
        public var level2: [[ClusterNode]]
        public var classNames: [String]
        public var layer: String
        public var layerWidth: Int
        /// Prototype image file names by node id.
        public var prototypes: [String: [String]]

        public init(root: ClusterNode, level1: [ClusterNode], level2: [[ClusterNode]], classNames: [String], layer: String,
                    layerWidth: Int, prototypes: [String: [String]]) {
            self.root = root
            self.level1 = level1
            self.level2 = level2
            self.classNames = classNames
            self.layer = layer
            self.layerWidth = layerWidth
            self.prototypes = prototypes
        }
    }

    public static func dot(_ input: Input) -> String {
        func name(_ c: Int) -> String { Escaping.dotHTML(c < input.classNames.count && c >= 0 ? input.classNames[c] : "\(c)") }
        var lines = [
            "digraph cluster_tree {",
            "  graph [rankdir=LR, bgcolor=\"white\", fontname=\"\(Palette.font)\", fontsize=15, nodesep=0.12, ranksep=0.6, pad=0.2,",
            "         labelloc=t, label=<The cluster tree of \(Escaping.dotHTML(input.layer)) (\(input.layerWidth.counted("unit"))): \(input.root.size.counted("training image"))>];",
            "  node [shape=plain, fontname=\"\(Palette.font)\", fontsize=10, fontcolor=\"\(Palette.text)\"];",
            "  edge [color=\"#9A9A9A\", penwidth=1.2, arrowsize=0.6];",
        ]
        lines.append("  root [label=<" + InstanceDiagram.box(border: Palette.text, fill: "white", rows: [
            "<TR><TD><FONT FACE=\"\(InstanceDiagram.bold)\">all training images</FONT></TD></TR>",
            "<TR><TD>\(input.root.size.counted("image"))</TD></TR>",
        ] + InstanceDiagram.bars(shares: shares(input.root), name: name)) + ">];")
        for (c, node) in input.level1.enumerated() {
            lines.append("  \(id(node)) [label=<" + nodeBox(node, title: "level-1 cluster \(Escaping.dotHTML(node.id))",
                                                             prototypes: input.prototypes[node.id] ?? [], shown: 3, name: name) + ">];")
            lines.append("  root -> \(id(node)) [penwidth=\(String(format: "%.1f", 0.8 + 4 * Double(node.size) / Double(max(1, input.root.size))))];")
            for child in c < input.level2.count ? input.level2[c] : [] {
                lines.append("  \(id(child)) [label=<" + leafBox(child, prototypes: input.prototypes[child.id] ?? [], name: name) + ">];")
                lines.append("  \(id(node)) -> \(id(child));")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func shares(_ node: ClusterNode) -> [Double] {
        let total = max(1, node.predictionHistogram.reduce(0, +))
        return node.predictionHistogram.map { Double($0) / Double(total) }
    }

    static func nodeBox(_ node: ClusterNode, title: String, prototypes: [String], shown: Int, name: (Int) -> String) -> String {
        var rows = ["<TR><TD><FONT FACE=\"\(InstanceDiagram.bold)\">\(title)</FONT></TD></TR>",
                    "<TR><TD>\(node.size.counted("image")) · purity \(String(format: "%.0f%%", 100 * node.purity))</TD></TR>"]
        if let images = InstanceDiagram.imageRow(Array(prototypes.prefix(shown))) { rows.append(images) }
        rows += InstanceDiagram.bars(shares: shares(node), name: name)
        return InstanceDiagram.box(border: "#5A5A5A", fill: "white", rows: rows)
    }

    /// A level-2 cluster on one line: two prototypes, its id and size, and its majority
    /// as a bar, so fifty of them stack into a readable column.
    static func leafBox(_ node: ClusterNode, prototypes: [String], name: (Int) -> String) -> String {
        let images = prototypes.prefix(2).map { "<TD><IMG SRC=\(InstanceDiagram.attr($0))/></TD>" }.joined()
        let share = shares(node)[node.majority]
        let width = max(1, Int((60 * share).rounded()))
        return "<TABLE BORDER=\"1\" COLOR=\"#5A5A5A\" CELLBORDER=\"0\" CELLPADDING=\"2\" BGCOLOR=\"white\"><TR>" + images
            + "<TD ALIGN=\"LEFT\"><FONT FACE=\"\(InstanceDiagram.bold)\">\(Escaping.dotHTML(node.id))</FONT><BR ALIGN=\"LEFT\"/>\(node.size.counted("image"))<BR ALIGN=\"LEFT\"/></TD>"
            + "<TD ALIGN=\"LEFT\">\(name(node.majority))&nbsp;</TD>"
            + "<TD WIDTH=\"\(width)\" HEIGHT=\"8\" FIXEDSIZE=\"TRUE\" BGCOLOR=\"\(Palette.classColor(node.majority))\"></TD>"
            + "<TD ALIGN=\"LEFT\">\(InstanceDiagram.percent(share))</TD></TR></TABLE>"
    }

    /// A DOT node id for a cluster id ("3.2" -> n3_2).
    static func id(_ node: ClusterNode) -> String { "n" + node.id.replacingOccurrences(of: ".", with: "_") }
}
