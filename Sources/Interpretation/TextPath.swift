import Foundation
import Numerics

/// The plain-text rendering of one instance's interpretation: the same path the diagram
/// draws, for terminals, booklets and screen readers.
public enum TextPath {
    /// `level1` and `level2` are the tree's nodes; `layer` names the interpreted layer;
    /// `softVotes`: the forests were grown on soft labels (their votes are mean leaf
    /// distributions).
    public static func render(_ r: InstanceRecord, level1: [ClusterNode], level2: [[ClusterNode]], classNames: [String],
                              layer: String, layerWidth: Int, learner: LearnerSummary, neighbours: [Neighbour] = [],
                              softVotes: Bool = false, testName: (Int) -> String = { "#\($0)" },
                              trainName: (Int) -> String = { "#\($0)" }) -> String {
        func name(_ c: Int) -> String { c < classNames.count ? classNames[c] : "\(c)" }
        func percent(_ x: Double) -> String { x > 0 && x < 0.005 ? "<1%" : String(format: "%.0f%%", 100 * x) }
        func histogram(_ h: [Int]) -> String {
            let total = max(1, h.reduce(0, +))
            return h.indices.filter { h[$0] > 0 }.sorted { h[$0] > h[$1] || (h[$0] == h[$1] && $0 < $1) }.prefix(3)
                .map { "\(name($0)) \(percent(Double(h[$0]) / Double(total)))" }.joined(separator: ", ")
        }
        func node(_ n: ClusterNode, distance: Float, what: String) -> String {
            let prototypes = n.prototypes.isEmpty ? "" : "; prototypes " + n.prototypes.map(trainName).joined(separator: " ")
            return "\(what) \(n.id): \(n.size.counted("training image")), distance \(String(format: "%.2f", distance)); CNN predictions \(histogram(n.predictionHistogram))\(prototypes)"
        }
        let c1 = level1[r.route.level1]
        let c2 = level2[r.route.level1][r.route.level2]
        let votes = r.votes.indices.filter { r.votes[$0] > 0 }.sorted { r.votes[$0] > r.votes[$1] || (r.votes[$0] == r.votes[$1] && $0 < $1) }
            .map { "\(name($0)) \(percent(r.votes[$0]))" }.joined(separator: ", ")
        let decidedBy: String
        switch learner {
        case let .forest(trees): decidedBy = "random forest of cluster \(c1.id) (\(trees.counted("tree")))"
        case .constant: decidedBy = "constant learner of cluster \(c1.id)"
        }
        var lines = [
            "test \(testName(r.index))  true label: \(name(r.label))",
            "  -> \(layer) (\(layerWidth.counted("unit")))",
            "  -> " + node(c1, distance: r.route.level1Distances[r.route.level1], what: "level-1 cluster"),
            "  -> " + node(c2, distance: r.route.level2Distance, what: "level-2 cluster"),
            "  -> \(decidedBy): \(softVotes ? "mean leaf distributions (soft labels)" : "votes") \(votes)",
            "  -> CNN-INTE: \(name(r.intePrediction))   CNN: \(name(r.cnnPrediction)) (p = \(String(format: "%.3f", r.cnnProbability)))"
                + (r.agrees ? " agrees" : " DISAGREES") + "   truth: \(name(r.label))" + (r.cnnPrediction == r.label ? "" : " (the CNN is wrong)"),
        ]
        if let c = r.credibility {
            lines.append("  credibility: \(String(format: "%.0f%%", 100 * c)) that this explanation agrees with the CNN (\(CredibilityModel.words(c)))")
        }
        if let runner = r.route.runnerUp, runner < level1.count {
            lines.append("  runner-up: level-1 cluster \(level1[runner].id) (mostly \(name(level1[runner].majority))), distance \(String(format: "%.2f", r.route.level1Distances[runner]))")
        }
        if !neighbours.isEmpty {
            lines.append("  nearest training images in \(layer): " + neighbours.map {
                trainName($0.trainIndex) + " (CNN: \(name($0.cnnPrediction)), distance \(String(format: "%.2f", $0.distance)))"
            }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
