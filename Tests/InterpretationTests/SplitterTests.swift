import Numerics
import XCTest
@testable import Interpretation

/// Each fast split search against a naive reference on random nodes: every cut between two
/// distinct values of the node, both sides' class counts summed from scratch, scored by the
/// same Gini formula (llm.c's habit: the slow obvious version tests the fast one). Counts
/// are integers, so the scores agree bit for bit and so do the cuts chosen on ties.
final class SplitterTests: XCTestCase {
    /// One random node over `rows` rows: samples drawn with repeats (as a bootstrap), in
    /// ascending order; bins with few distinct values; values with ties, negatives and -0.
    struct RandomNode {
        var samples: [Int32]
        var bins: [UInt8], values: [Float], labels: [UInt8], second: [UInt8], share: [UInt8]
        let classes: Int, minLeaf: Int

        init(_ rng: inout SplitMix64, rows: Int, largest: Int) {
            classes = 2 + rng.nextInt(below: 4)
            minLeaf = 1 + rng.nextInt(below: 3)
            let distinct = 1 + rng.nextInt(below: 12)
            var (bins, values, labels, second, share) = ([UInt8](), [Float](), [UInt8](), [UInt8](), [UInt8]())
            for _ in 0..<rows {
                bins.append(UInt8(rng.nextInt(below: distinct) * 20))
                let v = Float(rng.nextInt(below: distinct)) * 0.37 - 1
                values.append(rng.nextUnit() < 0.1 ? -0.0 : (rng.nextUnit() < 0.5 ? v : Float(rng.nextUnit())))
                let label = rng.nextInt(below: classes)
                labels.append(UInt8(label))
                second.append(UInt8((label + 1 + rng.nextInt(below: classes - 1)) % classes))
                share.append(UInt8(32 + rng.nextInt(below: 33)))
            }
            (self.bins, self.values, self.labels, self.second, self.share) = (bins, values, labels, second, share)
            samples = (0..<(1 + rng.nextInt(below: largest))).map { _ in Int32(rng.nextInt(below: rows)) }.sorted()
        }

        /// Each sample's class counts in the criterion's units.
        func weights(soft: Bool) -> [[Int]] {
            samples.map { s in
                var w = [Int](repeating: 0, count: classes)
                if soft {
                    w[Int(labels[Int(s)])] += Int(share[Int(s)])
                    w[Int(second[Int(s)])] += Int(SoftLabels.unit) - Int(share[Int(s)])
                } else {
                    w[Int(labels[Int(s)])] += 1
                }
                return w
            }
        }
    }

    /// The reference: cuts after each distinct key of the node, lowest first; a side must
    /// weigh at least `minLeaf * unit`; the first cut scoring above `bound` and above every
    /// earlier one wins. `threshold(a, b)` places a cut between keys a < b.
    static func reference(keys: [Float], weights: [[Int]], minLeaf: Int, unit: Int, bound: Double,
                          threshold: (Float, Float) -> Cut) -> FeatureSearch {
        let distinct = Array(Set(keys)).sorted()
        if distinct.count == 1 { return .constant }
        let classes = weights[0].count
        var best: Cut? = nil, bestScore = bound
        for k in 0..<(distinct.count - 1) {
            var left = [Int](repeating: 0, count: classes), right = left
            for (key, w) in zip(keys, weights) {
                for c in 0..<classes { if key <= distinct[k] { left[c] += w[c] } else { right[c] += w[c] } }
            }
            let (nLeft, nRight) = (left.reduce(0, +), right.reduce(0, +))
            guard nLeft >= minLeaf * unit, nRight >= minLeaf * unit else { continue }
            let left2 = left.reduce(0.0) { $0 + Double($1) * Double($1) }, right2 = right.reduce(0.0) { $0 + Double($1) * Double($1) }
            let score = left2 / Double(nLeft) + right2 / Double(nRight)
            if score > bestScore {
                bestScore = score
                best = threshold(distinct[k], distinct[k + 1])
                best!.score = score
            }
        }
        return .searched(best)
    }

