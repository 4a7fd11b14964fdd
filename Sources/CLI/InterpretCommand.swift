import ArgumentParser
import Datasets
import Foundation
import Interpretation
import Network

/// Options of the interpretation stage; shared by `interpret` and `run`.
struct InterpretationOptions: ParsableArguments {
    @Option(help: "The hidden layer to interpret.") var layer = "fc1"
    @Option(help: "Level-1 clusters.") var k1 = 10
    @Option(help: "Level-2 clusters inside each level-1 cluster (fewer for small clusters).") var k2 = 5
    @Option(name: .customLong("kmeans-restarts"), help: "k-means runs per clustering; the lowest inertia wins.")
    var kmeansRestarts = 1
    @Option(help: "Prototypes kept per cluster (members nearest the centroid).") var prototypes = 5
    @Option(help: "Trees per random forest.") var trees = 100
    @Option(name: .customLong("max-depth"), help: "Depth limit of the trees (default: grow until pure).") var maxDepth: Int?
    @Option(name: .customLong("max-features"), help: "Candidate features per split (default: the square root of the feature count).")
    var maxFeatures: Int?
    @Option(name: .customLong("min-samples-leaf"), help: "Fewest training samples in a leaf.") var minSamplesLeaf = 1
    @Option(help: "Split search of the trees: binned (256 quantile bins per feature) or exact (every cut between two values, as scikit-learn; as faithful, 4-8x slower, 5 bytes per pool value instead of 1).")
    var splits = SplitSearch.binned
    @Option(name: .customLong("meta-training"), help: "Meta-level training data of each cluster's forest: members (the paper) or soft-boundaries (also the points whose runner-up cluster it is).")
    var metaTraining = MetaConfiguration.TrainingSet.softBoundaries
    @Option(name: .customLong("boundary-closeness"), help: "With soft-boundaries: a point also trains its runner-up cluster's forest only when its distance ratio (own centroid / runner-up) is at least this; 0 takes every point (the plain soft boundaries).")
    var boundaryCloseness = 0.8
    @Option(name: .customLong("augment-copies"), help: "CNN-labelled augmented copies of each training image added to the forests' training data (0 = none; fewer when the pool would pass 120,000 images).")
    var augmentCopies = 5
    @Option(name: .customLong("boundary-blends"), help: "CNN-labelled blends of each training image with its nearest neighbour of another predicted class (0 = none).")
    var boundaryBlends = 0
    @Flag(name: .customLong("no-global-forest"), help: "Skip the comparator: one forest on all training activations.")
    var noGlobalForest = false

    enum SplitSearch: String, ExpressibleByArgument, CaseIterable { case binned, exact }

    /// Most images the meta-level training pool holds (training images plus augmented copies).
    static let poolCap = 120_000

    func validate() throws {
        if k1 < 1 { throw ValidationError("--k1 must be at least 1 (got \(k1))") }
        if kmeansRestarts < 1 { throw ValidationError("--kmeans-restarts must be at least 1 (got \(kmeansRestarts))") }
        if k2 < 1 { throw ValidationError("--k2 must be at least 1 (got \(k2))") }
        if prototypes < 0 { throw ValidationError("--prototypes cannot be negative (got \(prototypes))") }
        if boundaryBlends < 0 { throw ValidationError("--boundary-blends cannot be negative (got \(boundaryBlends))") }
        if augmentCopies < 0 { throw ValidationError("--augment-copies cannot be negative (got \(augmentCopies))") }
        if !(0...1).contains(boundaryCloseness) { throw ValidationError("--boundary-closeness must be in [0, 1] (got \(boundaryCloseness))") }
        if trees < 1 { throw ValidationError("--trees must be at least 1 (got \(trees))") }
        if let maxDepth, maxDepth < 1 { throw ValidationError("--max-depth must be at least 1 (got \(maxDepth))") }
        if let maxFeatures, maxFeatures < 1 { throw ValidationError("--max-features must be at least 1 (got \(maxFeatures))") }
        if minSamplesLeaf < 1 { throw ValidationError("--min-samples-leaf must be at least 1 (got \(minSamplesLeaf))") }
    }

