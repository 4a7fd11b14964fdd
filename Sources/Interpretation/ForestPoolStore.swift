import Foundation
import Numerics

/// A `ForestPool` on disk, and the learners grown from it, as safetensors: what a sharded
/// run's clusters job hands its forest shards, and they the interpret job.
///
/// The tree file holds the cluster tree and the binner as `interpretation.safetensors`
/// does, metadata too, with `format` `cnn-inte-cluster-tree-1` and no forests. The pool
/// file (`format` `cnn-inte-forest-pool-1`) holds the points:
///
/// | tensor | dtype, shape | what |
/// | --- | --- | --- |
/// | `pool.bins` | U8 [d, n] | every point's bins, feature by feature |
/// | `pool.labels` | U8 [n] | the CNN's prediction of every point |
/// | `pool.level1`, `pool.runner_up` | I32 [n] | the level-1 cluster each point routes to, and its runner-up (-1: none) |
/// | `pool.closeness` | F32 [n] | distance to the own centroid over distance to the runner-up's |
/// | `pool.soft_second`, `pool.soft_share` | U8 [n] | soft-label forests only (`SoftLabels`) |
/// | `pool.values` | F32 [d, n] | exact splits only: every point's values, feature by feature |
///
/// A learners file holds `forest.C.*` tensors as the interpretation file does, for the
/// clusters its metadata lists (`clusters`: "0,4,8"), with `format`
/// `cnn-inte-forest-learners-1`, `classes` and `features`.
public enum ForestPoolStore {
    public static let treeFormat = "cnn-inte-cluster-tree-1"
    public static let poolFormat = "cnn-inte-forest-pool-1"
    public static let learnersFormat = "cnn-inte-forest-learners-1"

    public static func encodeTree(_ tree: ClusterTree, binner: Binner, meta: MetaConfiguration, classes: Int) throws -> [UInt8] {
        SafeTensors.encode(InterpretationStore.treeTensors(tree, binner: binner),
                           metadata: try InterpretationStore.treeMetadata(tree, meta: meta, classes: classes, format: treeFormat))
    }

    /// The tree and binner a pool was routed and binned by.
    public static func decodeTree(_ bytes: [UInt8], path: String) throws -> InterpretationStore.StoredTree {
        let (t, metadata) = try SafeTensors.decode(bytes, path: path)
        return try InterpretationStore.decodeTree(t, metadata: metadata, path: path, format: treeFormat)
    }

    /// The pool's points (its tree and binner go to the tree file).
    public static func encodePool(_ pool: ForestPool) -> [UInt8] {
        var t: [String: SafeTensors.Entry] = [:]
        let (n, d) = (pool.binned.rows, pool.binned.columns)
        t["pool.bins"] = .init(shape: [d, n], bytes: pool.binned.bins)
        t["pool.labels"] = .init(shape: [n], bytes: pool.labels)
        t["pool.level1"] = .init(shape: [n], integers: pool.routes.map { Int32($0.level1) })
        t["pool.runner_up"] = .init(shape: [n], integers: pool.routes.map { Int32($0.runnerUp ?? -1) })
        t["pool.closeness"] = .init(shape: [n], values: pool.routes.map(\.closeness))
        if let soft = pool.soft {
            t["pool.soft_second"] = .init(shape: [n], bytes: soft.second)
            t["pool.soft_share"] = .init(shape: [n], bytes: soft.share)
        }
        if let values = pool.values { t["pool.values"] = .init(shape: [d, n], values: values) }
        return SafeTensors.encode(t, metadata: ["format": poolFormat, "points": "\(n)", "features": "\(d)"])
    }

