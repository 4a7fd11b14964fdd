/// The colours of every picture the report draws, in one place (after dtreeviz's palette
/// file): class colours that stay the same in every diagram, chart and page, one
/// highlight colour for the path an instance took, and the colours that make
/// disagreement and misclassification stand out.
///
/// Class colours are Okabe and Ito's colour-blind-safe set (black left out, it is the
/// text colour), then three of Paul Tol's muted colours for data sets with 8-10 classes.
/// Status is never carried by colour alone: every mark also has a word or a symbol.
public enum Palette {
    public static let classColors = [
        "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2",
        "#D55E00", "#CC79A7", "#332288", "#882255", "#999933",
    ]

    /// The colour of class `c`; classes past the tenth reuse the list.
    public static func classColor(_ c: Int) -> String { classColors[((c % classColors.count) + classColors.count) % classColors.count] }

    /// The path an instance took: borders and edges.
    public static let highlight = "#B85C00"
    /// Fill of the nodes on the path.
    public static let highlightFill = "#FFF5E8"
    /// CNN-INTE agrees with the CNN / the CNN is right.
    public static let agree = "#007A5A"
    /// CNN-INTE disagrees with the CNN / the CNN is wrong.
    public static let alarm = "#C62828"
    public static let alarmFill = "#FDECEA"
    /// Roads not taken (the runner-up cluster) and secondary text.
    public static let muted = "#8A8A8A"
    public static let text = "#1A1A1A"
    public static let font = "DejaVu Sans"
}