    func configurations(seed: UInt64) -> (ClusterTree.Configuration, MetaConfiguration) {
        var clustering = ClusterTree.Configuration()
        clustering.k1 = k1
        clustering.k2 = k2
        clustering.prototypes = prototypes
        clustering.restarts = kmeansRestarts
        clustering.seed = seed
        var meta = MetaConfiguration()
        meta.trainingSet = metaTraining
        meta.boundaryCloseness = boundaryCloseness
        let tree = TreeConfiguration(maxFeatures: maxFeatures, minSamplesLeaf: minSamplesLeaf, maxDepth: maxDepth,
                                     exactSplits: splits == .exact)
        meta.forest = RandomForest.Configuration(trees: trees, tree: tree, seed: SplitMix64(seed: seed).derived(0xF0).state)
        return (clustering, meta)
    }
}

extension MetaConfiguration.TrainingSet: ExpressibleByArgument {}

struct InterpretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Cluster a hidden layer, fit the forests, write <output>/interpretation.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var options: InterpretationOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let progress = Progress(quiet: output.quiet)
        _ = runOptions.apply()
        _ = try BLAS.load()
        let dataset = try dataOptions.load()
        let model = try ModelStore.load(folder: runOptions.modelFolder)
        let metrics = try Interpretation.runStage(dataset: dataset, model: model, options: options, run: runOptions, progress: progress)
        print(String(format: "fidelity %.2f%%, CNN-INTE accuracy %.2f%%, CNN accuracy %.2f%% on %d test images; results in %@",
                     100 * metrics.fidelity, 100 * metrics.inte_test_accuracy, 100 * metrics.cnn_test_accuracy, metrics.n_test,
                     runOptions.interpretationFolder))
    }
}

