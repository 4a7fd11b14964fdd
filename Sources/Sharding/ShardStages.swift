import Datasets
import Foundation
import Interpretation
import Network
import Numerics
import ONNX
import OutputFolders
import Report

/// The data and network a plan's jobs read, loaded once per job.
public struct PlanInputs {
    public let dataset: Dataset
    public let labeller: Model
    public let provenance: ModelProvenance
    /// The shard key of the stages that read both (`ShardKey`).
    public let key: ShardKey
}

/// Runs one shard of one stage of a plan (`cnn-inte shard STAGE`). Each writes only its
/// own folder under `<output>/shards` (`ShardFolder.produce`), except the last stage, which
/// puts the results in place through `OutputFolder` like a one-process run: all at once,
/// nothing of the user's touched, one writer at a time.
public enum ShardStages {
    /// Runs `stage`'s shard `index`; returns false when it was already done.
    @discardableResult
    public static func run(_ stage: String, index: Int, plan: ShardPlan, folder: ShardFolder,
                           progress: ProgressSink = .silent) throws -> Bool {
        switch stage {
        case Stage.decode: return try DataShards.decode(plan, index: index, folder: folder, progress: progress)
        case Stage.data: return try DataShards.assemble(plan, folder: folder, progress: progress)
        case Stage.train: return try train(plan, folder: folder, progress: progress)
        case Stage.activations:
            let inputs = try load(plan, folder: folder)
            return try folder.produce(stage, index, key: inputs.key) { out in
                let pieces = plan.activations(trainImages: inputs.dataset.train.count, testImages: inputs.dataset.test.count)[index]
                let meter = ProgressMeter(progress, stage: "shard \(stage) \(index): activations of \(plan.interpretation.layer)",
                                          total: pieces.reduce(0) { $0 + $1.count }, unit: "images")
                defer { meter.finish() }
                try ActivationShards.compute(pieces, dataset: inputs.dataset, labeller: inputs.labeller,
                                             configuration: plan.interpretation, into: out, progress: meter)
            }
        case Stage.neighbours: return try NeighbourShards.run(plan, index: index, folder: folder, progress: progress)
        case Stage.clusters: return try ForestShards.cluster(plan, folder: folder, progress: progress)
        case Stage.forests: return try ForestShards.grow(plan, index: index, folder: folder, progress: progress)
        case Stage.interpret: return try interpret(plan, folder: folder, progress: progress)
        case Stage.diagrams: return try diagrams(plan, index: index, folder: folder, progress: progress)
        case Stage.report: return try report(plan, folder: folder, progress: progress)
        default: throw UsageError("shard: unknown stage '\(stage)'; the stages are \(Stage.all.joined(separator: ", "))")
        }
    }

    /// The shard key of the training stage: the plan and the data (`Dataset.fingerprint`,
    /// a hash of every pixel: computed once per job and passed here).
    static func trainKey(_ plan: ShardPlan, data: String) -> ShardKey {
        ShardKey(plan: plan.fingerprint, inputs: ["data": data])
    }

    /// The shard key of the stages that read the data and the model.
    static func key(_ plan: ShardPlan, data: String, model: String) -> ShardKey {
        ShardKey(plan: plan.fingerprint, inputs: ["data": data, "model": model])
    }

    /// The trained model's folder in the training shard.
    public static func trainedFolder(_ folder: ShardFolder) -> String {
        (folder.shard(Stage.train, 0) as NSString).appendingPathComponent("model")
    }

    static func train(_ plan: ShardPlan, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        guard let training = plan.training else { throw UsageError("shard train: this run brings its model; it has no train stage") }
        let dataset = try DataShards.dataset(plan, folder: folder)
        return try folder.produce(Stage.train, 0, key: trainKey(plan, data: dataset.fingerprint)) { out in
            let (model, description) = try TrainingRun.run(dataset: dataset, configuration: training, progress: progress)
            let modelFolder = (out as NSString).appendingPathComponent("model")
            try Folders.make(modelFolder)
            _ = try TrainingRun.write(model: model, description: description, into: modelFolder)
        }
    }

