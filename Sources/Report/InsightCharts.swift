import Foundation
import Interpretation

/// The histogram of a unit card: how the unit's activation spreads over the cluster's
/// training images, each bin's bar stacked by the class the CNN predicts.
public enum UnitCharts {
    public static func histogram(_ card: UnitCard, path: String) throws {
        let (width, height) = (220.0, 120.0), (left, bottom, top) = (8.0, 22.0, 8.0)
        let canvas = CairoPNG(width: Int(width), height: Int(height))
        canvas.fill(rectX: 0, y: 0, width: width, height: height, color: .white)
        let totals = card.histogram.map { $0.reduce(0, +) }
        let tallest = Double(max(1, totals.max() ?? 1))
        let bar = (width - 2 * left) / Double(card.histogram.count)
        for (b, counts) in card.histogram.enumerated() {
            var y = height - bottom
            for (c, count) in counts.enumerated() where count > 0 {
                let h = (height - bottom - top) * Double(count) / tallest
                canvas.fill(rectX: left + Double(b) * bar + 1, y: y - h, width: bar - 2, height: h, color: RGB(hex: Palette.classColor(c)))
                y -= h
            }
        }
        canvas.line([(left, height - bottom), (width - left, height - bottom)], color: RGB(hex: "#999999"))
        let lo = String(format: "%.2f", card.low), hi = String(format: "%.2f", card.high)
        canvas.text(lo, x: left, y: height - 6, size: 9)
        canvas.text(hi, x: width - left - canvas.textWidth(hi, size: 9), y: height - 6, size: 9)
        let axis = "activation"
        canvas.text(axis, x: (width - canvas.textWidth(axis, size: 9)) / 2, y: height - 6, size: 9, color: RGB(hex: Palette.muted))
        try canvas.writePNG(to: path)
    }
}

/// The chart of `report/layers.html`: per layer, two bars, fidelity and the share of
/// highly credible explanations.
public enum LayerCharts {
    public static func comparison(_ layers: [LayerFigures], path: String) throws {
        let rowHeight = 34.0, labelWidth = 130.0, plotWidth = 360.0, top = 30.0
        let height = Int(top + rowHeight * Double(layers.count) + 40)
        let canvas = CairoPNG(width: Int(labelWidth + plotWidth + 30), height: height)
        canvas.fill(rectX: 0, y: 0, width: canvas.width, height: canvas.height, color: .white)
        let values: [Double] = layers.flatMap { l -> [Double] in [l.fidelity, l.credibilityHighCoverage ?? 0] }
        let from = max(0, ((values.min() ?? 0) * 20).rounded(.down) / 20)
        func x(_ v: Double) -> Double { labelWidth + plotWidth * (v - from) / max(1e-9, 1 - from) }
        let fidelityColour = RGB(hex: Palette.highlight), coverageColour = RGB(hex: Palette.agree)
        canvas.fill(rectX: labelWidth, y: 8, width: 10, height: 10, color: fidelityColour)
        canvas.text("fidelity", x: labelWidth + 14, y: 17, size: 10)
        canvas.fill(rectX: labelWidth + 80, y: 8, width: 10, height: 10, color: coverageColour)
        canvas.text("share with credibility >= 95%", x: labelWidth + 94, y: 17, size: 10)
        for (i, l) in layers.enumerated() {
            let y = top + rowHeight * Double(i)
            var name = l.layer
            while canvas.textWidth(name, size: 10) > labelWidth - 10 && name.count > 4 { name = String(name.dropLast(2)) + "…" }
            canvas.text(name, x: labelWidth - 8 - canvas.textWidth(name, size: 10), y: y + 17, size: 10)
            for (k, (value, colour)) in [(l.fidelity, fidelityColour), (l.credibilityHighCoverage ?? 0, coverageColour)].enumerated() {
                let barY = y + 4 + Double(k) * 13
                canvas.fill(rectX: labelWidth, y: barY, width: max(1, x(value) - labelWidth), height: 11, color: colour)
                let label = String(format: "%.2f%%", 100 * value)
                canvas.text(label, x: x(value) + 4, y: barY + 9, size: 9)
            }
        }
        let axisY = top + rowHeight * Double(layers.count) + 6
        canvas.line([(labelWidth, axisY), (labelWidth + plotWidth, axisY)], color: RGB(hex: "#999999"))
        for t in 0...5 {
            let v = from + (1 - from) * Double(t) / 5
            let percent = 100 * v
            let label = String(format: abs(percent - percent.rounded()) < 1e-6 ? "%.0f%%" : "%.1f%%", percent)
            canvas.text(label, x: x(v) - canvas.textWidth(label, size: 9) / 2, y: axisY + 14, size: 9)
        }
        try canvas.writePNG(to: path)
    }
}
