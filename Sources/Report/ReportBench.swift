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
        let dots = try instances.map { InstanceDiagram.dot(try inputs.diagramInput($0, images: images)) }
        var figures = Figures()
        func time(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        }
        // One untimed pass warms Graphviz's image and font caches, as a long report would.
        for dot in dots.prefix(5) { _ = try Graphviz.shared.render(dot: dot, format: .png, dpi: dpi, imagePath: scratch) }
        for dot in dots {
            figures.layoutMilliseconds.append(try time { try Graphviz.shared.withLayout(dot: dot, imagePath: scratch) { _ in } })
            figures.pngMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .png, dpi: dpi, imagePath: scratch) })
            figures.pdfMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .pdf, imagePath: scratch) })
            figures.svgMilliseconds.append(try time { _ = try Graphviz.shared.render(dot: dot, format: .svg, imagePath: scratch) })
        }
        return figures
    }
}
