import Datasets
import Foundation
import Numerics
import OutputFolders

/// The artifacts `explain` and the report read, without refitting anything: the results,
/// the cluster tree with each cluster's learner, and one record per test instance. Every
/// index in them is checked here, once, so readers can index without checks.
public struct SavedInterpretation: Sendable {
    public var results: InterpretationResults
    public var records: [InstanceRecord]
    public var level1: [ClusterNode]
    /// `level2[c]` are the children of level-1 cluster `c`.
    public var level2: [[ClusterNode]]
    /// What decides each level-1 cluster's instances.
    public var learners: [LearnerSummary]
    /// Where each image came from, when the interpretation recorded it.
    public var images: ImageNames? = nil
    /// The registered analyses (`Analyses`) the interpretation saved, by file name.
    public var analyses: [String: any InterpretationAnalysis] = [:]

    /// Analysis `A`, when saved.
    public func analysis<A: InterpretationAnalysis>(_ kind: A.Type) -> A? { analyses[A.fileName] as? A }

    /// The nearest training images of each test instance, when the interpretation found
    /// them (`nearest(to:)` reads them safely).
    public var neighbours: [[Neighbour]] {
        get { analysis(NearestTrainingImages.self)?.rows ?? [] }
        set { analyses[NearestTrainingImages.fileName] = NearestTrainingImages(rows: newValue) }
    }
    /// What each level-1 forest looks at (empty when the interpretation predates it).
    public var units: [ClusterUnits] {
        get { analysis(UnitCards.self)?.clusters ?? [] }
        set { analyses[UnitCards.fileName] = UnitCards(clusters: newValue) }
    }
    /// The layers compared by `interpret --layers`, when it was given.
    public var layers: [LayerFigures]? {
        get { analysis(LayerComparison.self)?.layers }
        set { analyses[LayerComparison.fileName] = newValue.map(LayerComparison.init) }
    }
    /// Every point's place on the layer map, when the interpretation drew one.
    public var map: LayerMapPoints? {
        get { analysis(LayerMapPoints.self) }
        set { analyses[LayerMapPoints.fileName] = newValue }
    }

    /// "#160 (test/cat/0003.png)", or "#160" where the index says it all.
    public func testName(_ index: Int) -> String { Self.named(index, images?.test(index)) }
    public func trainName(_ index: Int) -> String { Self.named(index, images?.train(index)) }
    static func named(_ index: Int, _ name: String?) -> String { name.map { "#\(index) (\($0))" } ?? "#\(index)" }

    /// The nearest training images of test instance `index`; none when not recorded.
    public func nearest(to index: Int) -> [Neighbour] { index < neighbours.count ? neighbours[index] : [] }

    public var classNames: [String] { results.classNames }
    /// Whether the forests were grown on soft labels (their votes are mean leaf distributions).
    public var softLabels: Bool { results.configuration.softLabels == true }
    public var layer: String { results.configuration.layer }
    public var layerWidth: Int { results.configuration.layerWidth }
    public var metrics: InterpretationMetrics { results.metrics }
    /// The data set the interpretation was made on: its name and content fingerprint.
    public var dataName: String { results.configuration.data }
    public var dataFingerprint: String { results.configuration.dataFingerprint }
    public var seed: UInt64 { results.configuration.seed }

