import Datasets
import Foundation
import Numerics

/// The fitted interpretation on disk, as safetensors (`interpretation.safetensors`):
///
/// | tensor | dtype, shape | what |
/// | --- | --- | --- |
/// | `binner.edges`, `binner.offsets` | F32 [E], I32 [d+1] | bin edges of feature f: `edges[offsets[f]..<offsets[f+1]]` |
/// | `tree.level1.centroids` | F32 [k1, d] | level-1 centroids |
/// | `tree.level2.C.centroids` | F32 [k2c, d] | centroids of the children of level-1 cluster C |
/// | `tree.train_level1`, `tree.train_level2` | I32 [n] | clusters of every training image |
/// | `forest.C.constant` | I32 [1] | the class of a constant learner (cluster C's members all got one prediction) |
/// | `forest.C.tree_offsets` | I32 [trees+1] | nodes of tree t: `tree_offsets[t]..<tree_offsets[t+1]` |
/// | `forest.C.feature`, `.left`, `.right`, `.majority`, `.samples`, `.threshold_bin` | I32 [N] | node arrays, children indexed within their tree, feature -1 at leaves |
/// | `forest.C.threshold` | F32 [N] | go left when `x[feature] <= threshold` |
/// | `forest.C.importances` | F32 [d] | mean Gini decrease per feature |
/// | `forest.C.second`, `.share` | I32 [N] | soft-label forests only: each node's runner-up class and the majority's share of the two, in 64ths |
///
/// The metadata holds the cluster statistics (`clusters`: JSON of the tree's nodes) and
/// the meta-level configuration (`meta`: JSON), plus `format`, `classes` and `features`.
public enum InterpretationStore {
    public static let fileName = Artifacts.storeName
    public static let formatTag = "cnn-inte-interpretation-1"

    struct Nodes: Codable {
        var root: ClusterNode
        var level1: [ClusterNode]
        var level2: [[ClusterNode]]
    }

    public static func encode(_ model: InterpretationModel, classes: Int) throws -> [UInt8] {
        var t = treeTensors(model.tree, binner: model.binner)
        for (c, learner) in model.meta.learners.enumerated() { addLearner(learner, cluster: c, to: &t) }
        return SafeTensors.encode(t, metadata: try treeMetadata(model.tree, meta: model.meta.configuration, classes: classes, format: formatTag))
    }

    /// The binner's and the cluster tree's tensors (the table's first five rows).
    static func treeTensors(_ tree: ClusterTree, binner: Binner) -> [String: SafeTensors.Entry] {
        var t: [String: SafeTensors.Entry] = [:]
        let edges = binner.edges
        var offsets: [Int32] = [0]
        for e in edges { offsets.append(offsets.last! + Int32(e.count)) }
        t["binner.edges"] = .init(shape: [Int(offsets.last!)], values: edges.flatMap { $0 })
        t["binner.offsets"] = .init(shape: [offsets.count], integers: offsets)
        t["tree.level1.centroids"] = .init(shape: [tree.level1Centroids.rows, tree.level1Centroids.columns], values: tree.level1Centroids.values)
        for (c, m) in tree.level2Centroids.enumerated() {
            t["tree.level2.\(c).centroids"] = .init(shape: [m.rows, m.columns], values: m.values)
        }
        t["tree.train_level1"] = .init(shape: [tree.trainLevel1.count], integers: tree.trainLevel1.map(Int32.init))
        t["tree.train_level2"] = .init(shape: [tree.trainLevel2.count], integers: tree.trainLevel2.map(Int32.init))
        return t
    }

    /// The metadata of a file holding a tree: its clusters' statistics and the meta-level
    /// configuration, with `format`, `classes` and `features`.
    static func treeMetadata(_ tree: ClusterTree, meta: MetaConfiguration, classes: Int, format: String) throws -> [String: String] {
        let nodes = String(decoding: try JSONEncoder.sorted.encode(Nodes(root: tree.root, level1: tree.level1, level2: tree.level2)), as: UTF8.self)
        let meta = String(decoding: try JSONEncoder.sorted.encode(meta), as: UTF8.self)
        return ["format": format, "clusters": nodes, "meta": meta, "classes": "\(classes)", "features": "\(tree.level1Centroids.columns)"]
    }

