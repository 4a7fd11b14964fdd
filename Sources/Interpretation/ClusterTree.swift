import Foundation
import Numerics

/// One node of the two-level cluster tree: statistics over the training images it holds.
public struct ClusterNode: Codable, Equatable, Sendable {
    /// "3" for level-1 cluster 3, "3.2" for its level-2 cluster 2.
    public var id: String
    public var level: Int
    public var size: Int
    /// How often the CNN predicted each class over the members.
    public var predictionHistogram: [Int]
    /// How often each true label occurs over the members.
    public var labelHistogram: [Int]
    /// The CNN's most frequent prediction among the members.
    public var majority: Int
    /// Share of members with the majority prediction.
    public var purity: Double
    /// Training-image indices of the members nearest the centroid, nearest first.
    public var prototypes: [Int]
    /// Mean distance of members to the centroid.
    public var meanDistance: Double

    public init(id: String, level: Int, size: Int, predictionHistogram: [Int], labelHistogram: [Int], majority: Int,
                purity: Double, prototypes: [Int], meanDistance: Double) {
        self.id = id
        self.level = level
        self.size = size
        self.predictionHistogram = predictionHistogram
        self.labelHistogram = labelHistogram
        self.majority = majority
        self.purity = purity
        self.prototypes = prototypes
        self.meanDistance = meanDistance
    }
}

/// Level-1 k-means on the interpreted layer, then k-means inside each level-1 cluster
/// (docs/METHOD.md, section 3).
public struct ClusterTree: Codable, Equatable, Sendable {
    public struct Configuration: Codable, Equatable, Sendable {
        public var k1 = 10
        public var k2 = 5
        /// A level-1 cluster of n members gets max(1, min(k2, n / minClusterSize)) children.
        public var minClusterSize = 10
        public var prototypes = 5
        public var restarts = 1
        public var seed: UInt64 = 1
        public init() {}
    }

    public var root: ClusterNode
    public var level1: [ClusterNode]
    /// `level2[c]` are the children of level-1 cluster `c`.
    public var level2: [[ClusterNode]]
    /// Centroids, `k1 x d`, and per level-1 cluster `k2c x d`.
    public var level1Centroids: Matrix
    public var level2Centroids: [Matrix]
    /// Level-1 and level-2 cluster of every training point.
    public var trainLevel1: [Int]
    public var trainLevel2: [Int]

    public static func fit(features: Matrix, predictions: [Int], labels: [Int], classes: Int,
                           configuration: Configuration) throws -> ClusterTree {
        guard configuration.k1 >= 1, configuration.k2 >= 1 else {
            throw InterpretationError.invalidOption("k1 and k2 must be at least 1 (got \(configuration.k1), \(configuration.k2))")
        }
        guard configuration.prototypes >= 0, configuration.minClusterSize >= 1 else {
            throw InterpretationError.invalidOption("prototypes must be >= 0 and the minimum cluster size >= 1")
        }
        let d = features.columns
        let top = try KMeans.fit(features, configuration: .init(k: configuration.k1, restarts: configuration.restarts,
                                                                 seed: configuration.seed))
        let topDistances = top.distances(features)
        var level1: [ClusterNode] = []
        var level2: [[ClusterNode]] = []
        var level2Centroids: [Matrix] = []
        var trainLevel2 = [Int](repeating: 0, count: features.rows)
        // k-means may give fewer clusters than asked (fewer distinct points): top.k is the truth.
        for c in 0..<top.k {
            let members = (0..<features.rows).filter { top.assignments[$0] == c }
            let memberDistances = members.map { Double(topDistances.values[$0 * top.k + c]) }
            level1.append(node(id: "\(c)", level: 1, members: members, distances: memberDistances,
                               predictions: predictions, labels: labels, classes: classes, prototypes: configuration.prototypes))
            let k2 = max(1, min(configuration.k2, members.count / configuration.minClusterSize))
            // Never empty: k-means returns no empty cluster.
            let sub = features.rows(members)
            let inner = try KMeans.fit(sub, configuration: .init(k: k2, restarts: configuration.restarts,
                                                                  seed: SplitMix64(seed: configuration.seed).derived(UInt64(100 + c)).state))
            let innerDistances = inner.distances(sub)
            var children: [ClusterNode] = []
            for j in 0..<inner.k {
                let slots = (0..<members.count).filter { inner.assignments[$0] == j }
                children.append(node(id: "\(c).\(j)", level: 2, members: slots.map { members[$0] },
                                     distances: slots.map { Double(innerDistances.values[$0 * inner.k + j]) },
                                     predictions: predictions, labels: labels, classes: classes,
                                     prototypes: configuration.prototypes))
            }
            for (slot, m) in members.enumerated() { trainLevel2[m] = inner.assignments[slot] }
            level2.append(children)
            level2Centroids.append(inner.centroids)
        }
        let all = Array(0..<features.rows)
        let rootNode = node(id: "root", level: 0, members: all, distances: [], predictions: predictions, labels: labels,
                            classes: classes, prototypes: 0)
        return ClusterTree(root: rootNode, level1: level1, level2: level2, level1Centroids: top.centroids,
                           level2Centroids: level2Centroids, trainLevel1: top.assignments, trainLevel2: trainLevel2)
    }

