import Foundation
import Numerics

/// A CART classification tree (Gini impurity) grown on binned features. Nodes live in
/// flat arrays; node 0 is the root; a leaf has `feature == -1`.
public struct DecisionTree: Codable, Equatable, Sendable {
    public var feature: [Int32]
    /// Go left when `x[feature] <= threshold`.
    public var threshold: [Float]
    /// The same split on bins: left when `bin <= thresholdBin` (0 in trees grown with
    /// exact splits, which never see bins).
    public var thresholdBin: [UInt8]
    public var left: [Int32]
    public var right: [Int32]
    /// Majority class of the training samples that reached the node.
    public var majority: [Int32]
    /// How many (bootstrap) training samples reached the node.
    public var samples: [Int32]
    /// Trees grown on soft labels (`SoftLabels`) only, else empty: the runner-up class of
    /// the node's soft counts, and the majority's share of the two in `SoftLabels.unit`ths.
    /// A leaf votes its two-class distribution instead of its majority alone.
    public var second: [Int32] = []
    public var share: [UInt8] = []

    public var isSoft: Bool { !second.isEmpty }

    public var nodeCount: Int { feature.count }
    public var leafCount: Int { feature.lazy.filter { $0 < 0 }.count }

    /// The class of the leaf `row` of `values` (a row-major feature vector) reaches.
    @inline(__always)
    public func predict(_ row: UnsafePointer<Float>) -> Int { Int(majority[leaf(row)]) }

    /// The leaf `row` reaches.
    @inline(__always)
    public func leaf(_ row: UnsafePointer<Float>) -> Int {
        var node = 0
        while feature[node] >= 0 {
            node = Int(row[Int(feature[node])] <= threshold[node] ? left[node] : right[node])
        }
        return node
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
