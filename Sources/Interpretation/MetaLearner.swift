import Foundation
import Numerics

/// The base learner of one level-1 cluster: a random forest, or a constant when every
/// member got the same prediction from the CNN.
public enum ClusterLearner: Codable, Equatable, Sendable {
    case constant(Int)
    case forest(RandomForest)

    public func votes(_ row: UnsafePointer<Float>, classes: Int) -> [Double] {
        switch self {
        case let .constant(c):
            var v = [Double](repeating: 0, count: classes)
            v[c] = 1
            return v
        case let .forest(forest): return forest.votes(row)
        }
    }

    public var treeCount: Int {
        if case let .forest(f) = self { return f.trees.count }
        return 0
    }
}

/// Which meta-level training data each cluster's forest sees. The paper's plain form is
/// `members`; the others are this project's measured improvements (docs/METHOD.md, section 4.2).
public struct MetaConfiguration: Codable, Equatable, Sendable {
    public enum TrainingSet: String, Codable, Sendable, CaseIterable {
        /// The training points of the cluster (the paper).
        case members
        /// Also the training points whose second-nearest level-1 centroid is the cluster.
        case softBoundaries = "soft-boundaries"
    }

    public var trainingSet = TrainingSet.softBoundaries
    public var forest = RandomForest.Configuration()
    /// With soft boundaries, a point joins its runner-up cluster's training data only when
    /// it lies nearly as close to that centroid as to its own: distance ratio
    /// d(own) / d(runner-up) at least this. 0 takes every point; the default 0.8 was as
    /// faithful over 4 CNNs and 4 seeds on mnist5k, with a smaller accuracy gap, for half
    /// the forests' work (docs/EXPERIMENTS.md).
    public var boundaryCloseness = 0.8
    /// Grow the forests on the CNN's soft labels (its two most probable classes and their
    /// shares, `SoftLabels`) instead of its argmax. Measured against the argmax on
    /// mnist5k's 4 x 8 grid and Fashion-MNIST (docs/EXPERIMENTS.md, "Soft-label forests").
    public var softLabels = false

    public init() {}

    enum CodingKeys: String, CodingKey { case trainingSet, forest, boundaryCloseness, softLabels }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        trainingSet = try c.decode(TrainingSet.self, forKey: .trainingSet)
        forest = try c.decode(RandomForest.Configuration.self, forKey: .forest)
        // Files written before this setting existed took every runner-up point.
        boundaryCloseness = try c.decodeIfPresent(Double.self, forKey: .boundaryCloseness) ?? 0
        softLabels = try c.decodeIfPresent(Bool.self, forKey: .softLabels) ?? false
    }
}

/// Meta-level training: one learner per level-1 cluster, trained on the CNN's predictions.
public struct MetaLearner: Codable, Equatable, Sendable {
    public var learners: [ClusterLearner]
    public var configuration: MetaConfiguration

    public init(learners: [ClusterLearner], configuration: MetaConfiguration) {
        (self.learners, self.configuration) = (learners, configuration)
    }

    /// The meta-level training data is `binned` (one row per point) with the CNN's
    /// prediction for each and the level-1 cluster and runner-up each routes to; for exact
    /// splits also its `values`, column-major; with `configuration.softLabels`, `soft`.
    public static func fit(predictions: [Int], routes: [RouteSummary], clusters: Int, classes: Int,
                           binner: Binner, binned: BinnedMatrix, configuration: MetaConfiguration,
                           values: [Float]? = nil, soft: SoftLabels? = nil, progress: ProgressMeter? = nil) throws -> MetaLearner {
        precondition(configuration.softLabels == (soft != nil), "MetaLearner: soft labels given exactly when configured")
        let labels = predictions.map { UInt8($0) }
        let learners = try (0..<clusters).map { c in
            defer { progress?.advance(by: 1) }
            return try fitCluster(c, labels: labels, routes: routes, classes: classes, binner: binner, binned: binned,
                                  configuration: configuration, values: values, soft: soft)
        }
        return MetaLearner(learners: learners, configuration: configuration)
    }

    /// The learner of level-1 cluster `c` alone, as `fit` grows it: its forest's seed is
    /// derived from `c`, so clusters grown apart (a sharded run's forest shards) give the
    /// forests grown together.
    public static func fitCluster(_ c: Int, labels: [UInt8], routes: [RouteSummary], classes: Int, binner: Binner,
                                  binned: BinnedMatrix, configuration: MetaConfiguration, values: [Float]?,
                                  soft: SoftLabels?) throws -> ClusterLearner {
        var rows: [Int32] = []
        for i in 0..<labels.count {
            if routes[i].level1 == c { rows.append(Int32(i)) }
            else if configuration.trainingSet == .softBoundaries && routes[i].runnerUp == c
                        && Double(routes[i].closeness) >= configuration.boundaryCloseness { rows.append(Int32(i)) }
        }
        let distinct = Set(rows.map { labels[Int($0)] })
        if distinct.count <= 1 {
            // An empty cluster falls back to class 0 votes; it receives no test points
            // anyway, since routing only reaches centroids that had members.
            return .constant(Int(distinct.first ?? 0))
        }
        var forestConfiguration = configuration.forest
        forestConfiguration.seed = SplitMix64(seed: configuration.forest.seed).derived(UInt64(c)).state
        return .forest(try RandomForest.fit(data: binned, binner: binner, labels: labels, rows: rows, classes: classes,
                                            configuration: forestConfiguration, values: values, soft: soft))
    }
}

/// The part of a route the meta-level training needs.
public struct RouteSummary: Sendable {
    public var level1: Int
    public var runnerUp: Int?
    /// Distance to the own centroid over distance to the runner-up's (at most 1).
    public var closeness: Float = 1

    public init(level1: Int, runnerUp: Int?, closeness: Float = 1) {
        self.level1 = level1
        self.runnerUp = runnerUp
        self.closeness = closeness
    }

    init(route: Route) {
        level1 = route.level1
        runnerUp = route.runnerUp
        if let r = route.runnerUp { closeness = route.level1Distances[route.level1] / max(route.level1Distances[r], 1e-12) } else { closeness = 0 }
    }
}