    /// The plan's data and network; for a trained network, the training shard must be done.
    public static func load(_ plan: ShardPlan, folder: ShardFolder) throws -> PlanInputs {
        let dataset = try DataShards.dataset(plan, folder: folder)
        let data = dataset.fingerprint
        switch plan.model {
        case let .imported(file, preprocessing, output):
            let imported = try ImportedModel.load(path: file, preprocessing: preprocessing, output: output)
            try imported.check(fits: dataset)
            return PlanInputs(dataset: dataset, labeller: imported.model,
                              provenance: .init(kind: .imported, file: imported.path, sha256: imported.fingerprint, description: imported.source),
                              key: key(plan, data: data, model: imported.fingerprint))
        case let .trained(modelFolder, weights):
            if plan.training != nil, !folder.isDone(Stage.train, 0, key: trainKey(plan, data: data)) {
                throw ShardError.notDone(stage: Stage.train, shards: [0], folder: folder.root)
            }
            let trained = try TrainedModel.load(folder: modelFolder)
            if plan.training == nil, trained.description.data.fingerprint != data {
                // `interpret` explains a trained model on its own data only; an image folder
                // is first seen whole here.
                throw trained.otherDataError(dataset.provenance)
            }
            return PlanInputs(dataset: dataset, labeller: trained.model, provenance: .trained(weights: weights, sha256: trained.fingerprint),
                              key: key(plan, data: data, model: trained.fingerprint))
        }
    }

    /// Throws naming the shards of `stage` not done with `key`.
    static func requireDone(_ stage: String, shards: Int, key: ShardKey, folder: ShardFolder) throws {
        let missing = (0..<shards).filter { !folder.isDone(stage, $0, key: key) }
        if !missing.isEmpty { throw ShardError.notDone(stage: stage, shards: missing, folder: folder.root) }
    }

    /// The interpretation from the activation shards: into its own shard when a report
    /// follows, else put in place as `<output>/interpretation`.
    static func interpret(_ plan: ShardPlan, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let inputs = try load(plan, folder: folder)
        try requireDone(Stage.activations, shards: plan.activationShards, key: inputs.key, folder: folder)
        try requireDone(Stage.neighbours, shards: plan.neighbourShards, key: inputs.key, folder: folder)
        try requireDone(Stage.clusters, shards: 1, key: inputs.key, folder: folder)
        try requireDone(Stage.forests, shards: plan.forestShards, key: inputs.key, folder: folder)
        let layout = plan.activations(trainImages: inputs.dataset.train.count, testImages: inputs.dataset.test.count)
        let source = ShardedActivations(folder: folder, layout: layout,
                                        fallback: LiveActivations(labeller: inputs.labeller, layer: plan.interpretation.layer))
        var precomputed: [String: any InterpretationAnalysis] = [:]
        if plan.neighbourShards > 0 {
            precomputed[NearestTrainingImages.fileName] = try NeighbourShards.gather(plan, dataset: inputs.dataset, folder: folder)
        }
        func interpret(into out: String) throws {
            let (grown, poolSeconds) = try ForestShards.gather(plan, folder: folder)
            try InterpretationRun.run(dataset: inputs.dataset, labeller: inputs.labeller, model: inputs.provenance,
                                      configuration: plan.interpretation, into: out, activations: source, precomputed: precomputed,
                                      grown: grown, progress: progress)
            _ = try InterpretationResults.recordStages(activationTimings(plan, layout: layout, folder: folder)
                                                        .merging(poolSeconds) { a, _ in a }, in: out)
        }
        guard plan.report == nil else {
            return try folder.produce(Stage.interpret, 0, key: inputs.key) { out in
                try interpret(into: (out as NSString).appendingPathComponent(InterpretationRun.folderName))
            }
        }
        if folder.isDone(Stage.interpret, 0, key: inputs.key) { return false }
        try OutputFolder(writing: plan.output).transaction([InterpretationRun.folderName]) { staged in
            try interpret(into: staged[0].path)
        }
        return try folder.produce(Stage.interpret, 0, key: inputs.key) { _ in }  // the run's done record
    }

    /// The report's configuration for a job before the results are in place: the
    /// interpretation in its shard, a trained model's weights in theirs.
    static func reportConfiguration(_ plan: ShardPlan, folder: ShardFolder) throws -> ReportRun.Configuration {
        guard var configuration = plan.report else { throw UsageError("shard: this run draws no report") }
        configuration.interpretation = (folder.shard(Stage.interpret, 0) as NSString).appendingPathComponent(InterpretationRun.folderName)
        if plan.training != nil {
            configuration.modelWeights = (trainedFolder(folder) as NSString).appendingPathComponent(ModelStore.weightsName)
        }
        return configuration
    }

