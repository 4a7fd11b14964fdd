import Foundation

/// Per-diagram render times, in process: each sample parses, lays out and renders one
/// instance's DOT text, as `dot -Tpng file.dot` would, so the figures compare with the
/// references. Images are written once beforehand into `scratch`.
public enum ReportBench {
    public struct Figures {
        public var pngMilliseconds: [Double] = []
        public var pdfMilliseconds: [Double] = []
        public var svgMilliseconds: [Double] = []
        public var layoutMilliseconds: [Double] = []
    }

    public static func renderTimes(_ inputs: ReportInputs, instances: [Int], dpi: Double, scratch: String) throws -> Figures {
        let images = try ImageStore(folder: (scratch as NSString).appendingPathComponent("img"), prefix: ReportLayout.imagePrefix)
        let dots = try instances.map { ReportLayout.withAbsoluteImages(InstanceDiagram.dot(try inputs.diagramInput($0, images: images)), diagramsFolder: scratch) }
        var figures = Figures()
        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        // One untimed pass warms Graphviz's image and font caches, as a long report would.
        for dot in dots.prefix(5) { _ = try Graphviz.shared.render(dot: dot, format: .png, dpi: dpi, imagePath: nil) }
        for dot in dots {
            figures.layoutMilliseconds.append(try time { try Graphviz.shared.withLayout(dot: dot, imagePath: nil) { _ in } })
            figures.pngMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .png, dpi: dpi, imagePath: nil) })
            figures.pdfMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .pdf, imagePath: nil) })
            figures.svgMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .svg, imagePath: nil) })
        }
        return figures
    }
}

extension ReportBench {
    /// Resident memory before and after drawing `count` diagrams in one process (the
    /// instances repeat when there are fewer): `what` picks png, pdf, svg, page or all.
    public static func memoryGrowth(_ inputs: ReportInputs, count: Int, what: String, scratch: String,
                                    resident: () -> Double) throws -> (before: Double, after: Double) {
        let images = try ImageStore(folder: (scratch as NSString).appendingPathComponent("img"), prefix: ReportLayout.imagePrefix)
        let n = inputs.saved.records.count
        let dots = try (0..<min(n, count)).map {
            ReportLayout.withAbsoluteImages(InstanceDiagram.dot(try inputs.diagramInput($0, images: images)), diagramsFolder: scratch)
        }
        let pdf = try CairoPDF(path: (scratch as NSString).appendingPathComponent("pages.pdf"), width: Booklet.pageWidth, height: Booklet.pageHeight)
        func one(_ i: Int) throws {
            try Graphviz.shared.withLayout(dot: dots[i % dots.count], imagePath: nil) { graph in
                if what == "png" || what == "all" { _ = try graph.render(.png, dpi: 96) }
                if what == "pdf" || what == "all" { _ = try graph.render(.pdf) }
                if what == "svg" || what == "all" { _ = try graph.render(.svg) }
                if what == "page" || what == "all" { pdf.newPage(); try graph.draw(on: pdf, x: 0, y: 0, width: 800, height: 500) }
            }
        }
        // One pass over every distinct diagram first: Graphviz keeps each image it loads
        // for the life of the process (a bounded cache: one per test image), so the
        // growth measured after it is what drawing more diagrams costs.
        for i in 0..<dots.count { try one(i) }
        let before = resident()
        for i in 0..<count { try one(i) }
        let after = resident()
        try pdf.finish()
        return (before, after)
    }
}
