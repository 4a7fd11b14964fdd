import Foundation

/// How a sample counts towards the class counts a Gini score is taken on: one per label kind.
/// Counts are integers (a hard label weighs 1, a soft one `SoftLabels.unit` shared between
/// two classes), so every sum of squares below is exact in a Double and a fast split search
/// and the naive reference in the tests score each cut bit for bit alike.
protocol GiniCriterion {
    /// What one sample weighs in the counts.
    var unit: Int { get }
    /// Adds sample `s`'s weight to `counts` (one count per class).
    func add(_ s: Int, to counts: UnsafeMutablePointer<Int32>)
}

/// Hard labels: a sample counts 1 for its class.
struct HardLabelGini: GiniCriterion {
    let labels: UnsafePointer<UInt8>
    var unit: Int { 1 }

    @inline(__always)
    func add(_ s: Int, to counts: UnsafeMutablePointer<Int32>) { counts[Int(labels[s])] &+= 1 }
}

/// Soft labels (`SoftLabels`): a sample counts `share` units for its label and `unit -
/// share` for its runner-up.
struct SoftLabelGini: GiniCriterion {
    let labels: UnsafePointer<UInt8>
    let second: UnsafePointer<UInt8>
    let share: UnsafePointer<UInt8>
    var unit: Int { Int(SoftLabels.unit) }

    @inline(__always)
    func add(_ s: Int, to counts: UnsafeMutablePointer<Int32>) {
        counts[Int(labels[s])] &+= Int32(share[s])
        counts[Int(second[s])] &+= SoftLabels.unit &- Int32(share[s])
    }
}

/// The Gini score of a cut as samples move from its right side to its left: `sum of squared
/// class counts / side weight`, summed over both sides (higher is purer). Moving `h` of
/// class `c` left changes the sums by (l + h)^2 - l^2 = 2lh + h^2 on the left and (r - h)^2
/// - r^2 = -2rh + h^2 on the right.
struct GiniSums {
    private(set) var left2 = 0.0
    private(set) var right2 = 0.0
    let leftCounts: UnsafeMutablePointer<Int32>
    let total: UnsafePointer<Int32>

    /// Everything on the right: `total`'s counts; `leftCounts` (scratch of `classes`) cleared.
    @inline(__always)
    init(total: UnsafePointer<Int32>, leftCounts: UnsafeMutablePointer<Int32>, classes: Int) {
        (self.total, self.leftCounts) = (total, leftCounts)
        for c in 0..<classes {
            leftCounts[c] = 0
            right2 += Double(total[c]) * Double(total[c])
        }
    }

    @inline(__always)
    mutating func moveLeft(_ c: Int, _ h: Int32) {
        let l = Double(leftCounts[c]), r = Double(total[c] - leftCounts[c]), hh = Double(h)
        left2 += 2 * l * hh + hh * hh
        right2 += -2 * r * hh + hh * hh
        leftCounts[c] += h
    }

    /// The score with `left` and `right` weight on each side.
    @inline(__always)
    func score(left: Int, right: Int) -> Double { left2 / Double(left) + right2 / Double(right) }

    /// The score of a node left whole: its squared counts over its weight.
    static func parentScore(_ total: UnsafePointer<Int32>, classes: Int, weight: Int) -> Double {
        var sum = 0.0
        for c in 0..<classes { sum += Double(total[c]) * Double(total[c]) }
        return sum / Double(weight)
    }
}