    /// Level-1 cluster `c`'s learner as the `forest.C.*` tensors.
    static func addLearner(_ learner: ClusterLearner, cluster c: Int, to t: inout [String: SafeTensors.Entry]) {
        switch learner {
        case let .constant(k):
            t["forest.\(c).constant"] = .init(shape: [1], integers: [Int32(k)])
        case let .forest(forest):
            var treeOffsets: [Int32] = [0]
            var feature: [Int32] = [], left: [Int32] = [], right: [Int32] = [], majority: [Int32] = []
            var samples: [Int32] = [], bins: [Int32] = [], threshold: [Float] = []
            var second: [Int32] = [], share: [Int32] = []
            for tr in forest.trees {
                feature += tr.feature; left += tr.left; right += tr.right; majority += tr.majority
                samples += tr.samples; bins += tr.thresholdBin.map(Int32.init); threshold += tr.threshold
                second += tr.second; share += tr.share.map(Int32.init)
                treeOffsets.append(Int32(feature.count))
            }
            if forest.trees.first?.isSoft == true {
                t["forest.\(c).second"] = .init(shape: [second.count], integers: second)
                t["forest.\(c).share"] = .init(shape: [share.count], integers: share)
            }
            let n = feature.count
            t["forest.\(c).tree_offsets"] = .init(shape: [treeOffsets.count], integers: treeOffsets)
            t["forest.\(c).feature"] = .init(shape: [n], integers: feature)
            t["forest.\(c).left"] = .init(shape: [n], integers: left)
            t["forest.\(c).right"] = .init(shape: [n], integers: right)
            t["forest.\(c).majority"] = .init(shape: [n], integers: majority)
            t["forest.\(c).samples"] = .init(shape: [n], integers: samples)
            t["forest.\(c).threshold_bin"] = .init(shape: [n], integers: bins)
            t["forest.\(c).threshold"] = .init(shape: [n], values: threshold)
            t["forest.\(c).importances"] = .init(shape: [forest.importances.count], values: forest.importances.map(Float.init))
        }
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> (model: InterpretationModel, classes: Int) {
        let (t, metadata) = try SafeTensors.decode(bytes, path: path)
        let header = try decodeTree(t, metadata: metadata, path: path, format: formatTag)
        let learners = try (0..<header.tree.level1.count).map {
            try decodeLearner($0, reader: header.reader, classes: header.classes, features: header.features)
        }
        return (InterpretationModel(tree: header.tree, binner: header.binner, meta: MetaLearner(learners: learners, configuration: header.meta)),
                header.classes)
    }

    /// What `treeTensors` and `treeMetadata` wrote, every size checked: the tree, the
    /// binner, the meta-level configuration and the class and feature counts.
    public struct StoredTree {
        public let tree: ClusterTree
        public let binner: Binner
        public let meta: MetaConfiguration
        public let classes: Int
        public let features: Int
        /// The file's tensors, for what follows the tree in it (the forests).
        let reader: TensorReader
    }

    static func decodeTree(_ t: [String: SafeTensors.Entry], metadata: [String: String], path: String, format: String) throws -> StoredTree {
        func fail(_ problem: String) -> InterpretationError { .badArtifact(path: path, problem: problem) }
        guard metadata["format"] == format else { throw fail("not a cnn-inte \(format == formatTag ? "interpretation" : "forest pool") file (format \(metadata["format"] ?? "none"))") }
        guard let classes = metadata["classes"].flatMap(Int.init), let d = metadata["features"].flatMap(Int.init),
              let nodesText = metadata["clusters"], let metaText = metadata["meta"] else { throw fail("metadata incomplete") }
        // Bounds before any range is built from them (the fuzzer's finds: negative or huge
        // counts trapped in ranges and conversions).
        guard (2...65_536).contains(classes), (1...(1 << 24)).contains(d) else {
            throw fail("metadata declares \(classes) classes and \(d) features")
        }
        let reader = TensorReader(tensors: t, path: path)
        let (floats, ints) = (reader.floats, reader.ints)
        let nodes: Nodes, meta: MetaConfiguration
        do {
            nodes = try JSONDecoder().decode(Nodes.self, from: Data(nodesText.utf8))
            meta = try JSONDecoder().decode(MetaConfiguration.self, from: Data(metaText.utf8))
        } catch { throw fail("metadata unreadable (\(error))") }
        let offsets = try ints("binner.offsets")
        let edgeValues = try floats("binner.edges").values
        guard offsets.count == d + 1, offsets.first == 0, offsets.last.map(Int.init) == edgeValues.count,
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }) else { throw fail("binner offsets inconsistent") }
        let binner = Binner(edges: (0..<d).map { Array(edgeValues[Int(offsets[$0])..<Int(offsets[$0 + 1])]) })
        func matrix(_ name: String) throws -> Matrix {
            let e = try floats(name)
            guard e.shape.count == 2, e.shape[1] == d, e.shape[0] >= 1, e.values.count == e.shape[0] * d else {
                throw fail("tensor '\(name)' has shape \(e.shape), expected [k, \(d)]")
            }
            return Matrix(rows: e.shape[0], columns: d, values: e.values)
        }
        let k1 = nodes.level1.count
        for node in [nodes.root] + nodes.level1 + nodes.level2.flatMap({ $0 }) {
            guard node.predictionHistogram.count == classes, node.labelHistogram.count == classes, (0..<classes).contains(node.majority),
                  node.size >= 0 else { throw fail("cluster \(node.id) does not fit \(classes) classes") }
        }
        let level1 = try matrix("tree.level1.centroids")
        guard level1.rows == k1, nodes.level2.count == k1 else { throw fail("level-1 centroids do not match the cluster list") }
        let level2 = try (0..<k1).map { c in
            let m = try matrix("tree.level2.\(c).centroids")
            guard m.rows == nodes.level2[c].count else { throw fail("level-2 centroids of cluster \(c) do not match its children") }
            return m
        }
        let trainLevel1 = try ints("tree.train_level1").map(Int.init), trainLevel2 = try ints("tree.train_level2").map(Int.init)
        guard trainLevel1.count == trainLevel2.count,
              zip(trainLevel1, trainLevel2).allSatisfy({ (0..<k1).contains($0) && (0..<level2[$0].rows).contains($1) }) else {
            throw fail("the training images' clusters do not fit the tree")
        }
        let tree = ClusterTree(root: nodes.root, level1: nodes.level1, level2: nodes.level2, level1Centroids: level1,
                               level2Centroids: level2, trainLevel1: trainLevel1, trainLevel2: trainLevel2)
        return StoredTree(tree: tree, binner: binner, meta: meta, classes: classes, features: d, reader: reader)
    }

    /// Level-1 cluster `c`'s learner: a constant class or a forest.
    static func decodeLearner(_ c: Int, reader: TensorReader, classes: Int, features d: Int) throws -> ClusterLearner {
        if let constant = reader.tensors["forest.\(c).constant"] {
            guard constant.dtype == .i32, let k = constant.integers.first, (0..<Int32(classes)).contains(k) else {
                throw reader.fail("forest.\(c).constant is invalid")
            }
            return .constant(Int(k))
        }
        return .forest(try decodeForest(c, reader: reader, classes: classes, features: d))
    }

    /// Level-1 cluster `c`'s forest, every node checked against the file's sizes.
    static func decodeForest(_ c: Int, reader: TensorReader, classes: Int, features d: Int) throws -> RandomForest {
        let (floats, ints, t, fail) = (reader.floats, reader.ints, reader.tensors, reader.fail)
        let treeOffsets = try ints("forest.\(c).tree_offsets")
        let feature = try ints("forest.\(c).feature"), left = try ints("forest.\(c).left"), right = try ints("forest.\(c).right")
        let majority = try ints("forest.\(c).majority"), samples = try ints("forest.\(c).samples")
        let bins = try ints("forest.\(c).threshold_bin"), threshold = try floats("forest.\(c).threshold").values
        let importances = try floats("forest.\(c).importances").values
        let n = feature.count
        // Soft-label forests: both arrays, one entry per node, or neither.
        let soft = t["forest.\(c).second"] == nil && t["forest.\(c).share"] == nil
            ? nil : (second: try ints("forest.\(c).second"), share: try ints("forest.\(c).share"))
        if let soft {
            guard soft.second.count == n, soft.share.count == n,
                  soft.second.allSatisfy({ (0..<Int32(classes)).contains($0) }),
                  soft.share.allSatisfy({ (0...SoftLabels.unit).contains($0) }) else { throw fail("forest \(c): soft-label arrays inconsistent") }
        }
        guard importances.count == d else { throw fail("forest \(c): \(importances.count) importances for \(d) features") }
        guard [left.count, right.count, majority.count, samples.count, bins.count, threshold.count].allSatisfy({ $0 == n }),
              treeOffsets.count >= 2, treeOffsets.first == 0, Int(treeOffsets.last!) == n,
              zip(treeOffsets, treeOffsets.dropFirst()).allSatisfy({ $0 < $1 }) else { throw fail("forest \(c): node arrays inconsistent") }
        var trees: [DecisionTree] = []
        for ti in 0..<(treeOffsets.count - 1) {
            let r = Int(treeOffsets[ti])..<Int(treeOffsets[ti + 1])
            let size = Int32(r.count)
            for i in r {
                let isLeaf = feature[i] < 0
                guard feature[i] < Int32(d), (0..<Int32(classes)).contains(majority[i]),
                      isLeaf || ((0..<size).contains(left[i]) && (0..<size).contains(right[i]) && left[i] > Int32(i - r.lowerBound) && right[i] > Int32(i - r.lowerBound))
                else { throw fail("forest \(c), tree \(ti): node \(i - r.lowerBound) is malformed") }
            }
            trees.append(DecisionTree(feature: Array(feature[r]), threshold: Array(threshold[r]),
                                      thresholdBin: bins[r].map { UInt8(clamping: $0) }, left: Array(left[r]),
                                      right: Array(right[r]), majority: Array(majority[r]), samples: Array(samples[r]),
                                      second: soft.map { Array($0.second[r]) } ?? [],
                                      share: soft.map { $0.share[r].map { UInt8($0) } } ?? []))
        }
        return RandomForest(classes: classes, features: d, trees: trees, importances: importances.map(Double.init))
    }
}

/// Typed reads of an interpretation file's tensors, a failure naming the file.
struct TensorReader {
    let tensors: [String: SafeTensors.Entry]
    let path: String

    func fail(_ problem: String) -> InterpretationError { .badArtifact(path: path, problem: problem) }

    func floats(_ name: String) throws -> SafeTensors.Entry {
        guard let e = tensors[name], e.dtype == .f32 else { throw fail("tensor '\(name)' missing or not F32") }
        return e
    }

    func ints(_ name: String) throws -> [Int32] {
        guard let e = tensors[name], e.dtype == .i32 else { throw fail("tensor '\(name)' missing or not I32") }
        return e.integers
    }
}
