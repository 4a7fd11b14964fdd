import Foundation

/// The artifacts `explain` (and the report) read, without refitting anything.
public struct SavedInterpretation: Sendable {
    public var records: [InstanceRecord]
    public var level1: [ClusterNode]
    public var level2: [[ClusterNode]]
    public var classNames: [String]
    public var layer: String
    public var layerWidth: Int
    public var trees: Int
    /// Every figure of results.json (accuracies, fidelity, confusion matrices).
    public var metrics: InterpretationMetrics
    /// The data set the interpretation was made on: its name and content fingerprint.
    public var dataName: String
    public var dataFingerprint: String
    public var seed: UInt64

    public static func load(folder: String) throws -> SavedInterpretation {
        func read(_ name: String) throws -> Data {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw InterpretationError.badArtifact(path: path, problem: "missing; run 'cnn-inte interpret' first")
            }
            return data
        }
        let resultsPath = (folder as NSString).appendingPathComponent(Artifacts.resultsName)
        let resultsData = try read(Artifacts.resultsName)
        guard let results = try? JSONSerialization.jsonObject(with: resultsData) as? [String: Any],
              let configuration = results["configuration"] as? [String: Any], let classNames = results["class_names"] as? [String],
              let layer = configuration["layer"] as? String, let width = configuration["layer_width"] as? Int,
              let trees = configuration["trees"] as? Int,
              let metrics = try? JSONDecoder().decode(InterpretationMetrics.self, from: resultsData),
              metrics.confusion_cnn_vs_truth.count == classNames.count else {
            throw InterpretationError.badArtifact(path: resultsPath, problem: "not a results.json written by cnn-inte")
        }
        struct Level1: Codable { var node: ClusterNode; var children: [ClusterNode] }
        struct Clusters: Codable { var class_names: [String]; var level1: [Level1] }
        let clustersPath = (folder as NSString).appendingPathComponent(Artifacts.clustersName)
        let clusters: Clusters
        do { clusters = try JSONDecoder().decode(Clusters.self, from: read(Artifacts.clustersName)) } catch let error as InterpretationError {
            throw error
        } catch {
            throw InterpretationError.badArtifact(path: clustersPath, problem: "not a clusters.json written by cnn-inte")
        }
        let instancesPath = (folder as NSString).appendingPathComponent(Artifacts.instancesName)
        let records = try Artifacts.parseInstances(String(decoding: try read(Artifacts.instancesName), as: UTF8.self), path: instancesPath)
        for r in records {
            guard r.route.level1 < clusters.level1.count, r.route.level2 < clusters.level1[r.route.level1].children.count,
                  r.votes.count == classNames.count else {
                throw InterpretationError.mismatch(path: instancesPath, problem: "instance \(r.index) routes to a cluster clusters.json does not have")
            }
        }
        return SavedInterpretation(records: records, level1: clusters.level1.map(\.node), level2: clusters.level1.map(\.children),
                                   classNames: classNames, layer: layer, layerWidth: width, trees: trees, metrics: metrics,
                                   dataName: configuration["data"] as? String ?? "", dataFingerprint: configuration["data_fingerprint"] as? String ?? "",
                                   seed: (configuration["seed"] as? NSNumber)?.uint64Value ?? 0)
    }

    public func text(for index: Int) -> String {
        let r = records[index]
        return TextPath.render(r, level1: level1, level2: level2, classNames: classNames, layer: layer,
                               layerWidth: layerWidth, trees: treesOfCluster(r.route.level1))
    }

    /// Trees in the forest of level-1 cluster `c`; 0 when the cluster's members all got
    /// one prediction and a constant learner stands in for the forest.
    public func treesOfCluster(_ c: Int) -> Int {
        level1[c].predictionHistogram.filter { $0 > 0 }.count > 1 ? trees : 0
    }
}
