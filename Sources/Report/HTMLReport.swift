import Foundation
import Numerics
import Interpretation
import OutputFolders

/// The static HTML report: the summary page with the instance browser, one page per test
/// instance and one per cluster. Every link is relative and every byte is local (no CDN,
/// no fetch): the data the browser filters is a script file loaded by a `<script>` tag,
/// which works from `file://`.
public struct HTMLReport {
    public let inputs: ReportInputs
    public let templates: HTMLTemplates
    public let folder: String
    public let grouping: BookletGrouping
    public var generator = ""
    /// What the report is drawn from: "interpretation" and "model" SHA-256s.
    public var sources: [String: String] = [:]
    public var treeNote: String?
    /// The layer map's drawing, placed once (its bounds scan every point): the summary's
    /// figures and every instance page's marker use it.
    let mapChart: LayerMapChart?

    public init(inputs: ReportInputs, templates: HTMLTemplates, folder: String, grouping: BookletGrouping) {
        self.inputs = inputs
        self.templates = templates
        self.folder = folder
        self.grouping = grouping
        mapChart = inputs.saved.map.map(LayerMapChart.init)
    }

    var saved: SavedInterpretation { inputs.saved }
    var names: [String] { inputs.classNames }

    static func percent(_ x: Double?) -> String { x.map { String(format: "%.2f%%", 100 * $0) } ?? "n/a" }

    /// What every page's layout shows; `root` leads back to the report's folder.
    func frame(title: String, root: String) -> PageFrame {
        PageFrame(title: title, root: root, dataName: saved.dataName.isEmpty ? "data" : saved.dataName, layer: saved.layer,
                  nTest: saved.records.count, generator: generator, madeFrom: madeFrom)
    }

    /// "interpretation 1a2b3c4d5e6f of model 0f9e8d7c6b5a": short SHA-256s of what the
    /// report was drawn from (the full ones are in the report's .cnn-inte.json).
    var madeFrom: String {
        var parts: [String] = []
        if let i = sources["interpretation"] { parts.append("interpretation \(i.prefix(12))") }
        if let m = sources["model"] { parts.append("of model \(m.prefix(12))") }
        return parts.joined(separator: " ")
    }

    func write(_ text: String, to relative: String) throws {
        let path = (folder as NSString).appendingPathComponent(relative)
        let folder = (path as NSString).deletingLastPathComponent
        do { try Folders.make(folder) } catch {
            throw ReportError.write(path: folder, problem: "cannot be created (\(error.localizedDescription))")
        }
        try FileWriter.write(text, to: path)
    }

    public func writeAll(k1: Int, k2: Int, progress: (String) -> Void) throws {
        for asset in HTMLTemplates.assets {
            let source = (templates.folder as NSString).appendingPathComponent(asset)
            guard let data = FileManager.default.contents(atPath: source) else {
                throw ReportError.templates(path: source, problem: "cannot be read")
            }
            try write(String(decoding: data, as: UTF8.self), to: asset)
        }
        try writeFigures()
        // Instance pages are written by the shards, beside the diagrams (in parallel).
        try write(dataScript(), to: "data.js")
        try write(templates.render(indexPage(k1: k1, k2: k2)), to: "index.html")
        try ReportPages.writeAll(self, figures: (folder as NSString).appendingPathComponent(ReportLayout.figures))
        progress("HTML: summary and browser written")
        for (c, node) in saved.level1.enumerated() {
            try write(templates.render(clusterPage(node, parent: nil, children: saved.level2[c])), to: ReportLayout.clusterPage(node.id))
            for child in saved.level2[c] {
                try write(templates.render(clusterPage(child, parent: node, children: [])), to: ReportLayout.clusterPage(child.id))
            }
        }
        progress("HTML: \(saved.level1.count + saved.level2.reduce(0) { $0 + $1.count }) cluster pages written")
    }

    /// The page of test instance `i`; the shards write these beside its diagrams.
    public func writeInstancePage(_ i: Int) throws {
        try write(templates.render(instancePage(i)), to: ReportLayout.instancePage(i))
    }

