import Datasets
import Foundation
import Numerics
import OutputFolders

/// The interpretation stage as one call: the labeller's activations of one layer on a
/// data set, the two-level clustering, the forests fitted on CNN-labelled meta-level
/// training data, the decisions on the test set and the comparator, written to a folder
/// into one folder. The `interpret` and `run` commands and the tests go through here.
public enum InterpretationRun {
    /// Runs on `dataset` with `labeller` (the network being explained; the results name
    /// it by `model`: its kind, file and SHA-256) and
    /// writes the four artifacts into `folder` (made if missing). `activations`, when
    /// given, supplies the layer's passes over fixed images (a cluster's shards); the
    /// labeller computes the others. `precomputed` analyses (by file name) are taken as
    /// they are, not computed.
    @discardableResult
    public static func run(dataset: Dataset, labeller: ImageLabeller, model: ModelProvenance,
                           configuration: InterpretationConfiguration, into folder: String,
                           activations source: ActivationSource? = nil, precomputed: [String: any InterpretationAnalysis] = [:],
                           grown: GrownForests? = nil, progress: ProgressSink = .silent) throws -> InterpretationResults {
        try validate(dataset: dataset, labeller: labeller, configuration: configuration)
        do { try Folders.make(folder) } catch {
            throw FileError(path: folder, problem: "cannot be created (\(FileError.reason(error)))")
        }
        func write(_ data: Data, _ name: String) throws { try writeArtifact(data, named: name, in: folder) }
        let layer = configuration.layer
        var seconds: [String: Double] = [:]
        let source = source ?? LiveActivations(labeller: labeller, layer: layer)
        let inputs = try interpreterInputs(dataset: dataset, source: source, configuration: configuration,
                                           progress: progress, seconds: &seconds)
        let (trainFeatures, trainPredictions) = (inputs.trainFeatures, inputs.trainPredictions)
        let copies = configuration.effectiveAugmentCopies(trainingImages: dataset.train.count)
        let fitted: InterpretationModel, decided: [InstanceRecord]
        var timings: Interpreter.Timings
        if let grown {
            (fitted, timings) = (grown.model, grown.timings)
            decided = Interpreter.decide(fitted, inputs: inputs, timings: &timings)
        } else {
            (fitted, decided, timings) = try Interpreter.fit(inputs, clustering: configuration.clustering, meta: configuration.meta, extraPool: { tree, add in
                try addExtraPool(tree, add: add, dataset: dataset, labeller: labeller, configuration: configuration, source: source,
                                 trainFeatures: trainFeatures, trainPredictions: trainPredictions, progress: progress, seconds: &seconds)
            }, progress: progress)
        }
        if fitted.tree.level1.count < configuration.k1 {
            progress.line("interpret: \(fitted.tree.level1.count.counted("level-1 cluster")) instead of \(configuration.k1): the layer gives only that many distinct activation vectors on the training images")
        }
        var context = AnalysisContext(dataset: dataset, labeller: labeller, model: model, folder: folder, configuration: configuration,
                                      inputs: inputs, fitted: fitted, records: decided, activations: source, progress: progress,
                                      precomputed: precomputed)
        let (stages, stageSeconds) = try Analyses.decide(&context)
        let records = context.records
        seconds.merge(stageSeconds) { _, new in new }
        seconds.merge(try Analyses.run(.beforeResults, context, write: write)) { _, new in new }
        let metrics = InterpretationMetrics(records: records, tree: fitted.tree, classes: dataset.classCount)
        let (figures, figureSeconds) = try Analyses.figures(context)
        record(timings, into: &seconds, progress: progress)
        seconds.merge(figureSeconds) { _, new in new }
        var results = InterpretationResults(
            metrics: metrics, globalForest: nil,
            configuration: recorded(configuration, k1: fitted.tree.level1.count, layerWidth: trainFeatures.columns, copies: copies,
                                    dataset: dataset, model: model),
            classNames: dataset.classNames, timings: seconds)
        results.forestNodes = forestNodes(fitted)
        for stage in stages { stage.record(in: &results) }
        for figure in figures { figure.record(in: &results) }
        try write(try JSONEncoder.pretty.encode(results), Artifacts.resultsName)
        try write(Data(InstancesTable.encode(records, k1: fitted.tree.level1.count, classes: dataset.classCount, files: dataset.test.files).utf8),
                  Artifacts.instancesName)
        try write(try JSONEncoder.sorted.encode(ImageNames(dataset)), ImageNames.fileName)
        context.results = results
        _ = try Analyses.run(.afterResults, context, write: write)
        try write(try ClustersFile(tree: fitted.tree, learners: fitted.meta.learners, classNames: dataset.classNames).encoded(),
                  Artifacts.clustersName)
        try write(Data(try InterpretationStore.encode(fitted, classes: dataset.classCount)), InterpretationStore.fileName)
        return results
    }

