import Foundation
import Interpretation
import Numerics
import Report

/// The report's drawing, as two arrays: diagram shards draw ranges of test instances
/// (each instance's DOT, text, PNG, SVG, PDF and page), booklet shards the PDF booklets of
/// their classes (class c in shard c mod n), laying each instance out again. Split by
/// instances, the diagrams spread over as many jobs as wanted, however few the classes.
public enum DrawingShards {
    /// Test instances a diagram shard draws when no `--shards` is given (about 15 s of
    /// drawing at 96 dpi on one core; docs/CLUSTER.md).
    public static let instancesPerDiagramShard = 1_000

    /// The diagram shards: `shards`, else about `instancesPerDiagramShard` instances each.
    static func diagramShards(testImages: Int, shards: Int?) -> Int {
        max(1, min(testImages, shards ?? (testImages + instancesPerDiagramShard - 1) / instancesPerDiagramShard))
    }

    /// The booklet shards: as many as the diagram shards, at most one per class.
    static func bookletShards(classes: Int, testImages: Int, shards: Int?) -> Int {
        max(1, min(classes, diagramShards(testImages: testImages, shards: shards)))
    }

    /// The instances of each diagram shard: `shards` runs of about equal length.
    public static func ranges(testImages: Int, shards: Int) -> [Range<Int>] {
        (0..<shards).map { k in (k * testImages / shards)..<((k + 1) * testImages / shards) }
    }

    /// One diagram shard: its instances' diagrams and pages.
    static func diagrams(_ plan: ShardPlan, index: Int, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let inputs = try ShardStages.load(plan, folder: folder)
        try ShardStages.requireDone(Stage.interpret, shards: 1, key: inputs.key, folder: folder)
        let configuration = try ShardStages.reportConfiguration(plan, folder: folder)
        let range = ranges(testImages: inputs.dataset.test.count, shards: plan.diagramShards)[index]
        return try folder.produce(Stage.diagrams, index, key: inputs.key) { out in
            let meter = ProgressMeter(progress, stage: "shard \(Stage.diagrams) \(index): diagrams", total: range.count, unit: "diagrams")
            defer { meter.finish() }
            try ReportRun.drawInstances(configuration, inputs: try ReportRun.inputs(configuration, dataset: inputs.dataset), range: range,
                                        into: (out as NSString).appendingPathComponent("report"), progress: meter)
        }
    }

    /// One booklet shard: its classes' booklets.
    static func booklets(_ plan: ShardPlan, index: Int, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let inputs = try ShardStages.load(plan, folder: folder)
        try ShardStages.requireDone(Stage.interpret, shards: 1, key: inputs.key, folder: folder)
        let configuration = try ShardStages.reportConfiguration(plan, folder: folder)
        return try folder.produce(Stage.booklets, index, key: inputs.key) { out in
            let report = try ReportRun.inputs(configuration, dataset: inputs.dataset)
            let meter = ProgressMeter(progress, stage: "shard \(Stage.booklets) \(index): booklet pages",
                                      total: ReportRun.instances(ofBookletShard: index, of: plan.bookletShards, inputs: report,
                                                                 grouping: configuration.bookletsBy), unit: "pages")
            defer { meter.finish() }
            try ReportRun.writeBooklets(configuration, inputs: report, shard: index, of: plan.bookletShards,
                                        into: (out as NSString).appendingPathComponent("report"),
                                        pdf: (out as NSString).appendingPathComponent("pdf"), progress: meter)
        }
    }

    /// Every drawing shard's report and PDF folders, for the report job to link in.
    static func parts(_ plan: ShardPlan, folder: ShardFolder) -> [(report: String, pdf: String)] {
        [(Stage.diagrams, plan.diagramShards), (Stage.booklets, plan.bookletShards)].flatMap { stage, shards in
            (0..<shards).map { index -> (report: String, pdf: String) in
                let base = folder.shard(stage, index) as NSString
                return (base.appendingPathComponent("report"), base.appendingPathComponent("pdf"))
            }
        }
    }

    /// The drawing shards' figures for results.json: counts and seconds in all.
    static func timings(_ plan: ShardPlan, folder: ShardFolder) -> [String: Double] {
        func seconds(_ stage: String, _ shards: Int) -> Double { (0..<shards).compactMap { folder.record(stage, $0)?.seconds }.reduce(0, +) }
        return ["diagram_shards": Double(plan.diagramShards), "diagram_shards_seconds": seconds(Stage.diagrams, plan.diagramShards),
                "booklet_shards": Double(plan.bookletShards), "booklet_shards_seconds": seconds(Stage.booklets, plan.bookletShards)]
    }
}
