import Foundation
import Network

/// A CART classification tree (Gini impurity) grown on binned features. Nodes live in
/// flat arrays; node 0 is the root; a leaf has `feature == -1`.
public struct DecisionTree: Codable, Equatable, Sendable {
    public var feature: [Int32]
    /// Go left when `x[feature] <= threshold`.
    public var threshold: [Float]
    /// The same split on bins: left when `bin <= thresholdBin`.
    public var thresholdBin: [UInt8]
    public var left: [Int32]
    public var right: [Int32]
    /// Majority class of the training samples that reached the node.
    public var majority: [Int32]
    /// How many (bootstrap) training samples reached the node.
    public var samples: [Int32]

    public var nodeCount: Int { feature.count }
    public var leafCount: Int { feature.lazy.filter { $0 < 0 }.count }

    /// The class of the leaf `row` of `values` (a row-major feature vector) reaches.
    @inline(__always)
    public func predict(_ row: UnsafePointer<Float>) -> Int {
        var node = 0
        while feature[node] >= 0 {
            node = Int(row[Int(feature[node])] <= threshold[node] ? left[node] : right[node])
        }
        return Int(majority[node])
    }

    /// The nodes from the root to the leaf `row` reaches.
    public func path(_ row: UnsafePointer<Float>) -> [Int] {
        var node = 0
        var path = [0]
        while feature[node] >= 0 {
            node = Int(row[Int(feature[node])] <= threshold[node] ? left[node] : right[node])
            path.append(node)
        }
        return path
    }

    public var depth: Int {
        var deepest = 0
        var stack: [(Int, Int)] = [(0, 0)]
        while let (node, d) = stack.popLast() {
            deepest = max(deepest, d)
            if feature[node] >= 0 {
                stack.append((Int(left[node]), d + 1))
                stack.append((Int(right[node]), d + 1))
            }
        }
        return deepest
    }
}

/// How trees grow.
public struct TreeConfiguration: Codable, Equatable, Sendable {
    /// Candidate features per split; nil = sqrt(features).
    public var maxFeatures: Int?
    public var minSamplesLeaf = 1
    /// nil = grow until pure.
    public var maxDepth: Int?

    public init(maxFeatures: Int? = nil, minSamplesLeaf: Int = 1, maxDepth: Int? = nil) {
        self.maxFeatures = maxFeatures
        self.minSamplesLeaf = minSamplesLeaf
        self.maxDepth = maxDepth
    }
}

/// Grows one tree. Split search per candidate feature uses a (bin x class) histogram for
/// large nodes and a sort of the node's bins for small ones, where clearing a 256-bin
/// histogram would cost more than the node itself.
struct TreeGrower {
    let data: BinnedMatrix
    let edges: [[Float]]
    let labels: [UInt8]
    let classes: Int
    let configuration: TreeConfiguration
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
        var tree = DecisionTree(feature: [], threshold: [], thresholdBin: [], left: [], right: [], majority: [], samples: [])
        var index = samples
        let d = data.columns
        let mtry = max(1, min(d, configuration.maxFeatures ?? Int(Double(d).squareRoot())))
        let minLeaf = max(1, configuration.minSamplesLeaf)
        var featureOrder = Array(0..<d)
        var histogram = [Int32](repeating: 0, count: 256 * classes)
        var total = [Int32](repeating: 0, count: classes)
        var leftCounts = [Int32](repeating: 0, count: classes)
        var pairs: [(UInt8, UInt8)] = []
        pairs.reserveCapacity(128)

        func addNode(_ count: Int, _ majority: Int) -> Int {
            tree.feature.append(-1); tree.threshold.append(0); tree.thresholdBin.append(0)
            tree.left.append(-1); tree.right.append(-1)
            tree.majority.append(Int32(majority)); tree.samples.append(Int32(count))
            return tree.feature.count - 1
        }