    /// What the interpreter is given: the layer's activations of the training and test
    /// images and the CNN's predictions (soft labels too, when asked), timed into `seconds`.
    static func interpreterInputs(dataset: Dataset, source: ActivationSource, configuration: InterpretationConfiguration,
                                  progress: ProgressSink, seconds: inout [String: Double]) throws -> Interpreter.Inputs {
        progress.line("interpret: layer \(configuration.layer) of \(dataset.train.count) training and \(dataset.test.count) test images")
        func pass(_ pass: ActivationPass, _ images: ImageSet, _ what: String, _ key: String) throws -> (Matrix, Matrix) {
            let meter = ProgressMeter(progress, stage: "interpret: activations of \(what)", total: images.count, unit: "images")
            defer { seconds[key] = meter.finish() }
            return try source.activations(pass, images: { images }, progress: meter)
        }
        let (trainFeatures, trainProbabilities) = try pass(.train, dataset.train.images, "the training images", "activations_train")
        let (testFeatures, testProbabilities) = try pass(.test, dataset.test.images, "the test images", "activations_test")
        let activationSeconds = seconds["activations_train"]! + seconds["activations_test"]!
        seconds["activations_images_per_s"] = Double(dataset.train.count + dataset.test.count) / max(activationSeconds, 1e-9)
        let trainPredictions = trainProbabilities.argmaxRows(), testPredictions = testProbabilities.argmaxRows()
        var inputs = Interpreter.Inputs(
            trainFeatures: trainFeatures, trainPredictions: trainPredictions, trainLabels: dataset.train.labels.map(Int.init),
            testFeatures: testFeatures, testPredictions: testPredictions,
            testProbabilities: testPredictions.enumerated().map { Double(testProbabilities.values[$0.offset * testProbabilities.columns + $0.element]) },
            testLabels: dataset.test.labels.map(Int.init), classes: dataset.classCount)
        if configuration.softLabels { inputs.trainSoft = SoftLabels(probabilities: trainProbabilities) }
        return inputs
    }

    /// Forests grown apart from the run (a sharded run's forest shards) on the pool that
    /// `pool` made, handed to `run` with the seconds their clustering, binning and growing took.
    public struct GrownForests {
        public var model: InterpretationModel
        public var timings: Interpreter.Timings

        public init(model: InterpretationModel, timings: Interpreter.Timings) {
            self.model = model
            self.timings = timings
        }
    }

    /// What `run` would grow its forests from, made as `run` makes it: the clustering and
    /// the pool of training activations, CNN-labelled augmented copies and blends. With
    /// the stages' seconds.
    public static func pool(dataset: Dataset, labeller: ImageLabeller, configuration: InterpretationConfiguration,
                            activations source: ActivationSource, progress: ProgressSink = .silent) throws -> (ForestPool, [String: Double]) {
        try validate(dataset: dataset, labeller: labeller, configuration: configuration)
        var seconds: [String: Double] = [:], timings = Interpreter.Timings()
        let inputs = try interpreterInputs(dataset: dataset, source: source, configuration: configuration, progress: progress, seconds: &seconds)
        let pool = try Interpreter.pool(inputs, clustering: configuration.clustering, meta: configuration.meta, extraPool: { tree, add in
            try addExtraPool(tree, add: add, dataset: dataset, labeller: labeller, configuration: configuration, source: source,
                             trainFeatures: inputs.trainFeatures, trainPredictions: inputs.trainPredictions, progress: progress, seconds: &seconds)
        }, progress: progress, timings: &timings)
        seconds.merge(["clustering": timings.clusteringSeconds, "pool_and_binning": timings.binningSeconds]) { _, new in new }
        return (pool, seconds)
    }

