import Foundation
import Interpretation

/// The two pictures that show a credibility is calibrated rather than claim it: the
/// reliability diagram (mean credibility against observed agreement, per bin) and the
/// coverage curve (fidelity among the instances kept, against the share kept).
public enum CredibilityCharts {
    static let plot = 240.0, left = 58.0, top = 34.0, bottom = 46.0, right = 16.0

    /// The lower end of an axis ending at 1 that shows `lowest` in 5 round steps, and the
    /// decimals its tick labels need.
    static func axisFrom(_ lowest: Double) -> (from: Double, decimals: Int) {
        for step in [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2] where 1 - 5 * step <= lowest {
            return (1 - 5 * step, step < 0.01 ? 3 : step < 0.1 ? 2 : 1)
        }
        return (0, 1)
    }

    /// A square plot frame with 5 ticks from `xFrom` (`yFrom`) to 1; returns the mapping of
    /// data to canvas coordinates.
    static func frame(_ canvas: CairoPNG, title: String, xTitle: String, yTitle: String, xFrom: Double, yFrom: Double,
                      xDecimals: Int = 1, yDecimals: Int = 1) -> (Double, Double) -> (x: Double, y: Double) {
        canvas.fill(rectX: 0, y: 0, width: canvas.width, height: canvas.height, color: .white)
        canvas.text(title, x: left, y: 20, size: 12, bold: true)
        let grid = RGB(hex: "#E4E4E4")
        func map(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
            (left + (x - xFrom) / (1 - xFrom) * plot, top + plot - (y - yFrom) / (1 - yFrom) * plot)
        }
        for t in 0...5 {
            let fx = xFrom + (1 - xFrom) * Double(t) / 5, fy = yFrom + (1 - yFrom) * Double(t) / 5
            let (gx, _) = map(fx, yFrom), (_, gy) = map(xFrom, fy)
            canvas.line([(gx, top), (gx, top + plot)], color: grid)
            canvas.line([(left, gy), (left + plot, gy)], color: grid)
            let xl = String(format: "%.\(xDecimals)f", fx), yl = String(format: "%.\(yDecimals)f", fy)
            canvas.text(xl, x: gx - canvas.textWidth(xl, size: 9) / 2, y: top + plot + 14, size: 9)
            canvas.text(yl, x: left - 6 - canvas.textWidth(yl, size: 9), y: gy + 3, size: 9)
        }
        canvas.stroke(rectX: left, y: top, width: plot, height: plot, color: RGB(hex: "#999999"))
        canvas.text(xTitle, x: left + (plot - canvas.textWidth(xTitle, size: 10)) / 2, y: top + plot + 32, size: 10)
        canvas.rotatedText(yTitle, x: 16, y: top + (plot + canvas.textWidth(yTitle, size: 10)) / 2, size: 10)
        return map
    }

    /// Mean credibility (x) against observed agreement (y) for each non-empty bin, dots
    /// sized by how many instances the bin holds; the diagonal is perfect calibration.
    public static func reliability(_ figures: CredibilityFigures, path: String) throws {
        let canvas = CairoPNG(width: Int(left + plot + right), height: Int(top + plot + bottom))
        let map = frame(canvas, title: String(format: "Reliability (ECE %.3f)", figures.ece), xTitle: "credibility (bin mean)",
                        yTitle: "observed agreement with the CNN", xFrom: 0, yFrom: 0)
        canvas.line([map(0, 0), map(1, 1)], color: RGB(hex: Palette.muted), dash: [4, 3])
        let total = Double(max(1, figures.reliability.reduce(0) { $0 + $1.count }))
        let points = figures.reliability.compactMap { b -> (Double, Double, Int)? in
            guard let m = b.mean_credibility, let a = b.agreement else { return nil }
            return (m, a, b.count)
        }
        canvas.line(points.map { map($0.0, $0.1) }, color: RGB(hex: Palette.highlight), lineWidth: 1.5)
        for (m, a, count) in points {
            let p = map(m, a)
            canvas.disc(x: p.x, y: p.y, radius: 2.5 + 6 * (Double(count) / total).squareRoot(), color: RGB(hex: Palette.highlight))
        }
        try canvas.writePNG(to: path)
    }

    /// Fidelity among the most credible instances (y) against the share of instances
    /// kept (x), from all of them down to the most credible half.
    public static func coverage(_ figures: CredibilityFigures, fidelity: Double, path: String) throws {
        let canvas = CairoPNG(width: Int(left + plot + right), height: Int(top + plot + bottom))
        let curve = figures.coverage_curve.filter { $0.coverage >= 0.5 }.sorted { $0.coverage < $1.coverage }
        let (yFrom, decimals) = axisFrom(min(fidelity, curve.map(\.fidelity).min() ?? fidelity))
        let map = frame(canvas, title: "Fidelity of the most credible", xTitle: "share of test instances kept",
                        yTitle: "fidelity among them", xFrom: 0.5, yFrom: yFrom, yDecimals: decimals)
        let points = curve.map { map($0.coverage, $0.fidelity) }
        canvas.line(points, color: RGB(hex: Palette.highlight), lineWidth: 2)
        for share in [0.95, 0.98] {
            let f = share == 0.95 ? figures.selective_fidelity_95 : figures.selective_fidelity_98
            let c = share == 0.95 ? figures.selective_coverage_95 : figures.selective_coverage_98
            let p = map(c, f)
            canvas.disc(x: p.x, y: p.y, radius: 3.5, color: RGB(hex: Palette.agree))
            // Below and left of the point, clear of the curve, which falls to the right.
            let label = String(format: "%.0f%% kept: %.2f%%", 100 * share, 100 * f)
            canvas.text(label, x: p.x - 8 - canvas.textWidth(label, size: 9), y: p.y + (share == 0.95 ? 14 : 28), size: 9)
        }
        try canvas.writePNG(to: path)
    }
}

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

extension CredibilityCharts {
    /// Per layer, two bars: fidelity and the share of highly credible explanations.
    public static func layers(_ layers: [LayerFigures], path: String) throws {
        let rowHeight = 34.0, labelWidth = 130.0, plotWidth = 360.0, top = 30.0
        let height = Int(top + rowHeight * Double(layers.count) + 40)
        let canvas = CairoPNG(width: Int(labelWidth + plotWidth + 30), height: height)
        canvas.fill(rectX: 0, y: 0, width: canvas.width, height: canvas.height, color: .white)
        let values: [Double] = layers.flatMap { l -> [Double] in [l.fidelity, l.credibility_high_coverage ?? 0] }
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
            for (k, (value, colour)) in [(l.fidelity, fidelityColour), (l.credibility_high_coverage ?? 0, coverageColour)].enumerated() {
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
