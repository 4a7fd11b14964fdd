import Foundation

/// Charts drawn with Cairo for the HTML report and the booklets' covers.
public enum Charts {
    /// A confusion matrix as a heat map: rows are `rowTitle` classes, columns
    /// `columnTitle` classes, each cell shaded by its share of the row, with its count
    /// written in it. The diagonal is shaded green, the rest red, so errors stand out.
    public static func confusionMatrix(_ matrix: [[Int]], classNames: [String], rowTitle: String, columnTitle: String,
                                       path: String) throws {
        let n = matrix.count
        let cell = 34.0
        let probe = CairoPNG(width: 1, height: 1)
        let labelWidth = (classNames.map { probe.textWidth($0, size: 11) }.max() ?? 20) + 12
        let columnLabelHeight = min(110, labelWidth)
        let left = 22 + labelWidth, top = 26 + columnLabelHeight
        let width = Int(left + cell * Double(n) + 12), height = Int(top + cell * Double(n) + 12)
        let canvas = CairoPNG(width: width, height: height)
        canvas.fill(rectX: 0, y: 0, width: Double(width), height: Double(height), color: .white)
        canvas.text(columnTitle, x: left, y: 16, size: 12, bold: true)
        canvas.rotatedText(rowTitle, x: 14, y: top + cell * Double(n) / 2 + canvas.textWidth(rowTitle, size: 12, bold: true) / 2,
                           size: 12, bold: true)
        let good = RGB(hex: Palette.agree), bad = RGB(hex: Palette.alarm)
        for (i, row) in matrix.enumerated() {
            let total = max(1, row.reduce(0, +))
            canvas.text(classNames[i], x: left - 6 - canvas.textWidth(classNames[i], size: 11), y: top + cell * Double(i) + cell / 2 + 4, size: 11)
            for (j, count) in row.enumerated() {
                let share = Double(count) / Double(total)
                let base = i == j ? good : bad
                let strength = count == 0 ? 0 : 0.12 + 0.88 * share
                let color = RGB(red: 1 - (1 - base.red) * strength, green: 1 - (1 - base.green) * strength,
                                blue: 1 - (1 - base.blue) * strength)
                let x = left + cell * Double(j), y = top + cell * Double(i)
                canvas.fill(rectX: x, y: y, width: cell, height: cell, color: color)
                canvas.stroke(rectX: x, y: y, width: cell, height: cell, color: RGB(hex: "#DDDDDD"), lineWidth: 1)
                if count > 0 {
                    let text = "\(count)"
                    let ink: RGB = strength > 0.55 ? .white : .black
                    canvas.text(text, x: x + (cell - canvas.textWidth(text, size: 10)) / 2, y: y + cell / 2 + 4, size: 10, color: ink)
                }
            }
        }
        for (j, name) in classNames.enumerated() {
            canvas.rotatedText(name, x: left + cell * Double(j) + cell / 2 + 4, y: top - 6, size: 11)
        }
        try canvas.writePNG(to: path)
    }
}
