import Foundation
import Numerics
import Interpretation

/// The pages of a per-class PDF booklet, drawn on a Cairo PDF surface: a cover with the
/// class's figures, then one instance per page, its diagram in vectors and its text path
/// beneath.
public enum Booklet {
    /// A3 landscape, in points: the diagrams run left to right and keep their text at
    /// about nine points (A4 printers shrink it to fit, still legible).
    public static let pageWidth = 1191.0
    public static let pageHeight = 842.0
    static let margin = 36.0

    static func cover(_ pdf: CairoPDF, classIndex c: Int, members: [Int], inputs: ReportInputs, grouping: BookletGrouping) {
        let names = inputs.classNames
        let records = members.map { inputs.saved.records[$0] }
        let n = records.count
        func percent(_ count: Int) -> String { n == 0 ? "n/a" : String(format: "%.1f%%", 100 * Double(count) / Double(n)) }
        var y = margin + 30
        pdf.text("Class \(names[c])", x: margin, y: y, size: 26, bold: true)
        y += 28
        let how = grouping == .inte ? "CNN-INTE predicted as \(names[c])" : "whose true label is \(names[c])"
        pdf.text("\(n.counted("test instance")) \(how)", x: margin, y: y, size: 14)
        y += 30
        let lines = [
            ("fidelity (CNN-INTE agrees with the CNN)", percent(records.filter(\.agrees).count)),
            ("CNN-INTE accuracy", percent(records.filter { $0.intePrediction == $0.label }.count)),
            ("CNN accuracy", percent(records.filter { $0.cnnPrediction == $0.label }.count)),
            ("disagreements", "\(records.filter { !$0.agrees }.count)"),
            ("CNN misclassifications", "\(records.filter { $0.cnnPrediction != $0.label }.count)"),
        ]
        for (label, value) in lines {
            pdf.text(label, x: margin, y: y, size: 12)
            pdf.text(value, x: margin + 300, y: y, size: 12, bold: true)
            y += 18
        }
        y += 20
        pdf.text("Confusion row: how \(n == 1 ? "this instance is" : "these \(n) instances are") spread", x: margin, y: y, size: 13, bold: true)
        y += 10
        let rows: [(String, (InstanceRecord) -> Int)] = [("true label", { $0.label }), ("CNN", { $0.cnnPrediction }),
                                                         ("CNN-INTE", { $0.intePrediction })]
        let firstColumn = 90.0
        let cell = min(60, (pageWidth - 2 * margin - firstColumn) / Double(max(1, names.count)))
        for (j, name) in names.enumerated() {
            pdf.fill(rectX: margin + firstColumn + cell * Double(j), y: y, width: cell, height: 16, color: RGB(hex: Palette.classColor(j)))
            pdf.text(Booklet.clip(name, width: cell - 4, canvas: pdf, size: 9), x: margin + firstColumn + cell * Double(j) + 2, y: y + 30, size: 9)
        }
        y += 50
        for (label, key) in rows {
            pdf.text(label, x: margin, y: y, size: 10, bold: true)
            var counts = [Int](repeating: 0, count: names.count)
            for r in records { counts[key(r)] += 1 }
            for (j, count) in counts.enumerated() {
                pdf.text("\(count)", x: margin + firstColumn + cell * Double(j) + 2, y: y, size: 10, color: j == c ? .black : RGB(hex: "#555555"))
            }
            y += 18
        }
        y += 24
        let legend = [
            "Each following page: one test instance, its interpretation path drawn left to right, then the same path as text.",
            "The path the image took is drawn in orange; the runner-up level-1 cluster in grey, dashed.",
            "Bars: share of the CNN's predictions over a cluster's training images, or of the forest's votes; colours are the classes above.",
            "Red: CNN-INTE disagrees with the CNN, or the CNN is wrong (also said in words, with a cross).",
        ]
        for line in legend {
            pdf.text(line, x: margin, y: y, size: 10, color: RGB(hex: "#555555"))
            y += 15
        }
    }

    static func instancePage(_ pdf: CairoPDF, graph: Graphviz.LaidOutGraph, text: String, record r: InstanceRecord,
                             classNames: [String]) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let textSize = 9.5
        let textHeight = Double(lines.count) * textSize * 1.35 + 12
        let used = try graph.draw(on: pdf, x: margin, y: margin, width: pageWidth - 2 * margin,
                                  height: pageHeight - 2 * margin - textHeight)
        pdf.stroke(rectX: margin, y: margin + used + 6, width: pageWidth - 2 * margin, height: 0.01, color: RGB(hex: "#CCCCCC"), lineWidth: 0.5)
        pdf.monospaced(lines, x: margin, y: margin + used + 6 + textSize * 1.6, size: textSize)
        let footer = "test #\(r.index)"
        pdf.text(footer, x: pageWidth - margin - pdf.textWidth(footer, size: 8), y: pageHeight - 16, size: 8, color: RGB(hex: "#777777"))
    }

    static func clip(_ text: String, width: Double, canvas: CairoCanvas, size: Double) -> String {
        var t = text
        while t.count > 1 && canvas.textWidth(t, size: size) > width { t = String(t.dropLast()) }
        return t == text ? t : t + "…"
    }
}