    /// The CNN-labelled data beyond the training images, given to `add` in chunks: the
    /// augmented copies, then the boundary blends (`--boundary-blends`).
    static func addExtraPool(_ tree: ClusterTree, add: (Matrix, [Int], SoftLabels?) -> Void, dataset: Dataset, labeller: ImageLabeller,
                             configuration: InterpretationConfiguration, source: ActivationSource, trainFeatures: Matrix,
                             trainPredictions: [Int], progress: ProgressSink, seconds: inout [String: Double]) throws {
        func soft(_ probabilities: Matrix) -> SoftLabels? { configuration.softLabels ? SoftLabels(probabilities: probabilities) : nil }
        let copies = configuration.effectiveAugmentCopies(trainingImages: dataset.train.count)
        if copies < configuration.augmentCopies {
            progress.line("interpret: \(copies) augmented copies per image instead of \(configuration.augmentCopies), to keep the pool under \(InterpretationConfiguration.poolCap) images")
        }
        if copies > 0 {
            let meter = ProgressMeter(progress, stage: "interpret: activations of \(copies) CNN-labelled augmented copies of each training image",
                                      total: copies * dataset.train.count, unit: "images")
            try addAugmentedCopies(of: PickedImages(dataset.train.images), copies: copies, seed: configuration.augmentationSeed,
                                   source: source, pass: ActivationPass.augmented, progress: meter) { features, probabilities in
                add(features, probabilities.argmaxRows(), soft(probabilities))
            }
            seconds["augmented_copies"] = meter.finish()
        }
        if configuration.boundaryBlends > 0 {
            let blends = MetaPool.boundaryBlends(images: dataset.train.images, features: trainFeatures,
                                                 predictions: trainPredictions, level1: tree.trainLevel1,
                                                 mixes: configuration.boundaryBlends)
            let (features, probabilities) = try activations(of: blends, "\(blends.count) boundary blends", labeller: labeller,
                                                            layer: configuration.layer, progress: progress, seconds: &seconds["boundary_blends"])
            add(features, probabilities.argmaxRows(), soft(probabilities))
        }
    }

    /// The interpreter's stage timings into `seconds` (the pool's without the activations of
    /// its copies and blends, timed apart), and as one line of progress.
    static func record(_ timings: Interpreter.Timings, into seconds: inout [String: Double], progress: ProgressSink) {
        let binning = max(0, timings.binningSeconds - (seconds["augmented_copies"] ?? 0) - (seconds["boundary_blends"] ?? 0))
        progress.line(String(format: "interpret: clustering %.2f s, pool and binning %.2f s, forests %.2f s, decisions %.2f s",
                             timings.clusteringSeconds, binning, timings.forestSeconds, timings.predictSeconds))
        seconds.merge(["clustering": timings.clusteringSeconds, "pool_and_binning": binning,
                       "forests": timings.forestSeconds, "decisions": timings.predictSeconds]) { _, new in new }
    }

