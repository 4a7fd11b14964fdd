import Foundation
import Numerics

/// The CNN's hesitation as training labels: for each row, its runner-up class and the
/// share of the two top classes that goes to the prediction (the hard label), in 64ths.
/// Only the two largest probabilities are kept (renormalised): on a 10-class CNN the rest
/// is rarely more than a few per cent, and two bytes per row keep the pool small.
public struct SoftLabels: Equatable, Sendable {
    public static let unit: Int32 = 64
    public var second: [UInt8]
    public var share: [UInt8]

    public init(second: [UInt8], share: [UInt8]) {
        precondition(second.count == share.count)
        self.second = second
        self.share = share
    }

    /// From a `rows x classes` matrix of probabilities whose row argmax is the hard label.
    public init(probabilities: Matrix) {
        var second = [UInt8](repeating: 0, count: probabilities.rows), share = [UInt8](repeating: UInt8(Self.unit), count: probabilities.rows)
        let k = probabilities.columns
        for r in 0..<probabilities.rows {
            let p = probabilities.values[(r * k)..<(r * k + k)].map(Double.init)
            var best = 0
            for c in 1..<max(k, 1) where p[c] > p[best] { best = c }
            let pair = Self.pair(top: best, classes: k) { p[$0] }
            second[r] = UInt8(pair.second)
            share[r] = pair.share
        }
        self.init(second: second, share: share)
    }

    /// The runner-up class after `top` (the first of the largest values besides it) and
    /// `top`'s share of the two in `unit`ths, rounded; the whole `unit` when there is no
    /// runner-up or both are 0. With `top` the largest value the share is at least half.
    /// For a row's probabilities and for a tree node's soft counts alike.
    static func pair(top: Int, classes: Int, value: (Int) -> Double) -> (second: Int, share: UInt8) {
        var runner = top == 0 ? min(1, classes - 1) : 0
        for c in 0..<classes where c != top && value(c) > value(runner) { runner = c }
        let total = value(top) + value(runner)
        guard runner != top && total > 0 else { return (runner, UInt8(unit)) }
        return (runner, UInt8(min(Double(unit), (Double(unit) * value(top) / total).rounded())))
    }

    /// `other`'s rows after these.
    public mutating func append(_ other: SoftLabels) {
        second += other.second
        share += other.share
    }
}
