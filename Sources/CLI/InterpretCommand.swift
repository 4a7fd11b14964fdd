import ArgumentParser
import Datasets
import Foundation
import Interpretation
import Network
import Numerics
import ONNX
import Sharding

/// Options of the interpretation stage; shared by `interpret` and `run`.
struct InterpretationOptions: ParsableArguments {
    @Option(help: "The hidden layer to interpret.") var layer = "fc1"
    @Option(help: ArgumentHelp("Interpret each of these layers the same way and compare them (the report's layers.html); the first is explained in full, instead of --layer.",
                               valueName: "L1,L2,..."))
    var layers: String?
    @Option(parsing: .unconditional, help: "Level-1 clusters.") var k1 = 10
    @Option(parsing: .unconditional, help: "Level-2 clusters inside each level-1 cluster (fewer for small clusters).") var k2 = 5
    @Option(name: .customLong("kmeans-restarts"), parsing: .unconditional, help: "k-means runs per clustering; the lowest inertia wins.")
    var kmeansRestarts = 1
    @Option(parsing: .unconditional, help: "Prototypes kept per cluster (members nearest the centroid).") var prototypes = 5
    @Option(parsing: .unconditional, help: "Trees per random forest.") var trees = 100
    @Option(name: .customLong("max-depth"), parsing: .unconditional, help: "Depth limit of the trees (default: grow until pure).") var maxDepth: Int?
    @Option(name: .customLong("max-features"), parsing: .unconditional, help: "Candidate features per split (default: the square root of the feature count).")
    var maxFeatures: Int?
    @Option(name: .customLong("min-samples-leaf"), parsing: .unconditional, help: "Fewest training samples in a leaf.") var minSamplesLeaf = 1
    @Option(help: "Split search of the trees: binned (256 quantile bins per feature) or exact (every cut between two values, as scikit-learn; as faithful, 4-8x slower, 5 bytes per pool value instead of 1).")
    var splits = InterpretationConfiguration.SplitSearch.binned
    @Option(name: .customLong("meta-training"), help: "Meta-level training data of each cluster's forest: members (the paper) or soft-boundaries (also the points whose runner-up cluster it is).")
    var metaTraining = MetaConfiguration.TrainingSet.softBoundaries
    @Option(name: .customLong("boundary-closeness"), parsing: .unconditional, help: "With soft-boundaries: a point also trains its runner-up cluster's forest only when its distance ratio (own centroid / runner-up) is at least this; 0 takes every point (the plain soft boundaries).")
    var boundaryCloseness = 0.8
    @Option(name: .customLong("augment-copies"), parsing: .unconditional, help: "CNN-labelled augmented copies of each training image added to the forests' training data (0 = none; fewer when the pool would pass 120,000 images).")
    var augmentCopies = 5
    @Option(name: .customLong("boundary-blends"), parsing: .unconditional, help: "CNN-labelled blends of each training image with its nearest neighbour of another predicted class (0 = none).")
    var boundaryBlends = 0
    @Flag(name: .customLong("soft-labels"), help: "Grow the forests on the CNN's two most probable classes and their shares instead of its prediction alone; leaves vote distributions (binned splits only).")
    var softLabels = false
    @Option(parsing: .unconditional, help: "Nearest training images listed for each test instance, in the layer's activations (0 = none).")
    var neighbours = 5
    @Flag(name: .customLong("no-map"), help: "Skip the map of the layer (UMAP of every training and test point; about 40 s for 70,000 points).")
    var noMap = false
    @Flag(name: .customLong("no-global-forest"), help: "Skip the comparator: one forest on all training activations.")
    var noGlobalForest = false

    func validate() throws {
        if let layers, layerList(layers).count < 2 {
            throw ValidationError("--layers takes two or more layer names separated by commas (got '\(layers)'); --layer names one")
        }
        try validating { try configuration(seed: 1).validate() }
    }