    /// Writes one file of the interpretation folder, naming it on failure.
    static func writeArtifact(_ data: Data, named name: String, in folder: String) throws {
        let path = (folder as NSString).appendingPathComponent(name)
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, problem: "cannot be written (\(FileError.reason(error)))")
        }
    }

    /// Nodes in all the level-1 forests' trees.
    static func forestNodes(_ fitted: InterpretationModel) -> Int {
        fitted.meta.learners.reduce(0) { total, learner in
            if case let .forest(forest) = learner { return total + forest.trees.reduce(0) { $0 + $1.nodeCount } }
            return total
        }
    }

    /// Runs and saves the artifacts as `<output>/interpretation`, replaced only once the
    /// new ones are complete. Everything is checked before anything is written.
    @discardableResult
    public static func runAndSave(dataset: Dataset, labeller: ImageLabeller, model: ModelProvenance,
                                  configuration: InterpretationConfiguration, output: String,
                                  progress: ProgressSink = .silent) throws -> InterpretationResults {
        try validate(dataset: dataset, labeller: labeller, configuration: configuration)
        return try OutputFolder(writing: output).transaction([folderName]) { staged in
            try run(dataset: dataset, labeller: labeller, model: model,
                    configuration: configuration, into: staged[0].path, progress: progress)
        }
    }

    /// The interpretation's folder in an output folder.
    public static let folderName = "interpretation"

    /// The options, and how they fit the data and the labeller.
    public static func validate(dataset: Dataset, labeller: ImageLabeller, configuration: InterpretationConfiguration) throws {
        try validate(data: dataset.shape, labeller: labeller, configuration: configuration)
    }

    /// The same checks on the data's shape (a sharded run's launcher does not decode it).
    public static func validate(data dataset: DataShape, labeller: ImageLabeller, configuration: InterpretationConfiguration) throws {
        try configuration.validate()
        guard labeller.layerNames.contains(configuration.layer) else {
            throw UsageError("--layer: unknown layer '\(configuration.layer)'; the model has \(labeller.layerNames.joined(separator: ", "))")
        }
        if let unknown = configuration.compareLayers.first(where: { !labeller.layerNames.contains($0) }) {
            throw UsageError("--layers: unknown layer '\(unknown)'; the model has \(labeller.layerNames.joined(separator: ", "))")
        }
        guard labeller.classCount == dataset.classCount else {
            throw UsageError("the model predicts \(labeller.classCount) classes but the data has \(dataset.classCount)")
        }
        guard configuration.k1 <= dataset.trainImages else {
            throw UsageError("--k1 \(configuration.k1) is larger than the \(dataset.trainImages.counted("training image")) to cluster")
        }
    }

    /// `copies` CNN-labelled augmented copies of every image, made, labelled, routed and
    /// binned `ActivationPass.chunkSize` source images at a time (the passes `pass(chunk)`)
    /// so only the pool's bins are ever held whole.
    static func addAugmentedCopies(of images: PickedImages, copies: Int, seed: SplitMix64, source: ActivationSource,
                                   pass: (_ chunk: Int) -> ActivationPass, progress: ProgressMeter? = nil,
                                   add: (_ features: Matrix, _ probabilities: Matrix) -> Void) throws {
        for chunk in 0..<chunks(of: images.count) {
            let (features, probabilities) = try source.activations(pass(chunk), images: {
                augmentedChunk(chunk, of: images, copies: copies, seed: seed)
            }, progress: progress)
            add(features, probabilities)
        }
    }

    /// Chunks of `ActivationPass.chunkSize` source images in `count`.
    public static func chunks(of count: Int) -> Int { (count + ActivationPass.chunkSize - 1) / ActivationPass.chunkSize }

    /// The augmented copies of chunk `chunk` of `images`: `copies` of each source image,
    /// from a seed derived from the chunk's first image (the images of an `.augmented` or
    /// `.calibration` pass).
    public static func augmentedChunk(_ chunk: Int, of images: PickedImages, copies: Int, seed: SplitMix64) -> ImageSet {
        let start = chunk * ActivationPass.chunkSize, end = min(start + ActivationPass.chunkSize, images.count)
        let sources = images.images(in: start..<end)
        return Augmentation().augmentedCopies(of: sources, copies: copies, seed: seed.derived(UInt64(start)).state)
    }

    /// The labeller's activations of `layer` and probabilities on `images`, with an
    /// updating progress line; their seconds into `seconds`.
    static func activations(of images: ImageSet, _ what: String, labeller: ImageLabeller, layer: String, progress: ProgressSink,
                            seconds: inout Double?) throws -> (features: Matrix, probabilities: Matrix) {
        let meter = ProgressMeter(progress, stage: "interpret: activations of \(what)", total: images.count, unit: "images")
        let result = try labeller.featuresAndProbabilities(layer: layer, images: images, progress: meter)
        seconds = meter.finish()
        return result
    }

    /// The configuration as results.json records it.
    static func recorded(_ c: InterpretationConfiguration, k1: Int, layerWidth: Int, copies: Int, dataset: Dataset,
                         model: ModelProvenance) -> InterpretationResults.Configuration {
        let clustering = c.clustering
        return .init(layer: c.layer, layerWidth: layerWidth, k1: k1, k2: c.k2, minClusterSize: clustering.minClusterSize,
                     prototypes: c.prototypes, kmeansRestarts: c.kmeansRestarts, trees: c.trees,
                     maxFeatures: c.maxFeatures ?? Int(Double(layerWidth).squareRoot()), maxDepth: c.maxDepth,
                     minSamplesLeaf: c.minSamplesLeaf, splits: c.splits.rawValue, metaTraining: c.metaTraining.rawValue,
                     boundaryCloseness: c.boundaryCloseness, augmentCopies: copies, boundaryBlends: c.boundaryBlends,
                     softLabels: c.softLabels, seed: c.seed, data: dataset.name, dataFingerprint: dataset.fingerprint, model: model.description,
                     modelFingerprint: model.sha256, dataSource: dataset.selection, modelProvenance: model)
    }
}
