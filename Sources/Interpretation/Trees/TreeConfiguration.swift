import Foundation

/// How trees grow.
public struct TreeConfiguration: Codable, Equatable, Sendable {
    /// Candidate features per split; nil = sqrt(features).
    public var maxFeatures: Int?
    public var minSamplesLeaf = 1
    /// nil = grow until pure.
    public var maxDepth: Int?
    /// Exact CART split search (every cut between two distinct values of the node, at
    /// their midpoint, as scikit-learn does) instead of 256 quantile bins per feature.
    /// Measured (docs/EXPERIMENTS.md): as faithful, 4-8x slower.
    public var exactSplits = false

    public init(maxFeatures: Int? = nil, minSamplesLeaf: Int = 1, maxDepth: Int? = nil, exactSplits: Bool = false) {
        self.maxFeatures = maxFeatures
        self.minSamplesLeaf = minSamplesLeaf
        self.maxDepth = maxDepth
        self.exactSplits = exactSplits
    }

    enum CodingKeys: String, CodingKey { case maxFeatures, minSamplesLeaf, maxDepth, exactSplits }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxFeatures = try c.decodeIfPresent(Int.self, forKey: .maxFeatures)
        minSamplesLeaf = try c.decode(Int.self, forKey: .minSamplesLeaf)
        maxDepth = try c.decodeIfPresent(Int.self, forKey: .maxDepth)
        // Files written before this setting existed were grown on bins.
        exactSplits = try c.decodeIfPresent(Bool.self, forKey: .exactSplits) ?? false
    }
}
