import Foundation
import Interpretation

/// `classes.html`: per class the CNN predicted, how well CNN-INTE explains it, where in the
/// layer its test instances go and what CNN-INTE says instead (the interpretation's
/// `ClassSummary`).
struct ClassesPage: PageContext {
    static let template = "classes"

    struct Row: Encodable {
        struct Cluster: Encodable { var id: String; var count: Int; var href: String }
        struct Instead: Encodable { var name: String; var color: String; var count: Int }
        struct Instance: Encodable { var name: String; var href: String; var credibility: String }
        var name: String
        var color: String
        var testImages: Int
        /// The CNN predicted the class for no test image.
        var none: Bool
        var fidelity: String
        var meanCredibility: String
        var clusters: [Cluster]
        var instead: [Instead]
        var leastCredible: Instance?
    }

    var rows: [Row]
}

enum ClassesReportPage: ReportPagePlugin {
    static let fileName = "classes.html"

    static func page(_ report: HTMLReport) -> Page<ClassesPage>? {
        guard let summary = report.saved.analysis(ClassSummary.self) else { return nil }
        let (saved, names) = (report.saved, report.names)
        let rows = summary.classes.map { entry in
            ClassesPage.Row(
                name: names[entry.predicted], color: Palette.classColor(entry.predicted), testImages: entry.testImages, none: entry.testImages == 0,
                fidelity: HTMLReport.percent(entry.fidelity), meanCredibility: HTMLReport.percent(entry.meanCredibility),
                clusters: entry.clusters.map { c in
                    .init(id: saved.level1[c.index].id, count: c.count, href: ReportLayout.clusterPage(saved.level1[c.index].id))
                },
                instead: entry.instead.map { .init(name: names[$0.index], color: Palette.classColor($0.index), count: $0.count) },
                leastCredible: entry.leastCredible.map { i in
                    .init(name: saved.testName(i), href: ReportLayout.instancePage(i), credibility: HTMLReport.percent(saved.records[i].credibility))
                })
        }
        return Page(frame: report.frame(title: "cnn-inte report: the classes", root: ""), body: ClassesPage(rows: rows))
    }

    static func link(_ report: HTMLReport) -> PageLink {
        PageLink(lead: "Per class the CNN predicted: where its test images go in \(report.saved.layer) and what CNN-INTE says instead.",
                 href: fileName, text: "See the classes")
    }
}
