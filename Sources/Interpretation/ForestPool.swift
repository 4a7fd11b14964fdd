import Foundation
import Numerics

/// The meta-level training data the level-1 clusters' forests are grown from, and the
/// cluster tree it was routed by: all that lies between the clustering and the forests,
/// so that the forests can be grown elsewhere from it alone (a sharded run's forest
/// shards, a group of level-1 clusters each).
public struct ForestPool: Sendable {
    public var tree: ClusterTree
    public var binner: Binner
    /// One row per point: the training activations, then any extra CNN-labelled data.
    public var binned: BinnedMatrix
    /// The CNN's prediction of every point.
    public var labels: [UInt8]
    public var routes: [RouteSummary]
    /// With soft-label forests, the CNN's soft labels of every point.
    public var soft: SoftLabels?
    /// With exact splits, the points' values, column-major.
    public var values: [Float]?

    public init(tree: ClusterTree, binner: Binner, binned: BinnedMatrix, labels: [UInt8], routes: [RouteSummary],
                soft: SoftLabels?, values: [Float]?) {
        (self.tree, self.binner, self.binned, self.labels, self.routes, self.soft, self.values) = (tree, binner, binned, labels, routes, soft, values)
    }

    /// The learners of level-1 clusters `clusters`, each as `MetaLearner.fit` grows it.
    public func learners(of clusters: [Int], classes: Int, configuration: MetaConfiguration,
                         progress: ProgressMeter? = nil) throws -> [ClusterLearner] {
        try clusters.map { c in
            defer { progress?.advance(by: 1) }
            return try MetaLearner.fitCluster(c, labels: labels, routes: routes, classes: classes, binner: binner, binned: binned,
                                              configuration: configuration, values: values, soft: soft)
        }
    }
}

extension Interpreter {
    /// The two-level clustering of the training activations and the meta-level training
    /// data routed by it: the training activations, then `extraPool`'s CNN-labelled data,
    /// which arrives in chunks that are routed and binned at once and then dropped, so
    /// only bytes (not floats) of the whole pool are ever held. Times the clustering and
    /// the binning into `timings`.
    public static func pool(_ inputs: Inputs, clustering: ClusterTree.Configuration, meta: MetaConfiguration,
                            extraPool: ((ClusterTree, (Matrix, [Int], SoftLabels?) -> Void) throws -> Void)? = nil,
                            progress: ProgressSink = .silent, timings: inout Timings) throws -> ForestPool {
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> Double {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return Double(now - clock) / 1e9
        }
        guard !meta.softLabels || inputs.trainSoft != nil else {
            throw InterpretationError.invalidOption("soft-label forests need the CNN's probabilities of the training images")
        }
        progress.line("interpret: two-level k-means on \(inputs.trainFeatures.rows) x \(inputs.trainFeatures.columns) features")
        let tree = try ClusterTree.fit(features: inputs.trainFeatures, predictions: inputs.trainPredictions,
                                       labels: inputs.trainLabels, classes: inputs.classes, configuration: clustering)
        let trainRoutes = tree.route(inputs.trainFeatures)
        timings.clusteringSeconds = lap()
        let binner = Binner.fit(inputs.trainFeatures, seed: clustering.seed)
        var rowBins = binner.binRows(inputs.trainFeatures)
        var labels = inputs.trainPredictions.map { UInt8($0) }
        var soft = meta.softLabels ? inputs.trainSoft : nil
        var routes = trainRoutes.map { RouteSummary(route: $0) }
        // Exact splits need the pool's values too (4 bytes per value where bins take 1).
        let exact = meta.forest.tree.exactSplits
        var parts = exact ? [inputs.trainFeatures] : []
        try extraPool?(tree) { extra, predictions, extraSoft in
            precondition(!meta.softLabels || extraSoft?.second.count == predictions.count, "Interpreter: the pool's soft labels are missing")
            if let extraSoft { soft?.append(extraSoft) }
            if exact { parts.append(extra) }
            rowBins += binner.binRows(extra)
            labels += predictions.map { UInt8($0) }
            routes += tree.route(extra).map { RouteSummary(route: $0) }
        }
        let binned = BinnedMatrix(rowMajor: rowBins, rows: labels.count, columns: binner.features)
        rowBins = []
        let values = exact ? Matrix.columnMajor(&parts) : nil
        timings.binningSeconds = lap()
        return ForestPool(tree: tree, binner: binner, binned: binned, labels: labels, routes: routes, soft: soft, values: values)
    }
}
