import Datasets
import Foundation
import Interpretation
import Numerics

/// The forests of a sharded run, apart from the interpret job: the clusters job clusters
/// the training activations and builds the meta-level pool (read from the activation
/// shards) as a one-process run does, and writes both; each forest shard then grows the
/// forests of its level-1 clusters from that pool (`clusters(ofShard:of:sizes:)`), each
/// forest from a seed derived from its cluster, so they are the forests one process
/// grows; the interpret job only gathers them.
public enum ForestShards {
    public static let clustersStage = "clusters"
    public static let stage = "forests"
    static let treeName = "tree.safetensors"
    static let poolName = "pool.safetensors"
    static let secondsName = "seconds.json"
    static let learnersName = "learners.safetensors"

    /// Pool points (training images and their augmented copies) a forest shard takes at
    /// least: each shard reads the whole pool and starts like any job, so splitting less
    /// costs more than it saves. Fashion-MNIST's pool of 120,000 points grows its ten
    /// forests in 32 s in one process; as 8 shards (one core pair, one at a time), 39 s of
    /// shards plus a second or two of start for each (docs/CLUSTER.md).
    public static let pointsPerShard = 100_000

    /// The forest stage's shards: one per `pointsPerShard` points of the pool, at most one
    /// per level-1 cluster, and at most `shards` (`--shards`).
    public static func count(k1: Int, points: Int, shards: Int?) -> Int {
        max(1, min(k1, points / pointsPerShard, shards ?? Int.max, ActivationLayout.maximumShards))
    }

    /// The level-1 clusters shard `index` of `count` grows, given each cluster's size
    /// (its training images): the largest first, each to the shard with the fewest images
    /// so far (the lowest index on a tie), so that one shard does not get two large ones.
    /// A forest's cost grows with its cluster; on Fashion-MNIST, clusters c mod 8 put the
    /// two largest of ten in one shard, which took 24.6 s against 1-7 s for the others.
    public static func clusters(ofShard index: Int, of count: Int, sizes: [Int]) -> [Int] {
        var load = [Int](repeating: 0, count: count)
        var mine: [Int] = []
        for c in sizes.indices.sorted(by: { (sizes[$0], $1) > (sizes[$1], $0) }) {
            let shard = load.indices.min { (load[$0], $0) < (load[$1], $1) }!
            load[shard] += sizes[c]
            if shard == index { mine.append(c) }
        }
        return mine.sorted()
    }

    /// The clusters job: the tree and the pool, as the one-process run makes them.
    static func cluster(_ plan: ShardPlan, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let inputs = try ShardStages.load(plan, folder: folder)
        try ShardStages.requireDone(Stage.activations, shards: plan.activationShards, key: inputs.key, folder: folder)
        let dataset = inputs.dataset
        return try folder.produce(clustersStage, 0, key: inputs.key) { out in
            let source = ShardedActivations(folder: folder, layout: plan.activations(trainImages: dataset.train.count, testImages: dataset.test.count),
                                            fallback: LiveActivations(labeller: inputs.labeller, layer: plan.interpretation.layer))
            let (pool, seconds) = try InterpretationRun.pool(dataset: dataset, labeller: inputs.labeller, configuration: plan.interpretation,
                                                            activations: source, progress: progress)
            func write(_ data: Data, _ name: String) throws { try FileWriting.atomically(data, to: (out as NSString).appendingPathComponent(name)) }
            try write(Data(try ForestPoolStore.encodeTree(pool.tree, binner: pool.binner, meta: plan.interpretation.meta, classes: dataset.classCount)),
                      treeName)
            try write(Data(ForestPoolStore.encodePool(pool)), poolName)
            try write(try JSONEncoder.sorted.encode(seconds), secondsName)
        }
    }

    /// One forest shard: its clusters' learners, grown from the clusters job's pool.
    static func grow(_ plan: ShardPlan, index: Int, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let inputs = try ShardStages.load(plan, folder: folder)
        try ShardStages.requireDone(clustersStage, shards: 1, key: inputs.key, folder: folder)
        return try folder.produce(stage, index, key: inputs.key) { out in
            let tree = try readTree(folder)
            let pool = try ForestPoolStore.decodePool([UInt8](try folder.read(clustersStage, 0, poolName)),
                                                      path: folder.file(clustersStage, 0, poolName), tree: tree)
            let clusters = clusters(ofShard: index, of: plan.forestShards, sizes: tree.tree.level1.map(\.size))
            let meter = ProgressMeter(progress, stage: "shard \(stage) \(index): \(tree.meta.forest.trees)-tree forests of \(clusters.count.counted("level-1 cluster"))",
                                      total: clusters.count, unit: "clusters")
            defer { meter.finish() }
            let learners = try pool.learners(of: clusters, classes: tree.classes, configuration: tree.meta, progress: meter)
            try FileWriting.atomically(Data(ForestPoolStore.encodeLearners(Array(zip(clusters, learners)), classes: tree.classes, features: tree.features)),
                                       to: (out as NSString).appendingPathComponent(learnersName))
        }
    }

    /// The fitted model for the interpret job, with the seconds its clustering and pool
    /// (the clusters job's) and its forests (all forest shards') took; and the clusters
    /// job's stage seconds.
    static func gather(_ plan: ShardPlan, folder: ShardFolder) throws -> (InterpretationRun.GrownForests, [String: Double]) {
        let tree = try readTree(folder)
        let sizes = tree.tree.level1.map(\.size)
        var learners = [ClusterLearner?](repeating: nil, count: sizes.count)
        for index in 0..<plan.forestShards {
            let file = folder.file(stage, index, learnersName), own = clusters(ofShard: index, of: plan.forestShards, sizes: sizes)
            let bytes = [UInt8](try folder.read(stage, index, learnersName))
            for (c, learner) in try ForestPoolStore.decodeLearners(bytes, path: file, classes: tree.classes, features: tree.features) {
                guard own.contains(c) else {
                    throw FileError(path: file, problem: "holds the forest of level-1 cluster \(c), which is not its shard's")
                }
                learners[c] = learner
            }
        }
        if let missing = learners.firstIndex(where: { $0 == nil }) {
            throw FileError(path: folder.stage(stage), problem: "has no forest of level-1 cluster \(missing)")
        }
        let seconds = try JSONDecoder().decode([String: Double].self, from: try folder.read(clustersStage, 0, secondsName))
        var timings = Interpreter.Timings()
        timings.clusteringSeconds = seconds["clustering"] ?? 0
        timings.binningSeconds = seconds["pool_and_binning"] ?? 0
        timings.forestSeconds = (0..<plan.forestShards).compactMap { folder.record(stage, $0)?.seconds }.reduce(0, +)
        let model = InterpretationModel(tree: tree.tree, binner: tree.binner, meta: MetaLearner(learners: learners.map { $0! }, configuration: tree.meta))
        return (InterpretationRun.GrownForests(model: model, timings: timings), seconds.merging(["forest_shards": Double(plan.forestShards)]) { a, _ in a })
    }

    static func readTree(_ folder: ShardFolder) throws -> InterpretationStore.StoredTree {
        try ForestPoolStore.decodeTree([UInt8](try folder.read(clustersStage, 0, treeName)), path: folder.file(clustersStage, 0, treeName))
    }
}
