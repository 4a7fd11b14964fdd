import Foundation
import Interpretation

/// An optional page of the report, as a plug-in: drawn when the interpretation saved what it
/// shows (an analysis, `InterpretationAnalysis`, or the layer comparison), linked from the
/// summary page. The summary, instance and cluster pages, which every report has, are not
/// plug-ins.
///
/// Adding one: a type conforming to this in its own file, its context (`PageContext`) and
/// template (`Templates/<name>.mustache`), a line in `ReportPages.registered`, and its golden
/// page (`GoldenHTMLTests`).
protocol ReportPagePlugin {
    associatedtype Body: PageContext
    /// The page's file in the report folder.
    static var fileName: String { get }
    /// The page, or nil when the interpretation has nothing for it.
    static func page(_ report: HTMLReport) -> Page<Body>?
    /// The summary page's sentence leading to it, with the link's text.
    static func link(_ report: HTMLReport) -> PageLink
    /// Figures the page shows, written into `figures` before it.
    static func writeFigures(_ report: HTMLReport, into figures: String) throws
}

extension ReportPagePlugin {
    static func writeFigures(_ report: HTMLReport, into figures: String) throws {}
}

/// A link from the summary page: `lead` then the link, as one note.
struct PageLink: Encodable, Equatable {
    var lead: String
    var href: String
    var text: String
}

enum ReportPages {
    static let registered: [any ReportPagePlugin.Type] = [LayersReportPage.self, ClassesReportPage.self]

    /// The registered pages' templates.
    static var templates: [String] {
        func template<P: ReportPagePlugin>(_ plugin: P.Type) -> String { P.Body.template }
        return registered.map { template($0) }
    }

    /// The registered pages this report has: their links, in order.
    static func links(_ report: HTMLReport) -> [PageLink] {
        func link<P: ReportPagePlugin>(_ plugin: P.Type) -> PageLink? {
            report.templates.has(P.Body.template) && P.page(report) != nil ? P.link(report) : nil
        }
        return registered.compactMap { link($0) }
    }

    /// Writes each registered page this report has, and its figures.
    static func writeAll(_ report: HTMLReport, figures: String) throws {
        func write<P: ReportPagePlugin>(_ plugin: P.Type) throws {
            guard report.templates.has(P.Body.template), let page = P.page(report) else { return }
            try P.writeFigures(report, into: figures)
            try report.write(report.templates.render(page), to: P.fileName)
        }
        for plugin in registered { try write(plugin) }
    }
}

/// `layers.html`: the layers compared by `interpret --layers`.
enum LayersReportPage: ReportPagePlugin {
    static let fileName = "layers.html"

    static func page(_ report: HTMLReport) -> Page<LayersPage>? { report.saved.layers.map(report.layersPage) }

    static func link(_ report: HTMLReport) -> PageLink {
        PageLink(lead: "Layers compared: \((report.saved.layers ?? []).map(\.layer).joined(separator: ", ")).", href: fileName,
                 text: "See how CNN-INTE explains each")
    }

    static func writeFigures(_ report: HTMLReport, into figures: String) throws {
        try LayerCharts.comparison(report.saved.layers ?? [], path: (figures as NSString).appendingPathComponent("layers.png"))
    }
}
