import Foundation
import Interpretation

/// Draws the diagrams of a share of the test instances: their DOT text, text twin, PNG,
/// SVG and PDF, and the booklets they belong to. Instances are shared out by booklet
/// class (class c goes to shard c mod n), so each booklet is written by one process and
/// every instance is drawn once. Graphviz is not thread-safe: shards run as processes.
/// A cluster splits the same work two ways instead (`drawInstances` by ranges of
/// instances, `writeBooklets` by class), laying each instance out twice.
public struct DiagramShard {
    public var shard: Int
    public var shards: Int
    public var dpi: Double
    public var grouping: BookletGrouping

    public init(shard: Int, shards: Int, dpi: Double, grouping: BookletGrouping) {
        self.shard = shard
        self.shards = shards
        self.dpi = dpi
        self.grouping = grouping
    }

    /// The booklet classes of this shard.
    public func classes(of inputs: ReportInputs) -> [Int] {
        (0..<inputs.classNames.count).filter { $0 % shards == shard }
    }

    /// The instances of booklet class `c`, in order.
    func members(of c: Int, _ inputs: ReportInputs) -> [Int] {
        inputs.saved.records.filter { inputs.bookletClass(of: $0, by: grouping) == c }.map(\.index)
    }

    /// Writes into `reportFolder` (its `diagrams/`) and `pdfFolder`, both staging folders.
    /// `pages`, when given, writes each instance's HTML page as its diagrams are drawn.
    public func run(_ inputs: ReportInputs, reportFolder: String, pdfFolder: String, pages: HTMLReport? = nil,
                    progress: (_ done: Int) -> Void) throws {
        let drawer = try InstanceDrawer(inputs: inputs, reportFolder: reportFolder, dpi: dpi)
        var done = 0
        for c in classes(of: inputs) {
            try booklet(c, inputs, pdfFolder: pdfFolder) { booklet, i in
                try drawer.draw(i, booklet: booklet, pages: pages)
                done += 1
                progress(done)
            }
        }
    }

    /// Draws instances `indices`' diagrams and pages, no booklet (a cluster's diagram shard).
    public func drawInstances(_ indices: [Int], _ inputs: ReportInputs, reportFolder: String, pages: HTMLReport?,
                              progress: (_ done: Int) -> Void) throws {
        let drawer = try InstanceDrawer(inputs: inputs, reportFolder: reportFolder, dpi: dpi)
        for (n, i) in indices.enumerated() {
            try drawer.draw(i, booklet: nil, pages: pages)
            progress(n + 1)
        }
    }

    /// Writes this shard's booklets, laying each instance out again (a cluster's booklet
    /// shard); the pictures the diagrams show go to `reportFolder`'s image folder.
    public func writeBooklets(_ inputs: ReportInputs, reportFolder: String, pdfFolder: String, progress: (_ done: Int) -> Void) throws {
        let drawer = try InstanceDrawer(inputs: inputs, reportFolder: reportFolder, dpi: dpi)
        var done = 0
        for c in classes(of: inputs) {
            try booklet(c, inputs, pdfFolder: pdfFolder) { booklet, i in
                try drawer.page(i, booklet: booklet)
                done += 1
                progress(done)
            }
        }
    }

    /// Booklet `c`: its cover, then `page` for each member, in order.
    func booklet(_ c: Int, _ inputs: ReportInputs, pdfFolder: String, page: (CairoPDF, Int) throws -> Void) throws {
        let members = members(of: c, inputs)
        let bookletPath = (pdfFolder as NSString).appendingPathComponent(ReportLayout.booklet(classIndex: c, classNames: inputs.classNames))
        let booklet = try CairoPDF(path: bookletPath, width: Booklet.pageWidth, height: Booklet.pageHeight)
        Booklet.cover(booklet, classIndex: c, members: members, inputs: inputs, grouping: grouping)
        for i in members { try page(booklet, i) }
        try booklet.finish()
    }
}

/// One instance's diagram laid out and drawn: its files and page, and its booklet page.
struct InstanceDrawer {
    let inputs: ReportInputs
    let diagramsFolder: String
    let images: ImageStore
    let dpi: Double

    init(inputs: ReportInputs, reportFolder: String, dpi: Double) throws {
        self.inputs = inputs
        self.diagramsFolder = (reportFolder as NSString).appendingPathComponent(ReportLayout.diagrams)
        self.images = try ImageStore(folder: (reportFolder as NSString).appendingPathComponent(ReportLayout.images),
                                     prefix: ReportLayout.imagePrefix)
        self.dpi = dpi
    }

    /// The instance's DOT and its text twin.
    func diagram(_ i: Int) throws -> (dot: String, text: String) {
        (InstanceDiagram.dot(try inputs.diagramInput(i, images: images)), inputs.saved.text(for: i))
    }

    /// Writes instance `i`'s DOT, text, PNG, SVG and PDF (and its booklet page, when given)
    /// from one layout, draws its nearest training images and writes its HTML page.
    func draw(_ i: Int, booklet: CairoPDF?, pages: HTMLReport?) throws {
        let (dot, text) = try diagram(i)
        let base = (diagramsFolder as NSString).appendingPathComponent("\(i)")
        try FileWriter.write(dot, to: base + ".dot")
        try FileWriter.write(text + "\n", to: base + ".txt")
        let absolute = ReportLayout.withAbsoluteImages(dot, diagramsFolder: diagramsFolder)
        try Graphviz.shared.withLayout(dot: absolute) { graph in
            try ReportLayout.writeRenderings(of: graph, to: base, dpi: dpi, diagramsFolder: diagramsFolder)
            if let booklet { try page(i, graph: graph, text: text, booklet: booklet) }
        }
        // The instance page shows its nearest training images: draw them once.
        for n in inputs.saved.nearest(to: i) {
            _ = try images.image(inputs.trainImage(n.trainIndex), rows: inputs.dataset.rows, columns: inputs.dataset.columns,
                                 channels: inputs.dataset.channels)
        }
        try pages?.writeInstancePage(i)
    }

    /// Instance `i`'s booklet page alone, from a layout of its own.
    func page(_ i: Int, booklet: CairoPDF) throws {
        let (dot, text) = try diagram(i)
        try Graphviz.shared.withLayout(dot: ReportLayout.withAbsoluteImages(dot, diagramsFolder: diagramsFolder)) { graph in
            try page(i, graph: graph, text: text, booklet: booklet)
        }
    }

    func page(_ i: Int, graph: Graphviz.LaidOutGraph, text: String, booklet: CairoPDF) throws {
        try booklet.newPage()
        try Booklet.instancePage(booklet, graph: graph, text: text, record: inputs.saved.records[i], classNames: inputs.classNames)
    }
}
