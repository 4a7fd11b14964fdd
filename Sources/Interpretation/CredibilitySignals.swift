import Foundation
import Numerics

/// What an explanation's credibility is estimated from: only what CNN-INTE itself computes
/// for an instance (its route and the forests' votes), never the CNN's output, so that a
/// credibility says something the CNN's own confidence does not.
public struct CredibilitySignals: Equatable, Sendable {
    /// The decided class's vote share minus the runner-up class's, in the routed forest.
    public var margin: Double
    /// The decided class's vote share.
    public var top: Double
    /// Distance to the own level-1 centroid over distance to the second-nearest (0-1; near
    /// 1 on the border between two clusters). 0 with one cluster.
    public var closeness: Double
    /// The share of the decided class among the votes of the second-nearest cluster's
    /// forest (1 with one cluster): a second opinion from the neighbouring region.
    public var runnerUpShare: Double
    /// Whether the routed level-2 cluster's majority is the decided class.
    public var level2Agrees: Double

    /// The values a credibility model is fitted on, in a fixed order.
    public var vector: [Double] { [margin, top, closeness, runnerUpShare, level2Agrees] }
    public static let names = ["margin", "top", "closeness", "runner_up_share", "level2_agrees"]
    /// The way each signal may move a credibility: up with the margin, the top share, the
    /// runner-up forest's support and the level-2 majority's; down with closeness to the
    /// border between two clusters.
    public static let directions: [Double] = [1, 1, -1, 1, 1]

    /// The signals of every row of `features` that `records` (decided on those rows) describe.
    public static func of(_ records: [InstanceRecord], features: Matrix, model: InterpretationModel, classes: Int) -> [CredibilitySignals] {
        var out = [CredibilitySignals?](repeating: nil, count: records.count)
        out.withUnsafeMutableBufferPointer { buffer in
            let op = buffer.baseAddress!
            features.values.withUnsafeBufferPointer { x in
                let xp = x.baseAddress!
                Parallel.forRanges(records.count, grain: 16) { range in
                    for i in range {
                        let r = records[i]
                        let decided = r.intePrediction
                        var others = r.votes
                        others[decided] = -1
                        let second = others.max() ?? 0
                        let route = r.route
                        // The same closeness the soft boundaries of the forests' training data use.
                        let closeness = Double(RouteSummary(route: route).closeness)
                        let runnerUpShare = route.runnerUp.map {
                            model.meta.learners[$0].votes(xp + i * features.columns, classes: classes)[decided]
                        } ?? 1
                        let majority = model.tree.level2[route.level1][route.level2].majority
                        op[i] = CredibilitySignals(margin: r.votes[decided] - max(second, 0), top: r.votes[decided], closeness: closeness,
                                                   runnerUpShare: runnerUpShare, level2Agrees: majority == decided ? 1 : 0)
                    }
                }
            }
        }
        return out.map { $0! }
    }
}
