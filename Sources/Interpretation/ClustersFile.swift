import Foundation
import Numerics

/// What decides a level-1 cluster's test instances, as the artifacts record it: a forest
/// of some trees, or a constant class when every point of the cluster's meta-level
/// training data (members, soft-boundary points, augmented copies) got one prediction.
public enum LearnerSummary: Codable, Equatable, Sendable {
    case forest(trees: Int)
    case constant(class: Int)

    enum CodingKeys: String, CodingKey { case kind, trees, `class` }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "forest": self = .forest(trees: try c.decode(Int.self, forKey: .trees))
        case "constant": self = .constant(class: try c.decode(Int.self, forKey: .class))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown learner kind '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .forest(trees):
            try c.encode("forest", forKey: .kind)
            try c.encode(trees, forKey: .trees)
        case let .constant(k):
            try c.encode("constant", forKey: .kind)
            try c.encode(k, forKey: .class)
        }
    }

    /// Trees of the forest; 0 for a constant learner.
    public var trees: Int {
        if case let .forest(trees) = self { return trees }
        return 0
    }
}

extension ClusterLearner {
    public var summary: LearnerSummary {
        switch self {
        case let .constant(k): return .constant(class: k)
        case let .forest(f): return .forest(trees: f.trees.count)
        }
    }
}

/// `clusters.json`: the cluster tree's nodes with their statistics and prototypes, and
/// each level-1 cluster's learner.
public struct ClustersFile: Codable, Equatable, Sendable {
    public struct Level1: Codable, Equatable, Sendable {
        public var node: ClusterNode
        public var children: [ClusterNode]
        /// nil in files written by cnn-inte 0.1.0 (the interpretation file tells).
        public var learner: LearnerSummary?
    }

    public var classNames: [String]
    public var root: ClusterNode
    public var level1: [Level1]

    /// JSON keys as the files have always had them.
    enum CodingKeys: String, CodingKey {
        case classNames = "class_names", root, level1
    }

    public init(tree: ClusterTree, learners: [ClusterLearner], classNames: [String]) {
        self.classNames = classNames
        root = tree.root
        level1 = tree.level1.indices.map { Level1(node: tree.level1[$0], children: tree.level2[$0], learner: learners[$0].summary) }
    }

    public func encoded() throws -> Data { try JSONEncoder.pretty.encode(self) }
}