    func layerList(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func configuration(seed: UInt64) -> InterpretationConfiguration {
        var c = InterpretationConfiguration()
        c.layer = layer
        if let layers {
            let list = layerList(layers)
            c.layer = list.first ?? layer
            c.compareLayers = list
        }
        c.k1 = k1
        c.k2 = k2
        c.kmeansRestarts = kmeansRestarts
        c.prototypes = prototypes
        c.trees = trees
        c.maxDepth = maxDepth
        c.maxFeatures = maxFeatures
        c.minSamplesLeaf = minSamplesLeaf
        c.splits = splits
        c.metaTraining = metaTraining
        c.boundaryCloseness = boundaryCloseness
        c.augmentCopies = augmentCopies
        c.boundaryBlends = boundaryBlends
        c.softLabels = softLabels
        c.neighbours = neighbours
        c.globalForest = !noGlobalForest
        c.map = !noMap
        c.seed = seed
        return c
    }
}

extension MetaConfiguration.TrainingSet: ExpressibleByArgument {}
extension InterpretationConfiguration.SplitSearch: ExpressibleByArgument {}

struct InterpretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpret",
        abstract: "Cluster a hidden layer, fit the forests, write <output>/interpretation.")

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var options: InterpretationOptions
    @OptionGroup var runOptions: RunOptions
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        runOptions.apply()
        if cluster.sharded {
            let planned = try PlannedModel.load(modelOptions, dataOptions, runOptions)
            let configuration = planned.configuration(options, seed: runOptions.seed)
            try InterpretationRun.validate(data: planned.data, labeller: planned.model, configuration: configuration)
            let request = ShardedRun.Request(job: .interpret, output: runOptions.output, data: planned.data,
                                             model: planned.spec(modelOptions, runOptions), training: nil, interpretation: configuration,
                                             report: nil, threads: runOptions.threads, shards: cluster.shards,
                                             batch: planned.model.inferenceBatch)
            return try ClusterLaunch.launch(request, options: cluster, modelSHA256: planned.provenance.sha256, progress: output.progress)
        }
        let explained = try ExplainedModel.load(modelOptions, dataOptions, runOptions)
        let configuration = explained.configuration(options, seed: runOptions.seed)
        let results = try InterpretationRun.runAndSave(
            dataset: explained.dataset, labeller: explained.model, model: explained.provenance,
            configuration: configuration, output: runOptions.output, progress: output.progress)
        let m = results.metrics
        print(String(format: "fidelity %.2f%%, CNN-INTE accuracy %.2f%%, CNN accuracy %.2f%% on %@; results in %@",
                     100 * m.fidelity, 100 * m.inteTestAccuracy, 100 * m.cnnTestAccuracy, m.nTest.counted("test image"),
                     runOptions.interpretationFolder))
        print("stages: " + StageSummary.line(results.timings))
    }
}


/// The network a command explains: an imported ONNX model (`--model`, on the data given)
/// or the one cnn-inte trained into the output folder (on its own data by default).
struct ExplainedModel: NamesLayers {
    let model: Model
    /// Which file it is, its SHA-256 and how results name it.
    let provenance: ModelProvenance
    var source: String { provenance.description }
    let dataset: Dataset
    /// The engine node of a layer the user names (an ONNX value may be folded into one).
    let layer: (String) -> String
    /// Said when the data is not the data the model was trained on (`allowOtherData`).
    let note: String?

    static func load(_ modelOptions: ModelOptions, _ dataOptions: DataOptions, _ runOptions: RunOptions,
                     allowOtherData: Bool = false) throws -> ExplainedModel {
        if let imported = try modelOptions.load() {
            let dataset = try dataOptions.load()
            try imported.check(fits: dataset)
            return ExplainedModel(model: imported.model,
                                  provenance: .init(kind: .imported, file: imported.path, sha256: imported.fingerprint, description: imported.source),
                                  dataset: dataset, layer: imported.node(forLayer:), note: nil)
        }
        let trained = try TrainedModel.load(folder: runOptions.modelFolder)
        let (dataset, isTrainingData) = try trained.dataset(dataOptions.selection, allowOther: allowOtherData)
        let note = isTrainingData ? nil
            : "note: the model was trained on '\(trained.description.data.name)'; these are its activations on \(dataset.provenance)"
        return ExplainedModel(model: trained.model, provenance: .trained(weights: trained.weightsPath, sha256: trained.fingerprint),
                              dataset: dataset, layer: { $0 }, note: note)
    }
}
