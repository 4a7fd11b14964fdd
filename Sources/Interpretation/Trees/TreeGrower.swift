import Foundation
import Numerics

/// Grows one tree. Split search per candidate feature uses a (bin x class) histogram for
/// large nodes and a sort of the node's bins for small ones, where clearing a 256-bin
/// histogram would cost more than the node itself. With `raw` values it sorts the node's
/// values instead (exact splits); the random draws are the same either way, so where the
/// binner gave every distinct value its own bin both grow the same partitions.
struct TreeGrower {
    let data: BinnedMatrix
    let edges: [[Float]]
    let labels: [UInt8]
    let classes: Int
    let configuration: TreeConfiguration
    /// For exact splits: the values, column-major (`data.rows` per feature); nil = bins.
    var raw: UnsafePointer<Float>? = nil
    /// Soft labels (binned splits only): each sample counts `share` units for its label and
    /// `unit - share` for `second`, and Gini is taken on those soft counts.
    var soft: SoftLabels? = nil
    /// Gini decrease credited to each feature (for importances).
    var importance: [Double]

    /// Moves `h` samples of class `c` from the right side of a cut to the left, updating the
    /// sums of squared class counts each side (the Gini score is sum / side size):
    /// (l + h)^2 - l^2 = 2lh + h^2 on the left, (r - h)^2 - r^2 = -2rh + h^2 on the right.
    @inline(__always)
    static func moveLeft(_ c: Int, _ h: Int32, _ leftCounts: UnsafeMutablePointer<Int32>, _ total: UnsafeMutablePointer<Int32>,
                         _ sumLeft2: inout Double, _ sumRight2: inout Double) {
        let l = Double(leftCounts[c]), r = Double(total[c] - leftCounts[c]), hh = Double(h)
        sumLeft2 += 2 * l * hh + hh * hh
        sumRight2 += -2 * r * hh + hh * hh
        leftCounts[c] += h
    }

