import Foundation
import Numerics

/// One unit of the interpreted layer that a level-1 cluster's forest relies on, as a card:
/// how much the forest leans on it, the training images that activate it most, and how its
/// activation spreads over the classes the CNN predicts.
public struct UnitCard: Codable, Equatable, Sendable {
    /// The unit's index in the layer (flattened, in the layer's flatten order).
    public var unit: Int
    /// Its share of the forest's Gini decrease (the forest's importances sum to 1).
    public var impurity: Double
    /// How much the forest's agreement with the CNN falls, on held-out CNN-labelled images
    /// routed to the cluster, when the unit's values are shuffled among them (a share:
    /// 0.05 is 5 points); nil when the cluster received too few of them to measure.
    public var permutation: Double?
    /// The cluster's training images with the highest activation of the unit, highest first.
    public var topImages: [Int]
    /// The activation range over the cluster's training images, cut into equal bins.
    public var low: Float
    public var high: Float
    /// `histogram[bin][class]`: how many of the cluster's training images with the unit's
    /// activation in that bin the CNN predicts as that class.
    public var histogram: [[Int]]
}

/// The cards of one level-1 cluster's forest (none for a constant learner).
public struct ClusterUnits: Codable, Equatable, Sendable {
    public var cluster: Int
    /// Held-out images the permutation importances were measured on.
    public var heldOut: Int
    public var units: [UnitCard]
}

/// `units.json`: what each level-1 forest looks at (docs/METHOD.md, section 6).
public enum ForestInsight {
    public static let fileName = Artifacts.unitsName
    /// Units shown per forest, candidates (by impurity) whose permutation importance is
    /// measured, images per card and histogram bins.
    public static let shown = 5, candidates = 10, images = 5, bins = 12
    /// Held-out images a cluster needs before a permutation importance means anything.
    public static let minimumHeldOut = 50

    /// The cards of every level-1 forest. `heldOut[c]` are held-out activations routed to
    /// cluster `c` with the CNN's label of each. Units are ranked by permutation importance
    /// where measured (impurity breaks ties and ranks the rest): it measures what the
    /// forest needs on data it did not train on, which impurity overstates for units that
    /// merely split noise deep in the trees.
    public static func cards(_ model: InterpretationModel, trainFeatures: Matrix, trainPredictions: [Int], classes: Int,
                             heldOut: [(features: Matrix, labels: [Int])], seed: UInt64) -> [ClusterUnits] {
        let level1 = model.tree.trainLevel1
        return model.meta.learners.enumerated().map { (c, learner) -> ClusterUnits in
            guard case let .forest(forest) = learner else { return ClusterUnits(cluster: c, heldOut: 0, units: []) }
            let importances = forest.importances
            let byImpurity: (Int, Int) -> Bool = { a, b in importances[a] > importances[b] || (importances[a] == importances[b] && a < b) }
            let candidates = importances.indices.sorted(by: byImpurity).prefix(Self.candidates)
            let held: (features: Matrix, labels: [Int]) = c < heldOut.count ? heldOut[c] : (Matrix(rows: 0, columns: trainFeatures.columns, values: []), [])
            var rng = SplitMix64(seed: seed).derived(UInt64(c))
            let drops: [Int: Double] = held.features.rows >= minimumHeldOut
                ? Dictionary(uniqueKeysWithValues: candidates.map { ($0, permutationDrop(forest, held.features, held.labels, unit: $0, rng: &rng)) })
                : [:]
            let ranked = candidates.sorted { a, b in
                let (da, db) = (drops[a] ?? 0, drops[b] ?? 0)
                return da > db || (da == db && byImpurity(a, b))
            }
            let members = level1.indices.filter { level1[$0] == c }
            let cards = ranked.prefix(shown).map { unit in
                card(unit: unit, importance: forest.importances[unit], drop: drops[unit], members: members,
                     features: trainFeatures, predictions: trainPredictions, classes: classes)
            }
            return ClusterUnits(cluster: c, heldOut: held.features.rows, units: cards)
        }
    }

    /// Agreement with `labels` before, minus after, shuffling column `unit` of `features`.
    static func permutationDrop(_ forest: RandomForest, _ features: Matrix, _ labels: [Int], unit: Int, rng: inout SplitMix64) -> Double {
        func agreement(_ m: Matrix) -> Double {
            Double(zip(forest.predict(m), labels).filter { $0 == $1 }.count) / Double(labels.count)
        }
        var shuffled = features
        let n = features.rows, d = features.columns
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.nextInt(below: i + 1)) }
        for i in 0..<n { shuffled.values[i * d + unit] = features.values[order[i] * d + unit] }
        return agreement(features) - agreement(shuffled)
    }

    static func card(unit: Int, importance: Double, drop: Double?, members: [Int], features: Matrix, predictions: [Int],
                     classes: Int) -> UnitCard {
        let d = features.columns
        let values = members.map { features.values[$0 * d + unit] }
        let top = members.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && members[$0] < members[$1]) }
            .prefix(images).map { members[$0] }
        let low = values.min() ?? 0, high = values.max() ?? 0
        var histogram = [[Int]](repeating: [Int](repeating: 0, count: classes), count: bins)
        for (k, m) in members.enumerated() {
            let b = high > low ? min(bins - 1, Int(Float(bins) * (values[k] - low) / (high - low))) : 0
            histogram[b][predictions[m]] += 1
        }
        return UnitCard(unit: unit, impurity: importance, permutation: drop, topImages: top, low: low, high: high, histogram: histogram)
    }

    public static func encode(_ clusters: [ClusterUnits]) throws -> Data { try JSONEncoder.pretty.encode(clusters) }

    /// Reads `units.json`, checking every index against the interpretation it belongs to.
    public static func decode(_ data: Data, path: String, clusters: Int, trainCount: Int, classes: Int) throws -> [ClusterUnits] {
        let decoded: [ClusterUnits]
        do { decoded = try JSONDecoder().decode([ClusterUnits].self, from: data) } catch {
            throw InterpretationError.badArtifact(path: path, problem: "not a units.json written by cnn-inte")
        }
        for entry in decoded {
            guard (0..<clusters).contains(entry.cluster),
                  entry.units.allSatisfy({ $0.unit >= 0 && $0.topImages.allSatisfy { (0..<trainCount).contains($0) }
                      && $0.histogram.allSatisfy { $0.count == classes && $0.allSatisfy { $0 >= 0 } } && $0.low <= $0.high }) else {
                throw InterpretationError.badArtifact(path: path, problem: "level-1 cluster \(entry.cluster)'s cards do not fit the interpretation")
            }
        }
        return decoded
    }
}
