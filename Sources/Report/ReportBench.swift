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

    /// The DOT text of `instances`, laid out as the report does (absolute image names),
    /// with their images written into `scratch/img`.
    static func diagrams(_ inputs: ReportInputs, instances: [Int], scratch: String) throws -> [String] {
        let images = try ImageStore(folder: (scratch as NSString).appendingPathComponent("img"), prefix: ReportLayout.imagePrefix)
        return try instances.map {
            ReportLayout.withAbsoluteImages(InstanceDiagram.dot(try inputs.diagramInput($0, images: images)), diagramsFolder: scratch)
        }
    }

    public static func renderTimes(_ inputs: ReportInputs, instances: [Int], dpi: Double, scratch: String) throws -> Figures {
        let dots = try diagrams(inputs, instances: instances, scratch: scratch)
        var figures = Figures()
        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        // One untimed pass warms Graphviz's image and font caches, as a long report would.
        for dot in dots.prefix(5) { _ = try Graphviz.shared.render(dot: dot, format: .png, dpi: dpi) }
        for dot in dots {
            figures.layoutMilliseconds.append(try time { try Graphviz.shared.withLayout(dot: dot) { _ in } })
            figures.pngMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .png, dpi: dpi) })
            figures.pdfMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .pdf) })
            figures.svgMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .svg) })
        }
        return figures
    }
}

extension ReportBench {
    /// Resident memory before and after drawing `count` diagrams (PNG, PDF, SVG and a
    /// booklet page each) in one process; the instances repeat when there are fewer.
    public static func memoryGrowth(_ inputs: ReportInputs, count: Int, scratch: String,
                                    resident: () -> Double) throws -> (before: Double, after: Double) {
        let dots = try diagrams(inputs, instances: Array(0..<min(inputs.saved.records.count, count)), scratch: scratch)
        let pdf = try CairoPDF(path: (scratch as NSString).appendingPathComponent("pages.pdf"), width: Booklet.pageWidth, height: Booklet.pageHeight)
        func one(_ i: Int) throws {
            try Graphviz.shared.withLayout(dot: dots[i % dots.count]) { graph in
                for format in Graphviz.Format.allCases { _ = try graph.render(format, dpi: 96) }
                try pdf.newPage()
                try graph.draw(on: pdf, x: 0, y: 0, width: 800, height: 500)
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
