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
            guard let m = b.meanCredibility, let a = b.agreement else { return nil }
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
        let curve = figures.coverageCurve.filter { $0.coverage >= 0.5 }.sorted { $0.coverage < $1.coverage }
        let (yFrom, decimals) = axisFrom(min(fidelity, curve.map(\.fidelity).min() ?? fidelity))
        let map = frame(canvas, title: "Fidelity of the most credible", xTitle: "share of test instances kept",
                        yTitle: "fidelity among them", xFrom: 0.5, yFrom: yFrom, yDecimals: decimals)
        let points = curve.map { map($0.coverage, $0.fidelity) }
        canvas.line(points, color: RGB(hex: Palette.highlight), lineWidth: 2)
        // Labels below and left of their points, the second one lower still.
        for (share, f, c, below) in [(0.95, figures.selectiveFidelity95, figures.selectiveCoverage95, 14.0),
                                     (0.98, figures.selectiveFidelity98, figures.selectiveCoverage98, 28.0)] {
            let p = map(c, f)
            canvas.disc(x: p.x, y: p.y, radius: 3.5, color: RGB(hex: Palette.agree))
            let label = String(format: "%.0f%% kept: %.2f%%", 100 * share, 100 * f)
            canvas.text(label, x: p.x - 8 - canvas.textWidth(label, size: 9), y: p.y + below, size: 9)
        }
        try canvas.writePNG(to: path)
    }
}