    func writeFigures() throws {
        let figures = (folder as NSString).appendingPathComponent(ReportLayout.figures)
        do { try Folders.make(figures) } catch {
            throw ReportError.write(path: figures, problem: "cannot be created (\(error.localizedDescription))")
        }
        try Charts.confusionMatrix(saved.metrics.confusionCnnVsTruth, classNames: names, rowTitle: "true label",
                                   columnTitle: "CNN prediction", path: (figures as NSString).appendingPathComponent("confusion-cnn-vs-truth.png"))
        try Charts.confusionMatrix(saved.metrics.confusionInteVsCnn, classNames: names, rowTitle: "CNN prediction",
                                   columnTitle: "CNN-INTE prediction", path: (figures as NSString).appendingPathComponent("confusion-inte-vs-cnn.png"))
        // The unit cards' histograms and pictures (the cluster pages show them).
        if saved.units.contains(where: { !$0.units.isEmpty }) {
            let images = try ImageStore(folder: (folder as NSString).appendingPathComponent(ReportLayout.images), prefix: ReportLayout.imagePrefix)
            for entry in saved.units {
                for card in entry.units {
                    try UnitCharts.histogram(card, path: (figures as NSString).appendingPathComponent("unit-\(entry.cluster)-\(card.unit).png"))
                    for t in card.topImages {
                        _ = try images.image(inputs.trainImage(t), rows: inputs.dataset.rows, columns: inputs.dataset.columns,
                                             channels: inputs.dataset.channels)
                    }
                }
            }
        }
        if let chart = mapChart {
            func figure(_ name: String) -> String { (figures as NSString).appendingPathComponent(name) }
            try chart.writePNG(records: saved.records, path: figure("map.png"))
            try chart.writeTrainingPNG(path: figure("map-train.png"))
            try FileWriter.write(chart.svg(records: saved.records, background: "map-train.png",
                                           instancePage: { "../" + ReportLayout.instancePage($0) }, classNames: names), to: figure("map.svg"))
            for c in saved.level1.indices { try chart.writeClusterPNG(c, path: figure("map-cluster-\(c).png")) }
        }
        if let credibility = saved.results.credibilityFigures {
            try CredibilityCharts.reliability(credibility, path: (figures as NSString).appendingPathComponent("reliability.png"))
            try CredibilityCharts.coverage(credibility, fidelity: saved.metrics.fidelity,
                                           path: (figures as NSString).appendingPathComponent("coverage.png"))
        }
    }

    /// Where the picture of a test or training image is, relative to the report's folder
    /// (the shards and `ReportBuilder.prepare` wrote the files).
    func picture(_ pixels: ArraySlice<UInt8>) -> String {
        ReportLayout.diagrams + "/" + ImageStore.name(pixels, rows: inputs.dataset.rows, columns: inputs.dataset.columns, channels: inputs.dataset.channels)
    }

    /// `window.CNNINTE = {classes, clusters, rows}`; a row is
    /// [index, true, cnn, p, inte, vote share of inte, level1, level2, thumbnail, credibility (-1: none),
    /// the image's file ("" where its index names it)].
    func dataScript() -> String {
        var out = "// One row per test instance: index, true, CNN, CNN probability, CNN-INTE, its vote share, level-1, level-2, thumbnail, credibility, file.\n"
        out += "window.CNNINTE = {\n\"classes\": [" + names.map(Escaping.javaScript).joined(separator: ",") + "],\n"
        var clusterIDs: [String] = []
        for (c, node) in saved.level1.enumerated() { clusterIDs.append(node.id); clusterIDs += saved.level2[c].map(\.id) }
        out += "\"clusters\": [" + clusterIDs.map(Escaping.javaScript).joined(separator: ",") + "],\n\"rows\": [\n"
        out += saved.records.map { r in
            "[\(r.index),\(r.label),\(r.cnnPrediction),\(String(format: "%.4f", r.cnnProbability)),\(r.intePrediction),"
                + "\(String(format: "%.3f", r.votes[r.intePrediction])),\(r.route.level1),\(r.route.level2),"
                + Escaping.javaScript(picture(inputs.testImage(r.index))) + "," + String(format: "%.4f", r.credibility ?? -1) + ","
                + Escaping.javaScript(saved.images?.test(r.index) ?? "") + "]"
        }.joined(separator: ",\n")
        return out + "\n]};\n"
    }