    /// The feature just drawn at `position` is constant in the node: it joins the prefix
    /// `order[0..<known + found]` of features never drawn again below it.
    @inline(__always)
    static func setAside(_ order: UnsafeMutablePointer<Int>, _ position: Int, known: Int, found: inout Int) {
        let f = order[position]
        order[position] = order[known + found]
        order[known + found] = f
        found += 1
    }

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
        var tree = DecisionTree(feature: [], threshold: [], thresholdBin: [], left: [], right: [], majority: [], samples: [])
        // A sample weighs `unit` in the counts: 1 for hard labels, so their arithmetic is
        // unchanged, SoftLabels.unit for soft ones.
        let unit = soft == nil ? 1 : Int(SoftLabels.unit)
        let softSecond = soft?.second ?? [], softShare = soft?.share ?? []
        let d = data.columns, n = data.rows, classes = self.classes
        let mtry = max(1, min(d, configuration.maxFeatures ?? Int(Double(d).squareRoot())))
        let minLeaf = max(1, configuration.minSamplesLeaf)
        let maxDepth = configuration.maxDepth ?? Int.max
        // Scratch as raw memory: closures capturing mutable arrays pay an exclusivity
        // check and a uniqueness check per access, which took most of the time.
        let idx = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, samples.count))
        let spill = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, samples.count))
        let order = UnsafeMutablePointer<Int>.allocate(capacity: d)
        let histogram = UnsafeMutablePointer<Int32>.allocate(capacity: 256 * classes)
        let total = UnsafeMutablePointer<Int32>.allocate(capacity: classes)
        let leftCounts = UnsafeMutablePointer<Int32>.allocate(capacity: classes)
        let pairs = UnsafeMutablePointer<UInt16>.allocate(capacity: 64)
        let raw = self.raw
        let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: raw == nil ? 1 : max(1, samples.count))
        defer {
            idx.deallocate(); spill.deallocate(); order.deallocate(); histogram.deallocate()
            total.deallocate(); leftCounts.deallocate(); pairs.deallocate(); keys.deallocate()
        }
        // Float bits whose unsigned order is the numeric order.
        @inline(__always) func sortable(_ v: Float) -> UInt64 {
            let b = (v + 0).bitPattern  // -0 and 0 are one value
            return UInt64(b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000)
        }
        @inline(__always) func value(_ k: UInt64) -> Float {
            let b = UInt32(truncatingIfNeeded: k)
            return Float(bitPattern: b & 0x8000_0000 != 0 ? b & 0x7FFF_FFFF : ~b)
        }
        var bestThreshold: Float = 0
        // Ascending order (see the partition below); the split search does not depend on it.
        samples.sorted().withUnsafeBufferPointer { idx.initialize(from: $0.baseAddress!, count: samples.count) }
        for f in 0..<d { order[f] = f }
        histogram.initialize(repeating: 0, count: 256 * classes)
        var importance = self.importance

        func addNode(_ count: Int, _ majority: Int) -> Int {
            tree.feature.append(-1); tree.threshold.append(0); tree.thresholdBin.append(0)
            tree.left.append(-1); tree.right.append(-1)
            tree.majority.append(Int32(majority)); tree.samples.append(Int32(count))
            if unit > 1 {
                // `total` holds the node's soft counts (counts() just ran on it).
                let pair = SoftLabels.pair(top: majority, classes: classes) { Double(total[$0]) }
                tree.second.append(Int32(pair.second)); tree.share.append(pair.share)
            }
            return tree.feature.count - 1
        }

        data.bins.withUnsafeBufferPointer { binsBuffer in
          labels.withUnsafeBufferPointer { labelBuffer in
           softSecond.withUnsafeBufferPointer { secondBuffer in
            softShare.withUnsafeBufferPointer { shareBuffer in
                let bins = binsBuffer.baseAddress!, y = labelBuffer.baseAddress!
                // nil without soft labels (an empty array's buffer may still have an address).
                let y2 = unit > 1 ? secondBuffer.baseAddress : nil, w = unit > 1 ? shareBuffer.baseAddress : nil
                /// Fills `total` with the class counts of idx[start..<end] (soft counts with
                /// soft labels); returns (majority, pure).
                @inline(__always) func counts(_ start: Int, _ end: Int) -> (Int, Bool) {
                    total.update(repeating: 0, count: classes)
                    if let y2, let w {
                        for i in start..<end {
                            let s = Int(idx[i])
                            total[Int(y[s])] += Int32(w[s])
                            total[Int(y2[s])] += Int32(unit) - Int32(w[s])
                        }
                    } else {
                        for i in start..<end { total[Int(y[Int(idx[i])])] += 1 }
                    }
                    var best = 0, nonzero = 0
                    for c in 0..<classes {
                        if total[c] > total[best] { best = c }
                        if total[c] > 0 { nonzero += 1 }
                    }
                    return (best, nonzero <= 1)
                }
                // order[0..<known] holds features known to be constant in the node (found so
                // in an ancestor, as scikit-learn's splitter tracks them): they are never drawn
                // again below it. A subtree only permutes positions past its own prefix, and
                // the stack is depth-first, so a sibling finds its prefix as its parent left it.
                var stack: [(node: Int, start: Int, end: Int, depth: Int, known: Int)] = []
                stack.append((addNode(samples.count, counts(0, samples.count).0), 0, samples.count, 0, 0))
                while let (node, start, end, depth, known) = stack.popLast() {
                    // `count` in samples; `weight` and `minWeight` in count units (soft counts).
                    let count = end - start, weight = count * unit, minWeight = minLeaf * unit
                    let (_, pure) = counts(start, end)
                    if pure || count < 2 * minLeaf || depth >= maxDepth { continue }
                    var parentScore = 0.0
                    for c in 0..<classes { parentScore += Double(total[c]) * Double(total[c]) }
                    parentScore /= Double(weight)
                    var bestScore = parentScore + 1e-9 * Double(weight)
                    var bestFeature = -1, bestBin = 0
                    var visited = 0, drawn = known, found = 0
                    while drawn < d && visited < mtry {
                        // Fisher-Yates, one feature at a time.
                        let j = drawn + rng.nextInt(below: d - drawn)
                        let f = order[j]
                        order[j] = order[drawn]
                        order[drawn] = f
                        drawn += 1
                        let column = bins + f * n
                        var sumLeft2 = 0.0, sumRight2 = 0.0
                        for c in 0..<classes {
                            leftCounts[c] = 0
                            sumRight2 += Double(total[c]) * Double(total[c])
                        }
                        var nLeft = 0
                        if let raw {
                            // Exact: sort the node's (value, class) pairs, try every cut between distinct values.
                            let values = raw + f * n
                            for i in 0..<count {
                                let s = Int(idx[start + i])
                                keys[i] = sortable(values[s]) << 8 | UInt64(y[s])
                            }
                            var sorted = UnsafeMutableBufferPointer(start: keys, count: count)
                            sorted.sort()
                            if keys[0] >> 8 == keys[count - 1] >> 8 {  // constant in this node and below
                                TreeGrower.setAside(order, drawn - 1, known: known, found: &found)
                                continue
                            }
                            visited += 1
                            for i in 0..<(count - 1) {
                                TreeGrower.moveLeft(Int(keys[i] & 0xFF), 1, leftCounts, total, &sumLeft2, &sumRight2)
                                nLeft += 1
                                let nRight = count - nLeft
                                if keys[i] >> 8 != keys[i + 1] >> 8 && nLeft >= minLeaf && nRight >= minLeaf {
                                    let score = sumLeft2 / Double(nLeft) + sumRight2 / Double(nRight)
                                    if score > bestScore {
                                        bestScore = score; bestFeature = f
                                        let (a, b) = (value(keys[i] >> 8), value(keys[i + 1] >> 8))
                                        let mid = a / 2 + b / 2
                                        bestThreshold = mid < b ? mid : a
                                    }
                                }
                            }
                        } else if count <= 64 && unit == 1 {
                            // Small node: sort (bin, class) pairs instead of clearing a histogram.
                            for i in 0..<count {
                                let s = Int(idx[start + i])
                                pairs[i] = UInt16(column[s]) << 8 | UInt16(y[s])
                            }
                            for i in 1..<count {  // insertion sort: tiny arrays
                                let v = pairs[i]
                                var k = i - 1
                                while k >= 0 && pairs[k] > v { pairs[k + 1] = pairs[k]; k -= 1 }
                                pairs[k + 1] = v
                            }
                            if pairs[0] >> 8 == pairs[count - 1] >> 8 {  // constant in this node and below
                                TreeGrower.setAside(order, drawn - 1, known: known, found: &found)
                                continue
                            }
                            visited += 1
                            var p = 0
                            while p < count {
                                let bin = pairs[p] >> 8
                                while p < count && pairs[p] >> 8 == bin {
                                    TreeGrower.moveLeft(Int(pairs[p] & 0xFF), 1, leftCounts, total, &sumLeft2, &sumRight2)
                                    nLeft += 1
                                    p += 1
                                }
                                let nRight = count - nLeft
                                if p < count && nLeft >= minLeaf && nRight >= minLeaf {
                                    let score = sumLeft2 / Double(nLeft) + sumRight2 / Double(nRight)
                                    if score > bestScore { bestScore = score; bestFeature = f; bestBin = Int(bin) }
                                }
                            }
                        } else {
                            var lowBin = 255, highBin = 0
                            if let y2, let w {
                                for i in start..<end {
                                    let s = Int(idx[i])
                                    let b = Int(column[s])
                                    histogram[b &* classes &+ Int(y[s])] &+= Int32(w[s])
                                    histogram[b &* classes &+ Int(y2[s])] &+= Int32(unit) &- Int32(w[s])
                                    if b < lowBin { lowBin = b }
                                    if b > highBin { highBin = b }
                                }
                            } else {
                                for i in start..<end {
                                    let s = Int(idx[i])
                                    let b = Int(column[s])
                                    histogram[b &* classes &+ Int(y[s])] &+= 1
                                    if b < lowBin { lowBin = b }
                                    if b > highBin { highBin = b }
                                }
                            }
                            if lowBin == highBin {  // constant in this node and below
                                (histogram + lowBin * classes).update(repeating: 0, count: classes)
                                TreeGrower.setAside(order, drawn - 1, known: known, found: &found)
                                continue
                            }
                            visited += 1
                            for b in lowBin..<highBin {
                                let row = histogram + b * classes
                                var any = false
                                for c in 0..<classes {
                                    let h = row[c]
                                    if h > 0 {
                                        TreeGrower.moveLeft(c, h, leftCounts, total, &sumLeft2, &sumRight2)
                                        nLeft += Int(h)
                                        any = true
                                    }
                                }
                                // A bin whose samples all lean fully to one class adds 0 to the
                                // other: `any` looks at what moved, whatever the class.
                                let nRight = weight - nLeft
                                if any && nLeft >= minWeight && nRight >= minWeight {
                                    let score = sumLeft2 / Double(nLeft) + sumRight2 / Double(nRight)
                                    if score > bestScore { bestScore = score; bestFeature = f; bestBin = b }
                                }
                            }
                            (histogram + lowBin * classes).update(repeating: 0, count: (highBin - lowBin + 1) * classes)
                        }
                    }
                    guard bestFeature >= 0 else { continue }
                    importance[bestFeature] += bestScore - parentScore
                    // Stable partition of idx[start..<end], bins <= bestBin to the left: each
                    // node's samples stay in ascending row order, so the column reads of the
                    // histogram pass (most of the time) move forward through memory.
                    let column = bins + bestFeature * n
                    var i = start, r = 0
                    if let raw {
                        let values = raw + bestFeature * n
                        for k in start..<end {
                            let s = idx[k]
                            if values[Int(s)] <= bestThreshold { idx[i] = s; i += 1 } else { spill[r] = s; r += 1 }
                        }
                    } else {
                        for k in start..<end {
                            let s = idx[k]
                            if Int(column[Int(s)]) <= bestBin { idx[i] = s; i += 1 } else { spill[r] = s; r += 1 }
                        }
                    }
                    (idx + i).update(from: spill, count: r)
                    let mid = i
                    let leftNode = addNode(mid - start, counts(start, mid).0)
                    let rightNode = addNode(end - mid, counts(mid, end).0)
                    tree.feature[node] = Int32(bestFeature)
                    tree.thresholdBin[node] = raw == nil ? UInt8(bestBin) : 0
                    tree.threshold[node] = raw == nil ? edges[bestFeature][bestBin] : bestThreshold
                    tree.left[node] = Int32(leftNode)
                    tree.right[node] = Int32(rightNode)
                    stack.append((rightNode, mid, end, depth + 1, known + found))
                    stack.append((leftNode, start, mid, depth + 1, known + found))
                }
            }
           }
          }
        }
        self.importance = importance
        return tree
    }
}