    /// Routes each row: nearest level-1 centroid, then nearest level-2 centroid inside it.
    public func route(_ features: Matrix) -> [Route] {
        let first = KMeans.distances(features, to: level1Centroids)
        let k1 = level1Centroids.rows
        var routes: [Route] = []
        routes.reserveCapacity(features.rows)
        let secondDistances = level2Centroids.map { KMeans.distances(features, to: $0) }
        for i in 0..<features.rows {
            let row = Array(first.values[(i * k1)..<((i + 1) * k1)])
            let order = row.indices.sorted { row[$0] < row[$1] || (row[$0] == row[$1] && $0 < $1) }
            let c1 = order[0]
            let inner = secondDistances[c1]
            var c2 = 0
            for j in 1..<inner.columns where inner.values[i * inner.columns + j] < inner.values[i * inner.columns + c2] { c2 = j }
            routes.append(Route(level1: c1, level2: c2, runnerUp: order.count > 1 ? order[1] : nil,
                                level1Distances: row,
                                level2Distance: inner.values[i * inner.columns + c2]))
        }
        return routes
    }

    static func node(id: String, level: Int, members: [Int], distances: [Double], predictions: [Int], labels: [Int],
                     classes: Int, prototypes: Int) -> ClusterNode {
        var predicted = [Int](repeating: 0, count: classes)
        var truth = [Int](repeating: 0, count: classes)
        for m in members {
            predicted[predictions[m]] += 1
            truth[labels[m]] += 1
        }
        var majority = 0
        for c in 1..<classes where predicted[c] > predicted[majority] { majority = c }
        let nearest = distances.indices.sorted { distances[$0] < distances[$1] || (distances[$0] == distances[$1] && $0 < $1) }
        return ClusterNode(id: id, level: level, size: members.count, predictionHistogram: predicted, labelHistogram: truth,
                           majority: majority, purity: members.isEmpty ? 0 : Double(predicted[majority]) / Double(members.count),
                           prototypes: nearest.prefix(prototypes).map { members[$0] },
                           meanDistance: distances.isEmpty ? 0 : distances.reduce(0, +) / Double(distances.count))
    }
}

/// Where one instance lands in the cluster tree.
public struct Route: Codable, Equatable, Sendable {
    public var level1: Int
    public var level2: Int
    /// The second-nearest level-1 cluster.
    public var runnerUp: Int?
    /// Distance to every level-1 centroid.
    public var level1Distances: [Float]
    public var level2Distance: Float

    public init(level1: Int, level2: Int, runnerUp: Int?, level1Distances: [Float], level2Distance: Float) {
        self.level1 = level1
        self.level2 = level2
        self.runnerUp = runnerUp
        self.level1Distances = level1Distances
        self.level2Distance = level2Distance
    }
}
