import Foundation
import Interpretation

/// The report stage in three steps. `prepare` writes what every shard needs (prototype
/// images) and the cluster-tree diagram; the shards (in this process or in workers) draw
/// the instances and booklets; `finish` writes the HTML, which links to all of it.
public struct ReportBuilder {
    public let inputs: ReportInputs
    public let dpi: Double
    public let grouping: BookletGrouping
    /// What the report is drawn from (`ReportRun.sources`), said on every page.
    public let sources: [String: String]
    /// Set by `prepare` when the cluster tree's PNG had to be drawn at a lower resolution.
    public private(set) var treeNote: String?

    public init(inputs: ReportInputs, dpi: Double, grouping: BookletGrouping, sources: [String: String] = [:]) {
        self.inputs = inputs
        self.dpi = dpi
        self.grouping = grouping
        self.sources = sources
    }

    /// Returns a note when the tree's PNG is drawn at less than the requested resolution.
    @discardableResult
    public mutating func prepare(reportFolder: String) throws -> String? {
        let saved = inputs.saved
        let images = try ImageStore(folder: (reportFolder as NSString).appendingPathComponent(ReportLayout.images),
                                    prefix: ReportLayout.imagePrefix)
        var prototypes: [String: [String]] = [:]
        for node in saved.level1 + saved.level2.flatMap({ $0 }) {
            prototypes[node.id] = try node.prototypes.map {
                try images.image(inputs.trainImage($0), rows: inputs.dataset.rows, columns: inputs.dataset.columns, channels: inputs.dataset.channels)
            }
        }
        let root = ClusterNode(id: "root", level: 0, size: saved.level1.reduce(0) { $0 + $1.size },
                               predictionHistogram: sum(saved.level1.map(\.predictionHistogram)),
                               labelHistogram: sum(saved.level1.map(\.labelHistogram)), majority: 0, purity: 0,
                               prototypes: [], meanDistance: 0)
        let dot = GlobalDiagram.dot(.init(root: root, level1: saved.level1, level2: saved.level2, classNames: inputs.classNames,
                                          layer: saved.layer, layerWidth: saved.layerWidth, prototypes: prototypes))
        let diagrams = (reportFolder as NSString).appendingPathComponent(ReportLayout.diagrams)
        let base = (diagrams as NSString).appendingPathComponent("tree")
        try FileWriter.write(dot, to: base + ".dot")
        let pngDPI = try Graphviz.shared.withLayout(dot: ReportLayout.withAbsoluteImages(dot, diagramsFolder: diagrams)) { graph in
            try ReportLayout.writeRenderings(of: graph, to: base, dpi: dpi, diagramsFolder: diagrams)
            return graph.pngDPI(dpi)
        }
        if pngDPI < dpi {
            treeNote = String(format: "The cluster tree's PNG is drawn at %.0f dpi, not %.0f: larger, it would pass the %.0f pixels a side or %.0f million pixels a picture may have. Its SVG and PDF are vectors, sharp at any size.",
                              pngDPI, dpi, Graphviz.LaidOutGraph.maximumPNGSide, Graphviz.LaidOutGraph.maximumPNGPixels / 1e6)
        }
        return treeNote
    }

    public func shard(_ shard: Int, of shards: Int) -> DiagramShard {
        DiagramShard(shard: shard, shards: shards, dpi: dpi, grouping: grouping)
    }

    /// The HTML writer for a report folder; the shards use it for the instance pages.
    public func html(reportFolder: String, templates: HTMLTemplates, generator: String) -> HTMLReport {
        var html = HTMLReport(inputs: inputs, templates: templates, folder: reportFolder, grouping: grouping)
        html.generator = generator
        html.sources = sources
        html.treeNote = treeNote
        return html
    }

    public func finish(reportFolder: String, templates: HTMLTemplates, generator: String, progress: (String) -> Void) throws {
        let html = html(reportFolder: reportFolder, templates: templates, generator: generator)
        try html.writeAll(k1: inputs.saved.level1.count, k2: inputs.saved.level2.map(\.count).max() ?? 0, progress: progress)
    }

    private func sum(_ histograms: [[Int]]) -> [Int] {
        var total = [Int](repeating: 0, count: inputs.classNames.count)
        for h in histograms { for (c, v) in h.enumerated() where c < total.count { total[c] += v } }
        return total
    }
}
