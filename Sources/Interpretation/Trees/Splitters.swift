import Foundation

/// What a splitter sees of a node: its samples and their class counts.
struct SplitNode {
    /// The node's samples (rows), in ascending order.
    let samples: UnsafePointer<Int32>
    let count: Int
    /// The node's class counts in the criterion's units, and their sum.
    let total: UnsafePointer<Int32>
    let weight: Int
    let classes: Int
    /// The fewest samples a side may keep (`minSamplesLeaf`), and the same in count units.
    let minLeaf: Int
    let minWeight: Int
}

/// A cut of one feature: left when `bin <= bin` (binned search) or `value <= threshold`
/// (exact search), with its Gini score.
struct Cut: Equatable {
    var score: Double
    var bin = 0
    var threshold: Float = 0
}

/// What a splitter found on one feature of a node.
enum FeatureSearch: Equatable {
    /// The feature has one value in the node (and so in every node below it).
    case constant
    /// The best cut scoring above the bound it was given (cuts scanned from the lowest
    /// value up, the first of equal scores kept), or nil when none does.
    case searched(Cut?)
}

/// Exact CART search, as scikit-learn's: the node's (value, class) pairs sorted, every cut
/// between two distinct values tried, the threshold at their midpoint. Hard labels.
struct ExactSplitter {
    /// The values, column-major: `rows` per feature.
    let values: UnsafePointer<Float>
    let rows: Int
    let labels: UnsafePointer<UInt8>
    /// Scratch: one key per sample of the largest node, and one count per class.
    let keys: UnsafeMutablePointer<UInt64>
    let leftCounts: UnsafeMutablePointer<Int32>

    func search(_ feature: Int, in node: SplitNode, above bound: Double) -> FeatureSearch {
        let column = values + feature * rows, count = node.count
        for i in 0..<count {
            let s = Int(node.samples[i])
            keys[i] = Self.sortable(column[s]) << 8 | UInt64(labels[s])
        }
        var sorted = UnsafeMutableBufferPointer(start: keys, count: count)
        sorted.sort()
        if keys[0] >> 8 == keys[count - 1] >> 8 { return .constant }
        var sums = GiniSums(total: node.total, leftCounts: leftCounts, classes: node.classes)
        var best: Cut? = nil, bestScore = bound
        for i in 0..<(count - 1) {
            sums.moveLeft(Int(keys[i] & 0xFF), 1)
            let (left, right) = (i + 1, count - i - 1)
            guard keys[i] >> 8 != keys[i + 1] >> 8, left >= node.minLeaf, right >= node.minLeaf else { continue }
            let score = sums.score(left: left, right: right)
            if score > bestScore {
                bestScore = score
                let (a, b) = (Self.value(keys[i] >> 8), Self.value(keys[i + 1] >> 8))
                let mid = a / 2 + b / 2
                best = Cut(score: score, threshold: mid < b ? mid : a)
            }
        }
        return .searched(best)
    }

    /// Float bits whose unsigned order is the numeric order (-0 and 0 are one value).
    @inline(__always)
    static func sortable(_ v: Float) -> UInt64 {
        let b = (v + 0).bitPattern
        return UInt64(b & 0x8000_0000 != 0 ? ~b : b | 0x8000_0000)
    }

    @inline(__always)
    static func value(_ k: UInt64) -> Float {
        let b = UInt32(truncatingIfNeeded: k)
        return Float(bitPattern: b & 0x8000_0000 != 0 ? b & 0x7FFF_FFFF : ~b)
    }
}

/// Binned search for small nodes with hard labels: the node's (bin, class) pairs sorted,
/// where clearing a 256-bin histogram would cost more than the node itself.
struct SortedBinSplitter {
    /// Nodes of at most this many samples.
    static let largestNode = 64
    /// The bins, column-major: `rows` per feature.
    let bins: UnsafePointer<UInt8>
    let rows: Int
    let labels: UnsafePointer<UInt8>
    /// Scratch: `largestNode` pairs, one count per class.
    let pairs: UnsafeMutablePointer<UInt16>
    let leftCounts: UnsafeMutablePointer<Int32>

    func search(_ feature: Int, in node: SplitNode, above bound: Double) -> FeatureSearch {
        let column = bins + feature * rows, count = node.count
        for i in 0..<count {
            let s = Int(node.samples[i])
            pairs[i] = UInt16(column[s]) << 8 | UInt16(labels[s])
        }
        for i in 1..<count {  // insertion sort: tiny arrays
            let v = pairs[i]
            var k = i - 1
            while k >= 0 && pairs[k] > v { pairs[k + 1] = pairs[k]; k -= 1 }
            pairs[k + 1] = v
        }
        if pairs[0] >> 8 == pairs[count - 1] >> 8 { return .constant }
        var sums = GiniSums(total: node.total, leftCounts: leftCounts, classes: node.classes)
        var best: Cut? = nil, bestScore = bound
        var p = 0
        while p < count {
            let bin = pairs[p] >> 8
            while p < count && pairs[p] >> 8 == bin {
                sums.moveLeft(Int(pairs[p] & 0xFF), 1)
                p += 1
            }
            guard p < count, p >= node.minLeaf, count - p >= node.minLeaf else { continue }
            let score = sums.score(left: p, right: count - p)
            if score > bestScore { bestScore = score; best = Cut(score: score, bin: Int(bin)) }
        }
        return .searched(best)
    }
}

/// Binned search on a (bin x class) histogram of the node, for large nodes and soft labels:
/// one pass over the node's samples, then one over the bins it uses.
struct HistogramSplitter<Criterion: GiniCriterion> {
    /// The bins, column-major: `rows` per feature.
    let bins: UnsafePointer<UInt8>
    let rows: Int
    let criterion: Criterion
    /// Scratch: 256 x classes counts, zero between searches; one count per class.
    let histogram: UnsafeMutablePointer<Int32>
    let leftCounts: UnsafeMutablePointer<Int32>

    func search(_ feature: Int, in node: SplitNode, above bound: Double) -> FeatureSearch {
        let column = bins + feature * rows, classes = node.classes
        var lowBin = 255, highBin = 0
        for i in 0..<node.count {
            let s = Int(node.samples[i])
            let b = Int(column[s])
            criterion.add(s, to: histogram + b &* classes)
            if b < lowBin { lowBin = b }
            if b > highBin { highBin = b }
        }
        defer { (histogram + lowBin * classes).update(repeating: 0, count: (highBin - lowBin + 1) * classes) }
        if lowBin == highBin { return .constant }
        var sums = GiniSums(total: node.total, leftCounts: leftCounts, classes: classes)
        var best: Cut? = nil, bestScore = bound
        var left = 0
        for b in lowBin..<highBin {
            let row = histogram + b * classes
            var any = false
            for c in 0..<classes where row[c] > 0 {
                sums.moveLeft(c, row[c])
                left += Int(row[c])
                any = true
            }
            // A bin whose samples all lean fully to one class adds 0 to the other: `any`
            // looks at what moved, whatever the class.
            let right = node.weight - left
            guard any, left >= node.minWeight, right >= node.minWeight else { continue }
            let score = sums.score(left: left, right: right)
            if score > bestScore { bestScore = score; best = Cut(score: score, bin: b) }
        }
        return .searched(best)
    }
}