    func indexPage(k1: Int, k2: Int) -> Page<IndexPage> {
        let m = saved.metrics
        let records = saved.records
        var credibility: IndexPage.CredibilitySummary?
        if let f = saved.results.credibilityFigures, let model = saved.results.credibility {
            credibility = .init(calibrationSize: model.calibrationSize, ece: String(format: "%.3f", f.ece),
                                auroc: f.auroc.map { String(format: "%.3f", $0) } ?? "n/a (every instance agrees)",
                                fidelity95: Self.percent(f.selectiveFidelity95), coverage95: Self.percent(f.selectiveCoverage95),
                                fidelity98: Self.percent(f.selectiveFidelity98), coverage98: Self.percent(f.selectiveCoverage98))
        }
        let classes = names.indices.map { c -> IndexPage.ClassRow in
            let mine = records.filter { $0.label == c }
            let n = mine.count
            let file = ReportLayout.booklet(classIndex: c, classNames: names)
            return .init(name: names[c], color: Palette.classColor(c), count: n,
                         cnnAccuracy: Self.percent(n == 0 ? nil : Double(mine.filter { $0.cnnPrediction == c }.count) / Double(n)),
                         inteAccuracy: Self.percent(n == 0 ? nil : Double(mine.filter { $0.intePrediction == c }.count) / Double(n)),
                         fidelity: Self.percent(c < m.fidelityPerClass.count ? m.fidelityPerClass[c] : nil),
                         booklet: "../pdf/" + file, bookletName: file)
        }
        let body = IndexPage(
            layerWidth: saved.layerWidth, k1: k1, k2: k2, cnnAccuracy: Self.percent(m.cnnTestAccuracy),
            inteAccuracy: Self.percent(m.inteTestAccuracy), fidelity: Self.percent(m.fidelity),
            disagreements: records.filter { !$0.agrees }.count, cnnErrors: records.filter { $0.cnnPrediction != $0.label }.count,
            layersCompared: saved.layers.map { $0.map(\.layer).joined(separator: ", ") }, pages: ReportPages.links(self),
            map: saved.map.map { .init(points: $0.trainLevel1.count + records.count) }, credibility: credibility,
            trainCount: saved.level1.reduce(0) { $0 + $1.size }, bookletGrouping: grouping == .inte ? "CNN-INTE prediction" : "true label",
            classes: classes, clusters: saved.level1.map { chip($0, root: "") }, treeNote: treeNote)
        return Page(frame: frame(title: "cnn-inte report: \(saved.dataName)", root: ""), body: body)
    }

    func chip(_ node: ClusterNode, root: String) -> ClusterChip {
        ClusterChip(id: node.id, size: node.size, majority: names[node.majority], color: Palette.classColor(node.majority),
                    href: root + ReportLayout.clusterPage(node.id))
    }

    func trainingPicture(_ t: Int) -> TrainingPicture { TrainingPicture(train: t, name: saved.trainName(t), src: picture(inputs.trainImage(t))) }

    func instancePage(_ i: Int) -> Page<InstancePage> {
        let r = saved.records[i]
        let neighbours = saved.nearest(to: i)
        let c1 = saved.level1[r.route.level1], c2 = saved.level2[r.route.level1][r.route.level2]
        let (hasPrevious, hasNext) = (i > 0, i + 1 < saved.records.count)
        let body = InstancePage(
            index: i, file: saved.images?.test(i), truth: names[r.label], cnn: names[r.cnnPrediction], inte: names[r.intePrediction],
            probability: String(format: "%.3f", r.cnnProbability), agrees: r.agrees, cnnRight: r.cnnPrediction == r.label,
            credibility: r.credibility.map { .init(value: String(format: "%.0f%%", 100 * $0), words: CredibilityModel.words($0), low: $0 < CredibilityModel.low) },
            png: ReportLayout.diagram(i, "png"), svg: ReportLayout.diagram(i, "svg"), pdf: ReportLayout.diagram(i, "pdf"),
            dot: ReportLayout.diagram(i, "dot"), txt: ReportLayout.diagram(i, "txt"),
            map: mapChart.map { chart in
                let spot = chart.share(ofTest: i)
                return .init(left: String(format: "%.2f", 100 * spot.x), top: String(format: "%.2f", 100 * spot.y))
            },
            neighbours: neighbours.isEmpty ? nil : .init(layer: saved.layer, items: neighbours.map { n in
                .init(picture: picture(inputs.trainImage(n.trainIndex)), index: n.trainIndex, name: saved.trainName(n.trainIndex),
                      cnn: names[n.cnnPrediction], distance: String(format: "%.2f", n.distance))
            }),
            text: saved.text(for: i), level1: c1.id, level2: c2.id,
            level1Page: ReportLayout.clusterPage(c1.id), level2Page: ReportLayout.clusterPage(c2.id),
            previous: hasPrevious ? "\(i - 1).html" : nil, previousIndex: hasPrevious ? i - 1 : nil,
            next: hasNext ? "\(i + 1).html" : nil, nextIndex: hasNext ? i + 1 : nil)
        return Page(frame: frame(title: "Test image #\(i)", root: "../"), body: body)
    }

