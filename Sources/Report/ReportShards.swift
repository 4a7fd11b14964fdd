import Foundation
import Interpretation
import Numerics
import OutputFolders

/// The report split over jobs that share no process (a cluster's): each diagram shard
/// draws its booklet classes' instances, pages and booklets into folders of its own
/// (`drawShard`), and one job then assembles the report (`assemble`): the cluster tree and
/// prototypes, every shard's files linked into place (pictures are named by their content,
/// so the shards' `img/` folders merge), and the HTML that links to all of it. The files
/// are those `ReportRun.run` writes.
extension ReportRun {
    /// Draws diagram shard `shard` of `shards` (booklet classes c with c mod shards == shard)
    /// into `reportFolder` and `pdfFolder`, made if missing.
    public static func drawShard(_ configuration: Configuration, inputs: ReportInputs, shard: Int, of shards: Int,
                                 into reportFolder: String, pdf pdfFolder: String, progress: ProgressMeter?) throws {
        try configuration.validate()
        for folder in [reportFolder, pdfFolder] {
            do { try Folders.make(folder) } catch {
                throw FileError(path: folder, problem: "cannot be created (\(FileError.reason(error)))")
            }
        }
        let builder = ReportBuilder(inputs: inputs, dpi: configuration.dpi, grouping: configuration.bookletsBy,
                                    sources: sources(configuration, saved: inputs.saved))
        let pages = builder.html(reportFolder: reportFolder, templates: try HTMLTemplates(folder: configuration.templates),
                                 generator: Release.version)
        var last = 0
        try builder.shard(shard, of: shards).run(inputs, reportFolder: reportFolder, pdfFolder: pdfFolder, pages: pages) { done in
            progress?.advance(by: done - last)
            last = done
        }
    }

    /// The test instances diagram shard `shard` of `shards` draws.
    public static func instances(ofShard shard: Int, of shards: Int, inputs: ReportInputs, grouping: BookletGrouping) -> Int {
        let classes = Set(DiagramShard(shard: shard, shards: shards, dpi: 96, grouping: grouping).classes(of: inputs))
        return inputs.saved.records.filter { classes.contains(inputs.bookletClass(of: $0, by: grouping)) }.count
    }

    /// Writes the whole report into `reportFolder` and `pdfFolder` from the diagram shards'
    /// folders (`parts`: each a report folder and a PDF folder, all shards of one plan).
    @discardableResult
    public static func assemble(_ configuration: Configuration, inputs: ReportInputs, parts: [(report: String, pdf: String)],
                                into reportFolder: String, pdf pdfFolder: String, progress: ProgressSink) throws -> String {
        try configuration.validate()
        let started = DispatchTime.now().uptimeNanoseconds
        for folder in [reportFolder, pdfFolder] {
            do { try Folders.make(folder) } catch {
                throw FileError(path: folder, problem: "cannot be created (\(FileError.reason(error)))")
            }
        }
        let templates = try HTMLTemplates(folder: configuration.templates)
        let sources = sources(configuration, saved: inputs.saved)
        try Manifest.record(sources: sources, in: reportFolder)
        var builder = ReportBuilder(inputs: inputs, dpi: configuration.dpi, grouping: configuration.bookletsBy, sources: sources)
        if let note = try builder.prepare(reportFolder: reportFolder) { progress.line("report: \(note)") }
        for part in parts {
            try link(contentsOf: part.report, into: reportFolder)
            try link(contentsOf: part.pdf, into: pdfFolder)
        }
        try builder.finish(reportFolder: reportFolder, templates: templates, generator: Release.version) { progress.line("report: \($0)") }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return String(format: "report: assembled from %d shards in %.1f s", parts.count, seconds)
    }

    /// Puts every file under `source` at the same place under `destination`: a hard link
    /// (the shard's file stays whole for a retry), else a copy. A file already there with
    /// the same name is a picture another shard drew too (named by content): kept.
    static func link(contentsOf source: String, into destination: String) throws {
        let fm = FileManager.default
        guard let names = fm.enumerator(atPath: source)?.compactMap({ $0 as? String }) else { return }
        for name in names.sorted() {
            let from = (source as NSString).appendingPathComponent(name), to = (destination as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: from, isDirectory: &isDir) else { continue }
            if isDir.boolValue { try Folders.make(to); continue }
            if fm.fileExists(atPath: to) { continue }
            if Foundation.link(from, to) == 0 { continue }
            do { try fm.copyItem(atPath: from, toPath: to) } catch {
                throw FileError(path: to, problem: "cannot be written (\(FileError.reason(error)))")
            }
        }
    }
}