    public static func load(folder: String) throws -> SavedInterpretation {
        OutputFolder.settle((folder as NSString).deletingLastPathComponent)
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let results = try InterpretationResults.load(path: path(Artifacts.resultsName))
        let classes = results.classNames.count
        let clustersPath = path(Artifacts.clustersName)
        guard let clustersData = FileManager.default.contents(atPath: clustersPath) else {
            throw InterpretationError.badArtifact(path: clustersPath, problem: "missing; run 'cnn-inte interpret' first")
        }
        let clusters: ClustersFile
        do { clusters = try JSONDecoder().decode(ClustersFile.self, from: clustersData) } catch {
            throw InterpretationError.badArtifact(path: clustersPath, problem: "not a clusters.json written by cnn-inte")
        }
        func mismatch(_ problem: String) -> InterpretationError { .mismatch(path: clustersPath, problem: problem) }
        guard clusters.classNames == results.classNames else { throw mismatch("its class names differ from results.json's") }
        guard clusters.level1.count == results.configuration.k1 else {
            throw mismatch("has \(clusters.level1.count) level-1 clusters; results.json says k1 = \(results.configuration.k1)")
        }
        for node in [clusters.root] + clusters.level1.flatMap({ [$0.node] + $0.children }) {
            guard node.predictionHistogram.count == classes, node.labelHistogram.count == classes,
                  (0..<classes).contains(node.majority), node.size >= 0, node.prototypes.allSatisfy({ $0 >= 0 }) else {
                throw mismatch("cluster \(node.id) does not fit \(classes) classes")
            }
        }
        guard clusters.level1.allSatisfy({ !$0.children.isEmpty }) else { throw mismatch("a level-1 cluster has no children") }
        let recorded = clusters.level1.map(\.learner)
        let learners = try (recorded.contains(nil) ? learnersOfFileBefore020(clusters: recorded.count, path: path(InterpretationStore.fileName))
                                                   : recorded.map { $0! })
        for (c, learner) in learners.enumerated() {
            switch learner {
            case let .constant(k) where !(0..<classes).contains(k): throw mismatch("cluster \(c)'s constant learner names class \(k)")
            case let .forest(trees) where trees < 1: throw mismatch("cluster \(c)'s forest has \(trees) trees")
            default: continue
            }
        }
        let instancesPath = path(Artifacts.instancesName)
        guard let instances = FileManager.default.contents(atPath: instancesPath) else {
            throw InterpretationError.badArtifact(path: instancesPath, problem: "missing; run 'cnn-inte interpret' first")
        }
        let records = try InstancesTable.decode(String(decoding: instances, as: UTF8.self), path: instancesPath,
                                                k1: results.configuration.k1, classes: classes)
        for r in records where r.route.level2 >= clusters.level1[r.route.level1].children.count {
            throw InterpretationError.mismatch(path: instancesPath, problem: "instance \(r.index) routes to level-2 cluster \(r.route.level1).\(r.route.level2), which clusters.json does not have")
        }
        guard records.count == results.metrics.nTest else {
            throw InterpretationError.mismatch(path: instancesPath, problem: "has \(records.count) instances; results.json says \(results.metrics.nTest)")
        }
        // The artifacts later versions added, each read and checked when present.
        func optional<T>(_ name: String, _ decode: (Data, String) throws -> T) throws -> T? {
            try FileManager.default.contents(atPath: path(name)).map { try decode($0, path(name)) }
        }
        let (trainCount, k1) = (clusters.root.size, clusters.level1.count)
        let shape = SavedShape(trainCount: trainCount, testCount: records.count, k1: k1, classes: classes)
        return SavedInterpretation(
            results: results, records: records, level1: clusters.level1.map(\.node), level2: clusters.level1.map(\.children), learners: learners,
            images: try optional(ImageNames.fileName) { try ImageNames.decode($0, path: $1, trainCount: trainCount, testCount: records.count) },
            analyses: try Analyses.load(folder: folder, shape: shape))
    }

    /// Files written by cnn-inte 0.1.0 did not record the learners in clusters.json; the
    /// interpretation file's tensor names tell: `forest.C.constant` for a constant learner
    /// (its class is in the data, read only then), else `forest.C.tree_offsets` with one
    /// entry more than the trees.
    static func learnersOfFileBefore020(clusters: Int, path: String) throws -> [LearnerSummary] {
        let shapes = try SafeTensors.shapes(atPath: path)
        var constants: [String: SafeTensors.Entry] = [:]
        if shapes.keys.contains(where: { $0.hasSuffix(".constant") }) {
            constants = try SafeTensors.decode([UInt8](FileManager.default.contents(atPath: path) ?? Data()), path: path).tensors
        }
        return try (0..<clusters).map { c in
            if shapes["forest.\(c).constant"] != nil {
                guard let k = constants["forest.\(c).constant"]?.integers.first else {
                    throw InterpretationError.badArtifact(path: path, problem: "forest.\(c).constant is empty")
                }
                return .constant(class: Int(k))
            }
            guard let offsets = shapes["forest.\(c).tree_offsets"], offsets.count == 1, offsets[0] >= 2 else {
                throw InterpretationError.badArtifact(path: path, problem: "has no learner for level-1 cluster \(c)")
            }
            return .forest(trees: offsets[0] - 1)
        }
    }

    public func text(for index: Int) -> String {
        let r = records[index]
        return TextPath.render(r, level1: level1, level2: level2, classNames: classNames, layer: layer,
                               layerWidth: layerWidth, learner: learners[r.route.level1], neighbours: nearest(to: index),
                               softVotes: softLabels, testName: testName, trainName: trainName)
    }
}

extension SavedInterpretation {
    /// Refuses these artifacts unless they were made with model file `path` (compared by
    /// SHA-256 with the fingerprint results.json records): `explain --model` and
    /// `report --model` state which model the explanation must be of.
    public func checkMadeWith(model path: String, folder: String) throws {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw UsageError("--model: \(path): no such file")
        }
        let results = (folder as NSString).appendingPathComponent(Artifacts.resultsName)
        guard let recorded = self.results.configuration.modelFingerprint else {
            throw InterpretationError.mismatch(path: results, problem: "does not record its model's SHA-256 (written before 0.2), so it cannot be checked against \(path)")
        }
        guard recorded == SHA256.hex(bytes) else {
            throw InterpretationError.mismatch(path: results, problem: "was made with \(self.results.configuration.model), not with \(path) (their SHA-256 differ)")
        }
    }
}
