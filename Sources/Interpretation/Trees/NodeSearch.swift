import Foundation
import Numerics

/// The best split of one node: a feature, its cut, the Gini gain it brings, and how many
/// features its search found constant (they join the prefix never drawn again below).
struct Split {
    var feature: Int
    var cut: Cut
    var gain: Double
    var foundConstant: Int
}

/// A tree's split search over the grower's scratch: class counts of a range of samples,
/// the draw of candidate features and each one's search, and the partition of a node.
struct NodeSearch<Criterion: GiniCriterion> {
    let criterion: Criterion
    let scratch: GrowerScratch
    let classes: Int, features: Int
    /// Candidate features per split; the fewest samples per leaf.
    let mtry: Int, minLeaf: Int
    let bins: UnsafePointer<UInt8>, rows: Int
    let exact: ExactSplitter?
    let sorted: SortedBinSplitter
    let histogram: HistogramSplitter<Criterion>

    /// `labels`: the hard labels (the exact and small-node searches count those alone).
    init(grower: TreeGrower, bins: UnsafePointer<UInt8>, labels: UnsafePointer<UInt8>, criterion: Criterion, scratch: GrowerScratch) {
        let (d, rows) = (grower.data.columns, grower.data.rows)
        (self.criterion, self.scratch, self.bins, self.rows) = (criterion, scratch, bins, rows)
        (classes, features) = (grower.classes, d)
        mtry = max(1, min(d, grower.configuration.maxFeatures ?? Int(Double(d).squareRoot())))
        minLeaf = max(1, grower.configuration.minSamplesLeaf)
        exact = grower.raw.map { ExactSplitter(values: $0, rows: rows, labels: labels, keys: scratch.keys, leftCounts: scratch.leftCounts) }
        sorted = SortedBinSplitter(bins: bins, rows: rows, labels: labels, pairs: scratch.pairs, leftCounts: scratch.leftCounts)
        histogram = HistogramSplitter(bins: bins, rows: rows, criterion: criterion, histogram: scratch.histogram, leftCounts: scratch.leftCounts)
    }

    /// Fills `scratch.total` with the class counts of `idx[start..<end]`; returns the
    /// majority class (the lowest on a tie) and whether the node is pure.
    @inline(__always)
    func counts(_ start: Int, _ end: Int) -> (majority: Int, pure: Bool) {
        let (total, idx) = (scratch.total, scratch.idx)
        total.update(repeating: 0, count: classes)
        for i in start..<end { criterion.add(Int(idx[i]), to: total) }
        var best = 0, nonzero = 0
        for c in 0..<classes {
            if total[c] > total[best] { best = c }
            if total[c] > 0 { nonzero += 1 }
        }
        return (best, nonzero <= 1)
    }

    /// The best split of `idx[start..<end]`, whose counts `counts` just filled, over up to
    /// `mtry` non-constant candidates drawn from `order[known...]`; nil if no cut improves
    /// on the node by more than rounding.
    func bestSplit(_ start: Int, _ end: Int, known: Int, rng: inout SplitMix64) -> Split? {
        let count = end - start, weight = count * criterion.unit, order = scratch.order
        let node = SplitNode(samples: scratch.idx + start, count: count, total: scratch.total, weight: weight, classes: classes,
                             minLeaf: minLeaf, minWeight: minLeaf * criterion.unit)
        let parentScore = GiniSums.parentScore(scratch.total, classes: classes, weight: weight)
        var bound = parentScore + 1e-9 * Double(weight)
        var best: (feature: Int, cut: Cut)? = nil
        var visited = 0, drawn = known, found = 0
        while drawn < features && visited < mtry {
            // Fisher-Yates, one feature at a time.
            let j = drawn + rng.nextInt(below: features - drawn)
            let f = order[j]
            order[j] = order[drawn]
            order[drawn] = f
            drawn += 1
            switch search(f, in: node, above: bound) {
            case .constant:
                // Joins the prefix of features never drawn again below this node.
                order[drawn - 1] = order[known + found]
                order[known + found] = f
                found += 1
            case let .searched(cut):
                visited += 1
                if let cut { (best, bound) = ((f, cut), cut.score) }
            }
        }
        guard let best else { return nil }
        return Split(feature: best.feature, cut: best.cut, gain: best.cut.score - parentScore, foundConstant: found)
    }

    @inline(__always)
    private func search(_ feature: Int, in node: SplitNode, above bound: Double) -> FeatureSearch {
        if let exact { return exact.search(feature, in: node, above: bound) }
        if node.count <= SortedBinSplitter.largestNode && criterion.unit == 1 { return sorted.search(feature, in: node, above: bound) }
        return histogram.search(feature, in: node, above: bound)
    }

    /// Stable partition of `idx[start..<end]` by the split, left side first; returns where
    /// the right side starts. Each node's samples stay in ascending row order, so the column
    /// reads of the histogram pass (most of the time) move forward through memory.
    func partition(_ start: Int, _ end: Int, feature: Int, cut: Cut) -> Int {
        let (idx, spill) = (scratch.idx, scratch.spill)
        var i = start, r = 0
        if let exact {
            let values = exact.values + feature * rows
            for k in start..<end {
                let s = idx[k]
                if values[Int(s)] <= cut.threshold { idx[i] = s; i += 1 } else { spill[r] = s; r += 1 }
            }
        } else {
            let column = bins + feature * rows
            for k in start..<end {
                let s = idx[k]
                if Int(column[Int(s)]) <= cut.bin { idx[i] = s; i += 1 } else { spill[r] = s; r += 1 }
            }
        }
        (idx + i).update(from: spill, count: r)
        return i
    }
}