    /// A permutation importance in words: the change in agreement when the unit is shuffled.
    static func agreementChange(_ drop: Double) -> String {
        let points = 100 * drop
        if abs(points) < 0.05 { return drop == 0 ? "agreement unchanged" : "agreement changes by under 0.1 points" }
        return String(format: "agreement %+.1f points", -points)
    }

    func layersPage(_ layers: [LayerFigures]) -> Page<LayersPage> {
        let rows = layers.map { l in
            LayersPage.Row(name: l.layer, primary: l.layer == saved.layer, width: l.width, fidelity: Self.percent(l.fidelity),
                           inteAccuracy: Self.percent(l.inteAccuracy), gap: String(format: "%.2f points", l.accuracyGapPoints),
                           purity1: Self.percent(l.purityLevel1Test), purity2: Self.percent(l.purityLevel2Test),
                           nodes: l.forestNodes.map { "\($0)" } ?? "n/a", high: Self.percent(l.credibilityHighCoverage),
                           highFidelity: Self.percent(l.credibilityHighFidelity), auroc: l.credibilityAuroc.map { String(format: "%.3f", $0) } ?? "n/a",
                           seconds: String(format: "%.1f", l.seconds))
        }
        return Page(frame: frame(title: "cnn-inte report: layers compared", root: ""),
                    body: LayersPage(count: layers.count, primary: saved.layer, cnnAccuracy: Self.percent(layers.first?.cnnAccuracy), layers: rows))
    }

    func clusterPage(_ node: ClusterNode, parent: ClusterNode?, children: [ClusterNode]) -> Page<ClusterPage> {
        let levelName = node.level == 1 ? "Level-1 cluster" : "Level-2 cluster"
        let top = max(1, node.predictionHistogram.max() ?? 1)
        let composition = names.indices.filter { node.predictionHistogram[$0] > 0 || node.labelHistogram[$0] > 0 }.map { c in
            ClusterPage.Composition(name: names[c], color: Palette.classColor(c), predicted: node.predictionHistogram[c], truth: node.labelHistogram[c],
                                    width: String(format: "%.1f", 100 * Double(node.predictionHistogram[c]) / Double(top)))
        }
        var map: ClusterPage.MapPicture?
        if saved.map != nil, let first = node.id.split(separator: ".").first, let c = Int(first) {
            map = .init(src: ReportLayout.figures + "/map-cluster-\(c).png", cluster: c)
        }
        let parts = node.id.split(separator: ".").compactMap { Int($0) }
        let members = saved.records.filter { $0.route.level1 == parts[0] && (parts.count < 2 || $0.route.level2 == parts[1]) }
        let body = ClusterPage(
            levelName: levelName, id: node.id, size: node.size, purity: Self.percent(node.purity), majority: names[node.majority],
            meanDistance: String(format: "%.2f", node.meanDistance), parent: parent?.id,
            parentHref: parent.map { "../" + ReportLayout.clusterPage($0.id) }, hasChildren: !children.isEmpty,
            children: children.map { chip($0, root: "../") }, composition: composition, prototypes: node.prototypes.map(trainingPicture),
            map: map, forest: forestCards(node), testCount: members.count,
            members: members.map { r in
                .init(index: r.index, name: saved.testName(r.index), href: ReportLayout.instancePage(r.index), thumb: picture(inputs.testImage(r.index)),
                      truth: names[r.label], cnn: names[r.cnnPrediction], inte: names[r.intePrediction],
                      status: !r.agrees ? "disagree" : (r.cnnPrediction != r.label ? "wrong" : ""))
            })
        return Page(frame: frame(title: "\(levelName) \(node.id)", root: "../"), body: body)
    }

    /// The unit cards of a level-1 cluster's forest, when the interpretation made them.
    func forestCards(_ node: ClusterNode) -> ClusterPage.Forest? {
        guard node.level == 1, let c = saved.level1.firstIndex(where: { $0.id == node.id }),
              let entry = saved.units.first(where: { $0.cluster == c }), !entry.units.isEmpty else { return nil }
        return .init(heldOut: entry.heldOut, layer: saved.layer, cards: entry.units.map { card in
            .init(unit: card.unit, impurity: String(format: "%.1f%%", 100 * card.impurity),
                  permutation: card.permutation.map(Self.agreementChange) ?? "not measured",
                  histogram: ReportLayout.figures + "/unit-\(c)-\(card.unit).png", images: card.topImages.map(trainingPicture))
        })
    }
}