        // (node, start, end, depth)
        var stack: [(Int, Int, Int, Int)] = []
        index.withUnsafeMutableBufferPointer { idx in
            data.bins.withUnsafeBufferPointer { binsBuffer in
                labels.withUnsafeBufferPointer { labelBuffer in
                    let bins = binsBuffer.baseAddress!, y = labelBuffer.baseAddress!, n = data.rows
                    func counts(_ start: Int, _ end: Int) -> (majority: Int, pure: Bool) {
                        for c in 0..<classes { total[c] = 0 }
                        for i in start..<end { total[Int(y[Int(idx[i])])] += 1 }
                        var best = 0
                        var nonzero = 0
                        for c in 0..<classes {
                            if total[c] > total[best] { best = c }
                            if total[c] > 0 { nonzero += 1 }
                        }
                        return (best, nonzero <= 1)
                    }
                    let rootInfo = counts(0, idx.count)
                    stack.append((addNode(idx.count, rootInfo.majority), 0, idx.count, 0))
                    while let (node, start, end, depth) = stack.popLast() {
                        let count = end - start
                        let info = counts(start, end)
                        if info.pure || count < 2 * minLeaf || (configuration.maxDepth.map { depth >= $0 } ?? false) { continue }
                        var parentScore = 0.0
                        for c in 0..<classes { parentScore += Double(total[c]) * Double(total[c]) }
                        parentScore /= Double(count)
                        var bestScore = parentScore + 1e-9 * Double(count)
                        var bestFeature = -1
                        var bestBin = 0
                        var visited = 0
                        var drawn = 0
                        while drawn < d && visited < mtry {
                            // Fisher-Yates, one feature at a time.
                            let j = drawn + rng.nextInt(below: d - drawn)
                            featureOrder.swapAt(drawn, j)
                            let f = featureOrder[drawn]
                            drawn += 1
                            let column = bins + f * n
                            var lowBin = 255, highBin = 0
                            // Scan candidate thresholds in bin order, tracking sum of squares.
                            var sumLeft2 = 0.0, sumRight2 = 0.0
                            for c in 0..<classes {
                                leftCounts[c] = 0
                                sumRight2 += Double(total[c]) * Double(total[c])
                            }
                            var nLeft = 0
                            @inline(__always) func consider(_ bin: Int) {
                                let nRight = count - nLeft
                                guard nLeft >= minLeaf && nRight >= minLeaf else { return }
                                let score = sumLeft2 / Double(nLeft) + sumRight2 / Double(nRight)
                                if score > bestScore { bestScore = score; bestFeature = f; bestBin = bin }
                            }
                            @inline(__always) func move(_ c: Int, _ h: Int32) {
                                let l = Double(leftCounts[c]), r = Double(total[c] - leftCounts[c]), hh = Double(h)
                                sumLeft2 += 2 * l * hh + hh * hh
                                sumRight2 += -2 * r * hh + hh * hh
                                leftCounts[c] += h
                                nLeft += Int(h)
                            }
                            if count <= 64 {
                                pairs.removeAll(keepingCapacity: true)
                                for i in start..<end {
                                    let s = Int(idx[i])
                                    pairs.append((column[s], y[s]))
                                }
                                pairs.sort { $0.0 < $1.0 }
                                if pairs.first!.0 == pairs.last!.0 { continue }  // constant here
                                visited += 1
                                var p = 0
                                while p < pairs.count {
                                    let bin = pairs[p].0
                                    while p < pairs.count && pairs[p].0 == bin { move(Int(pairs[p].1), 1); p += 1 }
                                    if p < pairs.count { consider(Int(bin)) }
                                }
                            } else {
                                for i in start..<end {
                                    let s = Int(idx[i])
                                    let b = Int(column[s])
                                    histogram[b * classes + Int(y[s])] += 1
                                    if b < lowBin { lowBin = b }
                                    if b > highBin { highBin = b }
                                }
                                if lowBin == highBin {
                                    for c in 0..<classes { histogram[lowBin * classes + c] = 0 }
                                    continue  // constant here
                                }
                                visited += 1
                                for b in lowBin..<highBin {
                                    var any = false
                                    for c in 0..<classes {
                                        let h = histogram[b * classes + c]
                                        if h > 0 { move(c, h); any = true }
                                    }
                                    if any { consider(b) }
                                }
                                for b in lowBin...highBin {
                                    for c in 0..<classes { histogram[b * classes + c] = 0 }
                                }
                            }
                        }
                        guard bestFeature >= 0 else { continue }
                        importance[bestFeature] += bestScore - parentScore
                        // Partition idx[start..<end]: bins <= bestBin to the left.
                        let column = bins + bestFeature * n
                        var i = start, j = end - 1
                        while i <= j {
                            if Int(column[Int(idx[i])]) <= bestBin { i += 1 } else { idx.swapAt(i, j); j -= 1 }
                        }
                        let mid = i
                        let leftInfo = counts(start, mid)
                        let leftNode = addNode(mid - start, leftInfo.majority)
                        let rightInfo = counts(mid, end)
                        let rightNode = addNode(end - mid, rightInfo.majority)
                        tree.feature[node] = Int32(bestFeature)
                        tree.thresholdBin[node] = UInt8(bestBin)
                        tree.threshold[node] = edges[bestFeature][bestBin]
                        tree.left[node] = Int32(leftNode)
                        tree.right[node] = Int32(rightNode)
                        stack.append((rightNode, mid, end, depth + 1))
                        stack.append((leftNode, start, mid, depth + 1))
                    }
                }
            }
        }
        return tree
    }
}