    /// One diagram shard: its booklet classes' diagrams, pages and booklets.
    static func diagrams(_ plan: ShardPlan, index: Int, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let inputs = try load(plan, folder: folder)
        try requireDone(Stage.interpret, shards: 1, key: inputs.key, folder: folder)
        let configuration = try reportConfiguration(plan, folder: folder)
        return try folder.produce(Stage.diagrams, index, key: inputs.key) { out in
            let report = try ReportRun.inputs(configuration, dataset: inputs.dataset)
            let meter = ProgressMeter(progress, stage: "shard \(Stage.diagrams) \(index): diagrams",
                                      total: ReportRun.instances(ofShard: index, of: plan.diagramShards, inputs: report,
                                                                 grouping: configuration.bookletsBy), unit: "diagrams")
            defer { meter.finish() }
            try ReportRun.drawShard(configuration, inputs: report, shard: index, of: plan.diagramShards,
                                    into: (out as NSString).appendingPathComponent("report"),
                                    pdf: (out as NSString).appendingPathComponent("pdf"), progress: meter)
        }
    }

    /// The report assembled from the diagram shards, and everything put in place at once.
    static func report(_ plan: ShardPlan, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        var configuration = try reportConfiguration(plan, folder: folder)
        let inputs = try load(plan, folder: folder)
        try requireDone(Stage.interpret, shards: 1, key: inputs.key, folder: folder)
        try requireDone(Stage.diagrams, shards: plan.diagramShards, key: inputs.key, folder: folder)
        if folder.isDone(Stage.report, 0, key: inputs.key) { return false }
        let trains = plan.training != nil
        let names = (trains ? ["model"] : []) + [InterpretationRun.folderName, "report", "pdf"]
        try OutputFolder(writing: plan.output).transaction(names) { staged in
            var (next, stages) = (0, [String: Double]())
            if trains {
                try copyContents(of: trainedFolder(folder), into: staged[0].path)
                stages["training"] = folder.record(Stage.train, 0)?.seconds
                next = 1
            }
            let interpretation = staged[next].path
            try copyContents(of: configuration.interpretationFolder, into: interpretation)
            configuration.interpretation = interpretation
            if trains { configuration.modelWeights = (staged[0].path as NSString).appendingPathComponent(ModelStore.weightsName) }
            let start = DispatchTime.now().uptimeNanoseconds
            let parts = (0..<plan.diagramShards).map { index -> (report: String, pdf: String) in
                let base = folder.shard(Stage.diagrams, index) as NSString
                return (base.appendingPathComponent("report"), base.appendingPathComponent("pdf"))
            }
            try ReportRun.assemble(configuration, inputs: try ReportRun.inputs(configuration, dataset: inputs.dataset), parts: parts,
                                   into: staged[next + 1].path, pdf: staged[next + 2].path, progress: progress)
            stages["report"] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            stages["diagram_shards"] = Double(plan.diagramShards)
            stages["diagram_shards_seconds"] = (0..<plan.diagramShards).compactMap { folder.record(Stage.diagrams, $0)?.seconds }.reduce(0, +)
            _ = try InterpretationResults.recordStages(stages, in: interpretation)
        }
        return try folder.produce(Stage.report, 0, key: inputs.key) { _ in }  // the run's done record
    }

    /// The activation stage's figures for results.json: its shards, their seconds in all
    /// (each shard's computing, not its loading) and the images per second they made,
    /// which replaces the in-process figure (here, reading the shards' files).
    static func activationTimings(_ plan: ShardPlan, layout: [[ActivationPiece]], folder: ShardFolder) -> [String: Double] {
        let seconds = (0..<plan.activationShards).compactMap { folder.record(Stage.activations, $0)?.seconds }.reduce(0, +)
        let images = layout.joined().reduce(0) { $0 + $1.count }
        let neighbours = (0..<plan.neighbourShards).compactMap { folder.record(Stage.neighbours, $0)?.seconds }.reduce(0, +)
        return ["activation_shards": Double(plan.activationShards), "activation_shards_seconds": seconds,
                "neighbour_shards": Double(plan.neighbourShards), "neighbour_shards_seconds": neighbours,
                "activations_images_per_s": Double(images) / max(seconds, 1e-9)]
    }

    /// Copies every file of `source` into the existing folder `destination`. Copied, not
    /// linked as the diagram shards' files are (`ReportRun.link`): results.json is rewritten
    /// in place afterwards, which through a link would change the shard's file too.
    static func copyContents(of source: String, into destination: String) throws {
        let fm = FileManager.default
        for name in try fm.contentsOfDirectory(atPath: source).sorted() {
            let to = (destination as NSString).appendingPathComponent(name)
            do { try fm.copyItem(atPath: (source as NSString).appendingPathComponent(name), toPath: to) } catch {
                throw FileError(path: to, problem: "cannot be written (\(FileError.reason(error)))")
            }
        }
    }
}
