import Foundation
import Numerics

/// Grows one CART tree, depth first: at each node `mtry` candidate features are drawn
/// (Fisher-Yates, features found constant in an ancestor never drawn again, as
/// scikit-learn's splitter tracks them), a splitter finds each one's best cut, and the
/// best of all splits the node. The splitter per node: exact search with `raw` values,
/// else sorted bins for small nodes with hard labels, else a histogram. The random draws
/// are the same whichever searches, so where the binner gave every distinct value its own
/// bin, exact and binned trees grow the same partitions.
struct TreeGrower {
    let data: BinnedMatrix
    let edges: [[Float]]
    let labels: [UInt8]
    let classes: Int
    let configuration: TreeConfiguration
    /// For exact splits: the values, column-major (`data.rows` per feature); nil = bins.
    var raw: UnsafePointer<Float>? = nil
    /// Soft labels (binned splits only): Gini on soft counts (`SoftLabelGini`).
    var soft: SoftLabels? = nil
    /// Gini decrease credited to each feature (for importances).
    var importance: [Double]

    init(data: BinnedMatrix, edges: [[Float]], labels: [UInt8], classes: Int, configuration: TreeConfiguration) {
        self.data = data
        self.edges = edges
        self.labels = labels
        self.classes = classes
        self.configuration = configuration
        importance = [Double](repeating: 0, count: data.columns)
    }

    mutating func grow(samples: [Int32], rng: inout SplitMix64) -> DecisionTree {
        precondition(soft == nil || raw == nil, "TreeGrower: soft labels are grown on bins only")
        precondition(soft == nil || soft!.second.count == labels.count, "TreeGrower: one soft label per row")
        let (bins, labels, soft) = (data.bins, self.labels, self.soft)
        let (tree, importance) = bins.withUnsafeBufferPointer { bins in
            labels.withUnsafeBufferPointer { y in
                let (bins, y) = (bins.baseAddress!, y.baseAddress!)
                guard let soft else { return grow(samples, &rng, bins: bins, labels: y, criterion: HardLabelGini(labels: y)) }
                return soft.second.withUnsafeBufferPointer { second in
                    soft.share.withUnsafeBufferPointer { share in
                        grow(samples, &rng, bins: bins, labels: y,
                             criterion: SoftLabelGini(labels: y, second: second.baseAddress!, share: share.baseAddress!))
                    }
                }
            }
        }
        self.importance = importance
        return tree
    }

    /// A node waiting on the stack: its samples are `idx[start..<end]`; `order[0..<known]`
    /// holds the features known constant in it. A subtree only permutes positions past its
    /// own prefix and the stack is depth first, so a sibling finds its prefix as its parent
    /// left it.
    private struct Pending {
        var node: Int, start: Int, end: Int, depth: Int, known: Int
    }

    private func grow<Criterion: GiniCriterion>(_ samples: [Int32], _ rng: inout SplitMix64, bins: UnsafePointer<UInt8>,
                                                labels: UnsafePointer<UInt8>, criterion: Criterion) -> (DecisionTree, [Double]) {
        let scratch = GrowerScratch(samples: samples.count, features: data.columns, classes: classes, exact: raw != nil)
        let search = NodeSearch(grower: self, bins: bins, labels: labels, criterion: criterion, scratch: scratch)
        var tree = DecisionTree(feature: [], threshold: [], thresholdBin: [], left: [], right: [], majority: [], samples: [])
        var importance = self.importance
        let (idx, total) = (scratch.idx, scratch.total)
        // Ascending order (kept by the partition below); the split search does not depend on it.
        samples.sorted().withUnsafeBufferPointer { idx.initialize(from: $0.baseAddress!, count: samples.count) }
        let minLeaf = max(1, configuration.minSamplesLeaf), maxDepth = configuration.maxDepth ?? Int.max

        func addNode(_ start: Int, _ end: Int) -> Int {
            let majority = search.counts(start, end).majority
            tree.feature.append(-1); tree.threshold.append(0); tree.thresholdBin.append(0)
            tree.left.append(-1); tree.right.append(-1)
            tree.majority.append(Int32(majority)); tree.samples.append(Int32(end - start))
            if criterion.unit > 1 {
                let pair = SoftLabels.pair(top: majority, classes: classes) { Double(total[$0]) }
                tree.second.append(Int32(pair.second)); tree.share.append(pair.share)
            }
            return tree.feature.count - 1
        }

        var stack = [Pending(node: addNode(0, samples.count), start: 0, end: samples.count, depth: 0, known: 0)]
        while let next = stack.popLast() {
            let count = next.end - next.start
            guard !search.counts(next.start, next.end).pure, count >= 2 * minLeaf, next.depth < maxDepth,
                  let split = search.bestSplit(next.start, next.end, known: next.known, rng: &rng) else { continue }
            importance[split.feature] += split.gain
            let mid = search.partition(next.start, next.end, feature: split.feature, cut: split.cut)
            let (left, right) = (addNode(next.start, mid), addNode(mid, next.end))
            tree.feature[next.node] = Int32(split.feature)
            tree.thresholdBin[next.node] = raw == nil ? UInt8(split.cut.bin) : 0
            tree.threshold[next.node] = raw == nil ? edges[split.feature][split.cut.bin] : split.cut.threshold
            tree.left[next.node] = Int32(left)
            tree.right[next.node] = Int32(right)
            stack.append(Pending(node: right, start: mid, end: next.end, depth: next.depth + 1, known: next.known + split.foundConstant))
            stack.append(Pending(node: left, start: next.start, end: mid, depth: next.depth + 1, known: next.known + split.foundConstant))
        }
        return (tree, importance)
    }
}

/// The grower's scratch memory, as raw pointers: closures capturing mutable arrays pay an
/// exclusivity check and a uniqueness check per access, which took most of the time.
final class GrowerScratch {
    let idx: UnsafeMutablePointer<Int32>, spill: UnsafeMutablePointer<Int32>
    let order: UnsafeMutablePointer<Int>
    let histogram: UnsafeMutablePointer<Int32>
    let total: UnsafeMutablePointer<Int32>, leftCounts: UnsafeMutablePointer<Int32>
    let pairs: UnsafeMutablePointer<UInt16>
    let keys: UnsafeMutablePointer<UInt64>

    init(samples: Int, features: Int, classes: Int, exact: Bool) {
        idx = .allocate(capacity: max(1, samples))
        spill = .allocate(capacity: max(1, samples))
        order = .allocate(capacity: features)
        for f in 0..<features { order[f] = f }
        histogram = .allocate(capacity: 256 * classes)
        histogram.initialize(repeating: 0, count: 256 * classes)
        total = .allocate(capacity: classes)
        leftCounts = .allocate(capacity: classes)
        pairs = .allocate(capacity: SortedBinSplitter.largestNode)
        keys = .allocate(capacity: exact ? max(1, samples) : 1)
    }

    deinit {
        idx.deallocate(); spill.deallocate(); order.deallocate(); histogram.deallocate()
        total.deallocate(); leftCounts.deallocate(); pairs.deallocate(); keys.deallocate()
    }
}
