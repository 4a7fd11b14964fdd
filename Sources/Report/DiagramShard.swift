import Foundation
import Interpretation

/// Draws the diagrams of a share of the test instances: their DOT text, text twin, PNG,
/// SVG and PDF, and the booklets they belong to. Instances are shared out by booklet
/// class (class c goes to shard c mod n), so each booklet is written by one process and
/// every instance is drawn once. Graphviz is not thread-safe: shards run as processes.
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

    /// Writes into `reportFolder` (its `diagrams/`) and `pdfFolder`, both staging folders.
    /// `pages`, when given, writes each instance's HTML page as its diagrams are drawn.
    public func run(_ inputs: ReportInputs, reportFolder: String, pdfFolder: String, pages: HTMLReport? = nil,
                    progress: (_ done: Int) -> Void) throws {
        let diagramsFolder = (reportFolder as NSString).appendingPathComponent(ReportLayout.diagrams)
        let images = try ImageStore(folder: (reportFolder as NSString).appendingPathComponent(ReportLayout.images),
                                    prefix: ReportLayout.imagePrefix)
        let mine = classes(of: inputs)
        var done = 0
        for c in mine {
            let members = inputs.saved.records.filter { inputs.bookletClass(of: $0, by: grouping) == c }.map(\.index)
            let bookletPath = (pdfFolder as NSString).appendingPathComponent(ReportLayout.booklet(classIndex: c, classNames: inputs.classNames))
            let booklet = try CairoPDF(path: bookletPath, width: Booklet.pageWidth, height: Booklet.pageHeight)
            Booklet.cover(booklet, classIndex: c, members: members, inputs: inputs, grouping: grouping)
            for i in members {
                let input = try inputs.diagramInput(i, images: images)
                let dot = InstanceDiagram.dot(input)
                let text = inputs.saved.text(for: i)
                let base = (diagramsFolder as NSString).appendingPathComponent("\(i)")
                try FileWriter.write(dot, to: base + ".dot")
                try FileWriter.write(text + "\n", to: base + ".txt")
                let absolute = ReportLayout.withAbsoluteImages(dot, diagramsFolder: diagramsFolder)
                try Graphviz.shared.withLayout(dot: absolute) { graph in
                    try ReportLayout.writeRenderings(of: graph, to: base, dpi: dpi, diagramsFolder: diagramsFolder)
                    try booklet.newPage()
                    try Booklet.instancePage(booklet, graph: graph, text: text, record: inputs.saved.records[i],
                                             classNames: inputs.classNames)
                }
                // The instance page shows its nearest training images: draw them once.
                for n in inputs.saved.nearest(to: i) {
                    _ = try images.image(inputs.trainImage(n.trainIndex), rows: inputs.dataset.rows, columns: inputs.dataset.columns,
                                         channels: inputs.dataset.channels)
                }
                try pages?.writeInstancePage(i)
                done += 1
                progress(done)
            }
            try booklet.finish()
        }
    }
}
