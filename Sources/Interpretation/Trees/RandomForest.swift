import Foundation
import Numerics

/// Breiman's random forest: each tree grown on a bootstrap sample with `sqrt(d)` candidate
/// features per split, fully grown by default; the forest's output is the share of trees
/// voting for each class. Trees are grown in parallel, each from its own random stream
/// derived from the seed and its index, so the forest is the same at any thread count.
public struct RandomForest: Codable, Equatable, Sendable {
    public struct Configuration: Codable, Equatable, Sendable {
        public var trees = 100
        public var tree = TreeConfiguration()
        public var bootstrap = true
        public var seed: UInt64 = 1
        public init(trees: Int = 100, tree: TreeConfiguration = TreeConfiguration(), bootstrap: Bool = true, seed: UInt64 = 1) {
            self.trees = trees
            self.tree = tree
            self.bootstrap = bootstrap
            self.seed = seed
        }
    }

    public var classes: Int
    public var features: Int
    public var trees: [DecisionTree]
    /// Mean Gini decrease per feature, normalised to sum to 1.
    public var importances: [Double]

    /// Fits on the rows `rows` of `data` (binned with `binner`) with labels `labels[row]`.
    /// Exact splits (`configuration.tree.exactSplits`) also need `values`: the same rows
    /// unbinned, column-major (`Matrix.columnMajorValues()`). With `soft` labels (one per
    /// row of `data`, binned splits only) the trees are grown on soft counts and their
    /// leaves vote two-class distributions.
    public static func fit(data: BinnedMatrix, binner: Binner, labels: [UInt8], rows: [Int32], classes: Int,
                           configuration: Configuration, values: [Float]? = nil, soft: SoftLabels? = nil) throws -> RandomForest {
        guard configuration.trees >= 1 else { throw InterpretationError.invalidOption("a forest needs at least 1 tree (got \(configuration.trees))") }
        guard !rows.isEmpty else { throw InterpretationError.invalidOption("a forest needs at least one training sample") }
        let exact = configuration.tree.exactSplits
        precondition(!exact || values?.count == data.rows * data.columns, "RandomForest: exact splits need the values of every row")
        guard soft == nil || !exact else { throw InterpretationError.invalidOption("soft labels are grown on binned splits only (not with exact splits)") }
        var trees = [DecisionTree?](repeating: nil, count: configuration.trees)
        var importances = [[Double]](repeating: [], count: configuration.trees)
        let root = SplitMix64(seed: configuration.seed)
        let valueBuffer = exact ? values! : [0]
        valueBuffer.withUnsafeBufferPointer { valuePointer in
            trees.withUnsafeMutableBufferPointer { treeBuffer in
                importances.withUnsafeMutableBufferPointer { importanceBuffer in
                    let (tp, ip) = (treeBuffer.baseAddress!, importanceBuffer.baseAddress!)
                    Parallel.forRanges(configuration.trees) { range in
                        for t in range {
                            var rng = root.derived(UInt64(t))
                            var sample = rows
                            if configuration.bootstrap {
                                for i in 0..<rows.count { sample[i] = rows[rng.nextInt(below: rows.count)] }
                            }
                            var grower = TreeGrower(data: data, edges: binner.edges, labels: labels, classes: classes,
                                                    configuration: configuration.tree)
                            if exact { grower.raw = valuePointer.baseAddress! }
                            grower.soft = soft
                            tp[t] = grower.grow(samples: sample, rng: &rng)
                            ip[t] = grower.importance
                        }
                    }
                }
            }
        }
        var total = [Double](repeating: 0, count: data.columns)
        for imp in importances { for f in 0..<imp.count { total[f] += imp[f] } }
        let sum = total.reduce(0, +)
        // Rounded to Float precision: that is how they are stored, so a saved forest reads back equal.
        if sum > 0 { total = total.map { Double(Float($0 / sum)) } }
        return RandomForest(classes: classes, features: data.columns, trees: trees.map { $0! }, importances: total)
    }

    /// Vote shares per class for one feature vector: the share of trees voting for each
    /// class, or with soft-label trees the mean of the leaves' two-class distributions.
    public func votes(_ row: UnsafePointer<Float>) -> [Double] {
        var counts = [Int](repeating: 0, count: classes)
        // A forest's trees are all grown on soft labels or none.
        let unit = trees.first?.isSoft == true ? Int(SoftLabels.unit) : 1
        for tree in trees {
            if tree.isSoft {
                let leaf = tree.leaf(row), share = Int(tree.share[leaf])
                counts[Int(tree.majority[leaf])] += share
                counts[Int(tree.second[leaf])] += unit - share
            } else {
                counts[tree.predict(row)] += unit
            }
        }
        return counts.map { Double($0) / Double(trees.count * unit) }
    }

    /// The class with most votes for every row of `data` (the lowest class on a tie).
    public func predict(_ data: Matrix) -> [Int] {
        votes(data).map { v in
            var best = 0
            for c in 1..<v.count where v[c] > v[best] { best = c }
            return best
        }
    }

    /// Vote shares for every row of `data`, `rows x classes`; parallel over rows.
    public func votes(_ data: Matrix) -> [[Double]] {
        var out = [[Double]](repeating: [], count: data.rows)
        out.withUnsafeMutableBufferPointer { buffer in
            let op = buffer.baseAddress!
            data.values.withUnsafeBufferPointer { x in
                let xp = x.baseAddress!
                Parallel.forRanges(data.rows, grain: 16) { range in
                    for i in range { op[i] = votes(xp + i * data.columns) }
                }
            }
        }
        return out
    }
}
