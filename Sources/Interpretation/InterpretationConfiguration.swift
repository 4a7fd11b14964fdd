import Foundation
import Numerics

/// Everything that, with the data and the labeller, fixes an interpretation: the layer,
/// the clustering, the forests, the meta-level training data and the seed. Field names
/// follow the command-line options (`k1` is `--k1`, `augmentCopies` is
/// `--augment-copies`), and `validate` names the options in its messages.
public struct InterpretationConfiguration: Codable, Equatable, Sendable {
    /// Split search of the trees (see `TreeConfiguration.exactSplits`).
    public enum SplitSearch: String, Codable, Sendable, CaseIterable { case binned, exact }

    public var layer = "fc1"
    public var k1 = 10
    public var k2 = 5
    public var kmeansRestarts = 1
    public var prototypes = 5
    public var trees = 100
    public var maxDepth: Int?
    public var maxFeatures: Int?
    public var minSamplesLeaf = 1
    public var splits = SplitSearch.binned
    public var metaTraining = MetaConfiguration.TrainingSet.softBoundaries
    public var boundaryCloseness = 0.8
    /// CNN-labelled augmented copies of each training image (fewer when the pool would
    /// pass `poolCap` images).
    public var augmentCopies = 5
    public var boundaryBlends = 0
    /// Grow the forests on the CNN's soft labels (`MetaConfiguration.softLabels`).
    public var softLabels = false
    /// Other layers interpreted the same way for `layers.json`'s comparison (their figures
    /// only; `layer` is the one explained in full).
    public var compareLayers: [String] = []
    /// Whether to draw the layer map (`LayerMap`) of every training and test point.
    public var map = true
    /// Nearest training images found for each test instance in the layer (0 = none).
    public var neighbours = 5
    /// Also fit the comparator: one forest on all training activations.
    public var globalForest = true
    public var seed: UInt64 = 1

    /// Most images the meta-level training pool holds (training images plus augmented
    /// copies): bounds memory on large data sets (Fashion-MNIST gets 1 copy).
    public static let poolCap = 120_000

    public init() {}

    public func validate() throws {
        func atLeast1(_ value: Int, _ option: String) throws {
            if value < 1 { throw UsageError("--\(option) must be at least 1 (got \(value))") }
        }
        func notNegative(_ value: Int, _ option: String) throws {
            if value < 0 { throw UsageError("--\(option) cannot be negative (got \(value))") }
        }
        try atLeast1(k1, "k1")
        try atLeast1(kmeansRestarts, "kmeans-restarts")
        try atLeast1(k2, "k2")
        try notNegative(prototypes, "prototypes")
        try notNegative(neighbours, "neighbours")
        try notNegative(boundaryBlends, "boundary-blends")
        try notNegative(augmentCopies, "augment-copies")
        if !(0...1).contains(boundaryCloseness) {
            throw UsageError("--boundary-closeness must be in [0, 1] (got \(boundaryCloseness))")
        }
        try atLeast1(trees, "trees")
        if let maxDepth { try atLeast1(maxDepth, "max-depth") }
        if let maxFeatures { try atLeast1(maxFeatures, "max-features") }
        try atLeast1(minSamplesLeaf, "min-samples-leaf")
        if softLabels && splits == .exact {
            throw UsageError("--soft-labels grows trees on binned splits only; drop --splits exact")
        }
    }

    /// Augmented copies per training image once the pool cap is applied.
    public func effectiveAugmentCopies(trainingImages: Int) -> Int {
        min(augmentCopies, max(0, Self.poolCap / max(1, trainingImages) - 1))
    }

    /// The settings of the two stages, with their seeds derived from `seed`.
    public var clustering: ClusterTree.Configuration {
        var c = ClusterTree.Configuration()
        c.k1 = k1
        c.k2 = k2
        c.prototypes = prototypes
        c.restarts = kmeansRestarts
        c.seed = seed
        return c
    }

    public var meta: MetaConfiguration {
        var m = MetaConfiguration()
        m.trainingSet = metaTraining
        m.boundaryCloseness = boundaryCloseness
        m.softLabels = softLabels
        let tree = TreeConfiguration(maxFeatures: maxFeatures, minSamplesLeaf: minSamplesLeaf, maxDepth: maxDepth,
                                     exactSplits: splits == .exact)
        m.forest = RandomForest.Configuration(trees: trees, tree: tree, seed: SplitMix64(seed: seed).derived(0xF0).state)
        return m
    }

    /// The seed of the CNN-labelled augmentation.
    public var augmentationSeed: SplitMix64 { SplitMix64(seed: seed).derived(0xA6) }
}
