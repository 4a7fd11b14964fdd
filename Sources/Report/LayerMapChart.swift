import Foundation
import Interpretation

/// The layer map drawn for the report: training points as dots coloured by their level-1
/// cluster, test disagreements as red crosses and CNN errors as black rings, each
/// cluster's number at the middle of its points. A PNG for the summary, the same picture
/// as SVG with every test point a link to its instance page, and per cluster a PNG with
/// the other clusters greyed.
public struct LayerMapChart {
    public static let side = 900.0, margin = 24.0
    let points: LayerMapPoints
    let lo: (x: Float, y: Float), span: Float

    public init(_ points: LayerMapPoints) {
        self.points = points
        let all = points.train + points.test
        let xs = stride(from: 0, to: all.count, by: 2).map { all[$0] }, ys = stride(from: 1, to: all.count, by: 2).map { all[$0] }
        lo = (xs.min() ?? 0, ys.min() ?? 0)
        span = max((xs.max() ?? 1) - lo.x, (ys.max() ?? 1) - lo.y, 1e-6)
    }

    /// Canvas coordinates of map point (x, y); the y axis points up.
    public func place(_ x: Float, _ y: Float) -> (x: Double, y: Double) {
        let usable = Self.side - 2 * Self.margin
        return (Self.margin + usable * Double((x - lo.x) / span), Self.side - Self.margin - usable * Double((y - lo.y) / span))
    }

    /// Where test instance `i` sits, as a share of the picture's width and height.
    public func share(ofTest i: Int) -> (x: Double, y: Double) {
        let p = place(points.test[2 * i], points.test[2 * i + 1])
        return (p.x / Self.side, p.y / Self.side)
    }

    func colour(_ cluster: Int, highlighted: Int?) -> RGB {
        if let highlighted, highlighted != cluster { return RGB(hex: "#DDDDDD") }
        return RGB(hex: Palette.classColor(cluster))
    }

    /// The training points, and the cluster numbers; `highlighted` greys the others.
    func drawTraining(_ canvas: CairoPNG, highlighted: Int? = nil) {
        canvas.fill(rectX: 0, y: 0, width: Self.side, height: Self.side, color: .white)
        for i in 0..<points.trainLevel1.count {
            let p = place(points.train[2 * i], points.train[2 * i + 1])
            canvas.fill(rectX: p.x - 1, y: p.y - 1, width: 2, height: 2, color: colour(points.trainLevel1[i], highlighted: highlighted))
        }
        for c in Set(points.trainLevel1).sorted() {
            let members = points.trainLevel1.indices.filter { points.trainLevel1[$0] == c }
            let xs = members.map { points.train[2 * $0] }.sorted(), ys = members.map { points.train[2 * $0 + 1] }.sorted()
            let p = place(xs[xs.count / 2], ys[ys.count / 2])
            let label = "\(c)"
            let w = canvas.textWidth(label, size: 16, bold: true)
            canvas.fill(rectX: p.x - w / 2 - 4, y: p.y - 14, width: w + 8, height: 19, color: .white)
            canvas.text(label, x: p.x - w / 2, y: p.y, size: 16, color: highlighted == nil || highlighted == c ? .black : RGB(hex: "#AAAAAA"), bold: true)
        }
    }

    /// The summary's map: training points, then the test disagreements and CNN errors.
    public func writePNG(records: [InstanceRecord], path: String) throws {
        let canvas = CairoPNG(width: Int(Self.side), height: Int(Self.side))
        drawTraining(canvas)
        for r in records where r.cnnPrediction != r.label {
            let p = place(points.test[2 * r.index], points.test[2 * r.index + 1])
            canvas.stroke(rectX: p.x - 3, y: p.y - 3, width: 6, height: 6, color: .black, lineWidth: 1)
        }
        for r in records where !r.agrees {
            let p = place(points.test[2 * r.index], points.test[2 * r.index + 1])
            canvas.line([(p.x - 4, p.y - 4), (p.x + 4, p.y + 4)], color: RGB(hex: Palette.alarm), lineWidth: 2)
            canvas.line([(p.x - 4, p.y + 4), (p.x + 4, p.y - 4)], color: RGB(hex: Palette.alarm), lineWidth: 2)
        }
        try canvas.writePNG(to: path)
    }

    /// The training points alone: the SVG's background.
    public func writeTrainingPNG(path: String) throws {
        let canvas = CairoPNG(width: Int(Self.side), height: Int(Self.side))
        drawTraining(canvas)
        try canvas.writePNG(to: path)
    }

    /// The map of cluster `c`'s pages: its training points coloured, the others grey.
    public func writeClusterPNG(_ c: Int, path: String) throws {
        let canvas = CairoPNG(width: Int(Self.side), height: Int(Self.side))
        drawTraining(canvas, highlighted: c)
        try canvas.writePNG(to: path)
    }

    /// The SVG: the training points as a picture (`background`, relative to the SVG), each
    /// test point a circle linking to its instance page, disagreements red.
    public func svg(records: [InstanceRecord], background: String, instancePage: (Int) -> String, classNames: [String]) -> String {
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" width=\"\(Int(Self.side))\" height=\"\(Int(Self.side))\" viewBox=\"0 0 \(Int(Self.side)) \(Int(Self.side))\">",
                   "<title>The layer map: training points by level-1 cluster; every test point links to its explanation</title>",
                   "<image x=\"0\" y=\"0\" width=\"\(Int(Self.side))\" height=\"\(Int(Self.side))\" xlink:href=\"\(Escaping.html(background))\" href=\"\(Escaping.html(background))\"/>"]
        for r in records {
            let p = place(points.test[2 * r.index], points.test[2 * r.index + 1])
            let fill = r.agrees ? (r.cnnPrediction == r.label ? "#444444" : "#000000") : Palette.alarm
            let title = "#\(r.index): true \(classNames[r.label]), CNN \(classNames[r.cnnPrediction]), CNN-INTE \(classNames[r.intePrediction])"
            out.append(String(format: "<a href=\"%@\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"%@\" fill=\"%@\" fill-opacity=\"0.6\"><title>%@</title></circle></a>",
                              Escaping.html(instancePage(r.index)), p.x, p.y, r.agrees ? "1.6" : "3.5", fill, Escaping.html(title)))
        }
        out.append("</svg>")
        return out.joined(separator: "\n") + "\n"
    }
}