    /// The pool routed and binned by `tree`, every size and route checked against it.
    public static func decodePool(_ bytes: [UInt8], path: String, tree: InterpretationStore.StoredTree) throws -> ForestPool {
        let (t, metadata) = try SafeTensors.decode(bytes, path: path)
        let reader = TensorReader(tensors: t, path: path)
        guard metadata["format"] == poolFormat else { throw reader.fail("not a cnn-inte forest pool file (format \(metadata["format"] ?? "none"))") }
        guard let n = metadata["points"].flatMap(Int.init), n >= 0, metadata["features"] == "\(tree.features)" else {
            throw reader.fail("metadata does not give the points, or not \(tree.features) features")
        }
        let d = tree.features
        func tensor(_ name: String, _ dtype: SafeTensors.DType, _ shape: [Int]) throws -> SafeTensors.Entry {
            guard let e = t[name], e.dtype == dtype, e.shape == shape else {
                throw reader.fail("tensor '\(name)' missing or not \(dtype.rawValue) \(shape)")
            }
            return e
        }
        let bins = try tensor("pool.bins", .u8, [d, n]).bytes
        let labels = try tensor("pool.labels", .u8, [n]).bytes
        let level1 = try tensor("pool.level1", .i32, [n]).integers, runnerUp = try tensor("pool.runner_up", .i32, [n]).integers
        let closeness = try tensor("pool.closeness", .f32, [n]).values
        let k1 = Int32(tree.tree.level1.count)
        guard labels.allSatisfy({ Int($0) < tree.classes }), level1.allSatisfy({ (0..<k1).contains($0) }),
              runnerUp.allSatisfy({ (-1..<k1).contains($0) }) else { throw reader.fail("the pool's labels or routes do not fit its tree") }
        let routes = (0..<n).map { RouteSummary(level1: Int(level1[$0]), runnerUp: runnerUp[$0] < 0 ? nil : Int(runnerUp[$0]), closeness: closeness[$0]) }
        var soft: SoftLabels?
        if tree.meta.softLabels {
            soft = SoftLabels(second: try tensor("pool.soft_second", .u8, [n]).bytes, share: try tensor("pool.soft_share", .u8, [n]).bytes)
        }
        let values = tree.meta.forest.tree.exactSplits ? try tensor("pool.values", .f32, [d, n]).values : nil
        return ForestPool(tree: tree.tree, binner: tree.binner, binned: BinnedMatrix(rows: n, columns: d, bins: bins),
                          labels: labels, routes: routes, soft: soft, values: values)
    }

    /// The learners of the clusters `learners` names, as a learners file.
    public static func encodeLearners(_ learners: [(cluster: Int, learner: ClusterLearner)], classes: Int, features: Int) -> [UInt8] {
        var t: [String: SafeTensors.Entry] = [:]
        for (c, learner) in learners { InterpretationStore.addLearner(learner, cluster: c, to: &t) }
        return SafeTensors.encode(t, metadata: ["format": learnersFormat, "classes": "\(classes)", "features": "\(features)",
                                                "clusters": learners.map { "\($0.cluster)" }.joined(separator: ",")])
    }

    /// A learners file's learners, by cluster; it must be of `classes` and `features`.
    public static func decodeLearners(_ bytes: [UInt8], path: String, classes: Int, features: Int) throws -> [Int: ClusterLearner] {
        let (t, metadata) = try SafeTensors.decode(bytes, path: path)
        let reader = TensorReader(tensors: t, path: path)
        guard metadata["format"] == learnersFormat else { throw reader.fail("not a cnn-inte forest learners file (format \(metadata["format"] ?? "none"))") }
        guard metadata["classes"] == "\(classes)", metadata["features"] == "\(features)" else {
            throw reader.fail("its learners are of \(metadata["classes"] ?? "?") classes and \(metadata["features"] ?? "?") features, not \(classes) and \(features)")
        }
        let listed = metadata["clusters"].map { $0.isEmpty ? [] : $0.split(separator: ",").map { Int($0) } } ?? [nil]
        guard let clusters = listed as? [Int], clusters.allSatisfy({ (0..<(1 << 20)).contains($0) }) else { throw reader.fail("its cluster list is malformed") }
        var learners: [Int: ClusterLearner] = [:]
        for c in clusters { learners[c] = try InterpretationStore.decodeLearner(c, reader: reader, classes: classes, features: features) }
        return learners
    }
}