    /// Runs `body` with a `SplitNode` of `node` (its counts from `criterion`) and scratch.
    func withNode<C: GiniCriterion>(_ node: RandomNode, _ criterion: C,
                                    _ body: (SplitNode, Double, UnsafeMutablePointer<Int32>, UnsafeMutablePointer<Int32>) -> Void) {
        let total = UnsafeMutablePointer<Int32>.allocate(capacity: node.classes)
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: node.classes)
        let histogram = UnsafeMutablePointer<Int32>.allocate(capacity: 256 * node.classes)
        defer { total.deallocate(); scratch.deallocate(); histogram.deallocate() }
        total.initialize(repeating: 0, count: node.classes)
        histogram.initialize(repeating: 0, count: 256 * node.classes)
        for s in node.samples { criterion.add(Int(s), to: total) }
        let weight = node.samples.count * criterion.unit
        node.samples.withUnsafeBufferPointer { samples in
            let split = SplitNode(samples: samples.baseAddress!, count: samples.count, total: total, weight: weight,
                                  classes: node.classes, minLeaf: node.minLeaf, minWeight: node.minLeaf * criterion.unit)
            let bound = GiniSums.parentScore(total, classes: node.classes, weight: weight) + 1e-9 * Double(weight)
            body(split, bound, scratch, histogram)
        }
        // The histogram splitter leaves its scratch zero for the next search.
        XCTAssertTrue(UnsafeBufferPointer(start: histogram, count: 256 * node.classes).allSatisfy { $0 == 0 })
    }

    func testBinnedSearchesMatchTheReference() {
        var rng = SplitMix64(seed: 5)
        var searched = 0
        let pairs = UnsafeMutablePointer<UInt16>.allocate(capacity: SortedBinSplitter.largestNode)
        defer { pairs.deallocate() }
        for trial in 0..<400 {
            // Half the nodes small enough for the sorted-bin search, a third on soft labels.
            let node = RandomNode(&rng, rows: 150, largest: trial % 2 == 0 ? SortedBinSplitter.largestNode : 150)
            let soft = trial % 3 == 0
            let keys = node.samples.map { Float(node.bins[Int($0)]) }
            func check<C: GiniCriterion>(_ criterion: C, bins: UnsafePointer<UInt8>, labels: UnsafePointer<UInt8>) {
                withNode(node, criterion) { split, bound, left, histogram in
                    let want = Self.reference(keys: keys, weights: node.weights(soft: soft), minLeaf: node.minLeaf, unit: criterion.unit,
                                              bound: bound, threshold: { a, _ in Cut(score: 0, bin: Int(a)) })
                    let fast = HistogramSplitter(bins: bins, rows: 150, criterion: criterion, histogram: histogram, leftCounts: left)
                    XCTAssertEqual(fast.search(0, in: split, above: bound), want, "trial \(trial), histogram, soft: \(soft)")
                    if !soft && split.count <= SortedBinSplitter.largestNode {
                        let small = SortedBinSplitter(bins: bins, rows: 150, labels: labels, pairs: pairs, leftCounts: left)
                        XCTAssertEqual(small.search(0, in: split, above: bound), want, "trial \(trial), sorted bins")
                    }
                    if case .searched(.some) = want { searched += 1 }
                }
            }
            node.labels.withUnsafeBufferPointer { y in
                node.second.withUnsafeBufferPointer { y2 in
                    node.share.withUnsafeBufferPointer { w in
                        node.bins.withUnsafeBufferPointer { bins in
                            if soft {
                                check(SoftLabelGini(labels: y.baseAddress!, second: y2.baseAddress!, share: w.baseAddress!),
                                      bins: bins.baseAddress!, labels: y.baseAddress!)
                            } else {
                                check(HardLabelGini(labels: y.baseAddress!), bins: bins.baseAddress!, labels: y.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        // Most nodes have a cut that improves on them: the comparison is not all "none".
        XCTAssertGreaterThan(searched, 200)
    }

    func testExactSearchMatchesTheReference() {
        var rng = SplitMix64(seed: 6)
        var searched = 0
        for trial in 0..<300 {
            let node = RandomNode(&rng, rows: 120, largest: 120)
            node.labels.withUnsafeBufferPointer { y in
                node.values.withUnsafeBufferPointer { values in
                    let criterion = HardLabelGini(labels: y.baseAddress!)
                    let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: node.samples.count)
                    defer { keys.deallocate() }
                    withNode(node, criterion) { split, bound, left, _ in
                        // -0 and 0 are one value to both.
                        let want = Self.reference(keys: node.samples.map { values[Int($0)] + 0 }, weights: node.weights(soft: false),
                                                  minLeaf: node.minLeaf, unit: 1, bound: bound) { a, b in
                            let mid = a / 2 + b / 2
                            return Cut(score: 0, threshold: mid < b ? mid : a)
                        }
                        let fast = ExactSplitter(values: values.baseAddress!, rows: 120, labels: y.baseAddress!, keys: keys, leftCounts: left)
                        XCTAssertEqual(fast.search(0, in: split, above: bound), want, "trial \(trial), exact")
                        if case .searched(.some) = want { searched += 1 }
                    }
                }
            }
        }
        XCTAssertGreaterThan(searched, 150)
    }
}