/// The interpretation step of `interpret` and `run`.
enum Interpretation {
    static func runStage(dataset: Dataset, model: Model, options: InterpretationOptions, run: RunOptions,
                         progress: Progress) throws -> InterpretationMetrics {
        guard model.layerNames.contains(options.layer) else {
            throw UsageError("--layer: unknown layer '\(options.layer)'; the model has \(model.layerNames.joined(separator: ", "))")
        }
        guard model.classCount == dataset.classCount else {
            throw UsageError("the model predicts \(model.classCount) classes but the data has \(dataset.classCount)")
        }
        progress.line("interpret: \(options.layer) activations of \(dataset.train.count) training and \(dataset.test.count) test images")
        let (trainFeatures, trainProbabilities) = try model.featuresAndProbabilities(layer: options.layer, images: dataset.train.images)
        let (testFeatures, testProbabilities) = try model.featuresAndProbabilities(layer: options.layer, images: dataset.test.images)
        let trainEval = Evaluation(probabilities: trainProbabilities, labels: dataset.train.labels)
        let testEval = Evaluation(probabilities: testProbabilities, labels: dataset.test.labels)
        let (clustering, meta) = options.configurations(seed: run.seed)
        let inputs = Interpreter.Inputs(
            trainFeatures: trainFeatures, trainPredictions: trainEval.predictions,
            trainLabels: dataset.train.labels.map(Int.init),
            testFeatures: testFeatures, testPredictions: testEval.predictions,
            testProbabilities: testEval.predictions.enumerated().map { Double(testEval.probabilities.values[$0.offset * testEval.probabilities.columns + $0.element]) },
            testLabels: dataset.test.labels.map(Int.init), classes: dataset.classCount)
        // CNN-labelled extra data: augmented copies, and boundary blends if asked for. The
        // pool is capped so memory stays bounded on large data sets (Fashion-MNIST: 1 copy).
        let copies = min(options.augmentCopies, max(0, InterpretationOptions.poolCap / max(1, dataset.train.count) - 1))
        if copies < options.augmentCopies {
            progress.line("interpret: \(copies) augmented copies per image instead of \(options.augmentCopies), to keep the pool under \(InterpretationOptions.poolCap) images")
        }
        let augmentation = Augmentation()
        let augmentationSeed = SplitMix64(seed: run.seed).derived(0xA6)
        let (fitted, records, timings) = try Interpreter.fit(inputs, clustering: clustering, meta: meta, extraPool: { tree, add in
            if copies > 0 {
                progress.line("interpret: \(copies) CNN-labelled augmented copies of each training image")
                let chunk = 2_000
                for start in stride(from: 0, to: dataset.train.count, by: chunk) {
                    let end = min(start + chunk, dataset.train.count)
                    let pixels = dataset.train.images.pixelsPerImage
                    let sources = ImageSet(count: end - start, rows: dataset.rows, columns: dataset.columns,
                                           pixels: Array(dataset.train.images.pixels[(start * pixels)..<(end * pixels)]))
                    let images = augmentation.augmentedCopies(of: sources, copies: copies, seed: augmentationSeed.derived(UInt64(start)).state)
                    let (features, predictions) = try MetaPool.label(images, model: model, layer: options.layer)
                    add(features, predictions)
                }
            }
            if options.boundaryBlends > 0 {
                let blends = MetaPool.boundaryBlends(images: dataset.train.images, features: trainFeatures,
                                                     predictions: trainEval.predictions, level1: tree.trainLevel1, mixes: options.boundaryBlends)
                progress.line("interpret: \(blends.count) boundary blends labelled by the CNN")
                let (features, predictions) = try MetaPool.label(blends, model: model, layer: options.layer)
                add(features, predictions)
            }
        }, progress: { progress.line($0) })
        let metrics = InterpretationMetrics(records: records, tree: fitted.tree, classes: dataset.classCount)
        var comparator: Artifacts.Comparator?
        if !options.noGlobalForest {
            progress.line("interpret: global forest comparator on all \(trainFeatures.rows) training activations")
            comparator = try Interpreter.globalForest(inputs, forest: meta.forest)
        }
        progress.line(String(format: "interpret: clustering %.2f s, pool and binning %.2f s, forests %.2f s, decisions %.2f s",
                             timings.clusteringSeconds, timings.binningSeconds, timings.forestSeconds, timings.predictSeconds))
        let configuration: [String: Any] = [
            "layer": options.layer, "layer_width": trainFeatures.columns, "k1": clustering.k1, "k2": clustering.k2,
            "min_cluster_size": clustering.minClusterSize, "prototypes": clustering.prototypes, "kmeans_restarts": clustering.restarts,
            "trees": meta.forest.trees, "max_features": meta.forest.tree.maxFeatures ?? Int(Double(trainFeatures.columns).squareRoot()),
            "max_depth": meta.forest.tree.maxDepth ?? NSNull(), "min_samples_leaf": meta.forest.tree.minSamplesLeaf,
            "splits": options.splits.rawValue,
            "meta_training": meta.trainingSet.rawValue, "boundary_closeness": meta.boundaryCloseness, "augment_copies": copies,
            "boundary_blends": options.boundaryBlends, "seed": run.seed, "data": dataset.name,
            "data_fingerprint": dataset.fingerprint, "model": (run.modelFolder as NSString).appendingPathComponent(ModelStore.weightsName),
        ]
        let staged = try StagedFolder(run.interpretationFolder)
        do {
            try staged.write(try Artifacts.results(metrics: metrics, comparator: comparator, configuration: configuration,
                                                   classNames: dataset.classNames,
                                                   timings: ["clustering": timings.clusteringSeconds, "pool_and_binning": timings.binningSeconds,
                                                             "forests": timings.forestSeconds, "decisions": timings.predictSeconds]),
                             to: Artifacts.resultsName)
            try staged.write(Data(Artifacts.instancesCSV(records, k1: clustering.k1, classes: dataset.classCount).utf8),
                             to: Artifacts.instancesName)
            try staged.write(try Artifacts.clustersJSON(fitted.tree, classNames: dataset.classNames), to: Artifacts.clustersName)
            try staged.write(Data(try InterpretationStore.encode(fitted, classes: dataset.classCount)), to: InterpretationStore.fileName)
            try staged.commit()
        } catch {
            staged.discard()
            throw error
        }
        return metrics
    }
}
