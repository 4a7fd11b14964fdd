import Foundation

/// Where every file of the report lives, relative to `<output>/report/` (so the folder can
/// be zipped and moved) and `<output>/pdf/`:
///
///     report/index.html            summary, confusion matrices, the cluster tree, the browser
///     report/data.js               one row per test instance, loaded by a <script> tag
///     report/style.css report.js   no CDN, no fetch: everything works from file://
///     report/instances/N.html      one page per test instance
///     report/clusters/C.html       one page per cluster ("3", "3.2")
///     report/diagrams/N.{png,svg,pdf,dot,txt}   the instance's diagram and its text twin
///     report/diagrams/tree.{png,svg,pdf,dot}    the whole cluster tree
///     report/diagrams/img/g-HASH.png            digits and prototypes, content-named
///     report/figures/*.png                      confusion matrices, credibility reliability and coverage
///     pdf/digit-D.pdf (or pdf/<class name>.pdf)  one booklet per class
public enum ReportLayout {
    public static let diagrams = "diagrams"
    public static let images = "diagrams/img"
    /// How DOT text names images: relative to the diagrams folder, so a `.dot` file
    /// re-renders from inside that folder and an SVG finds its images beside it.
    public static let imagePrefix = "img/"
    public static let instances = "instances"
    public static let clusters = "clusters"
    public static let figures = "figures"

    public static func diagram(_ index: Int, _ ext: String) -> String { "\(diagrams)/\(index).\(ext)" }
    public static func instancePage(_ index: Int) -> String { "\(instances)/\(index).html" }
    public static func clusterPage(_ id: String) -> String { "\(clusters)/\(id).html" }

    /// The booklet file of class `c`: `digit-7.pdf` for digits, else a file-safe form of
    /// the class name (`t-shirt-top.pdf` for Fashion-MNIST's "T-shirt/top").
    public static func booklet(classIndex c: Int, classNames: [String]) -> String { booklets(classNames: classNames)[c] }

    /// Every class's booklet file, all distinct: names whose safe forms coincide (`a/b`
    /// and `a b`, `digit-1` and the digit `1`) are told apart by the class index, and a
    /// long name is cut so the file name stays far below the 255 bytes file systems allow.
    public static func booklets(classNames: [String]) -> [String] {
        var bases = classNames.indices.map { c -> String in
            classNames[c] == "\(c)" ? "digit-\(c)" : bookletSlugBase(classNames[c])
        }
        while true {
            let groups = Dictionary(grouping: bases.indices, by: { bases[$0] }).values.filter { $0.count > 1 }
            if groups.isEmpty { break }
            for group in groups { for c in group { bases[c] += "-\(c)" } }
        }
        return bases.map { $0 + ".pdf" }
    }

    /// Lower-case ASCII letters and digits, runs of anything else as one `-`, at most 100
    /// characters; "class" when nothing is left.
    static func bookletSlugBase(_ name: String) -> String {
        var slug = ""
        for ch in name.lowercased().unicodeScalars {
            if slug.count >= 100 { break }
            if CharacterSet.alphanumerics.contains(ch) && ch.isASCII { slug.unicodeScalars.append(ch) } else if !slug.hasSuffix("-") { slug += "-" }
        }
        slug = slug.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return slug.isEmpty ? "class" : slug
    }

    /// The DOT text as Graphviz should lay it out: image names made absolute. Graphviz
    /// caches a loaded image by name only when the name opens as it is; names resolved
    /// through `imagepath` were loaded again for every render and never freed (about
    /// 100 KB a diagram, measured with `bench --only render-memory`). The files keep the
    /// relative names, so they move with the folder.
    public static func withAbsoluteImages(_ dot: String, diagramsFolder: String) -> String {
        let folder = URL(fileURLWithPath: diagramsFolder).standardizedFileURL.path
        let absolute = ByteReplacement.replacing(Array(("SRC=\"" + imagePrefix).utf8),
                                                 with: Array(("SRC=\"" + Escaping.html(folder + "/" + imagePrefix)).utf8), in: Array(dot.utf8))
        return String(decoding: absolute, as: UTF8.self)
    }

    /// Writes `base.png`, `base.svg` and `base.pdf` of a graph laid out from
    /// `withAbsoluteImages` text; the SVG's image links are made relative again.
    static func writeRenderings(of graph: Graphviz.LaidOutGraph, to base: String, dpi: Double, diagramsFolder: String) throws {
        for format in Graphviz.Format.allCases {
            var bytes = try graph.render(format, dpi: dpi)
            if format == .svg { bytes = withRelativeImages(svg: bytes, diagramsFolder: diagramsFolder) }
            try FileWriter.write(bytes, to: base + "." + format.rawValue)
        }
    }

    /// An SVG rendered from `withAbsoluteImages` text, with its image links relative again.
    public static func withRelativeImages(_ svg: String, diagramsFolder: String) -> String {
        String(decoding: withRelativeImages(svg: Array(svg.utf8), diagramsFolder: diagramsFolder), as: UTF8.self)
    }

    /// `withRelativeImages` on the SVG's bytes, as rendered.
    static func withRelativeImages(svg: [UInt8], diagramsFolder: String) -> [UInt8] {
        let folder = URL(fileURLWithPath: diagramsFolder).standardizedFileURL.path + "/"
        let relative = Array("href=\"".utf8)
        let escaped = ByteReplacement.replacing(Array(("href=\"" + Escaping.html(folder)).utf8), with: relative, in: svg)
        return ByteReplacement.replacing(Array(("href=\"" + folder).utf8), with: relative, in: escaped)
    }
}
