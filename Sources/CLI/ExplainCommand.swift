import ArgumentParser
import Foundation
import Interpretation

/// `cnn-inte explain --index N`: the interpretation path of one test instance, as text.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Print the interpretation path of one test instance.")

    @Option(help: "The test instance's index (0-based, in the test file's order).") var index: Int
    @OptionGroup var runOptions: RunOptions

    func run() throws {
        let folder = runOptions.interpretationFolder
        let saved = try SavedInterpretation.load(folder: folder)
        guard (0..<saved.records.count).contains(index) else {
            throw UsageError("--index \(index) is out of range: the test set has \(saved.records.count) instances (0...\(saved.records.count - 1))")
        }
        print(saved.text(for: index))
    }
}

/// The artifacts `explain` (and the report) read, without refitting anything.
struct SavedInterpretation {
    var records: [InstanceRecord]
    var level1: [ClusterNode]
    var level2: [[ClusterNode]]
    var classNames: [String]
    var layer: String
    var layerWidth: Int
    var trees: Int

    static func load(folder: String) throws -> SavedInterpretation {
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
              let trees = configuration["trees"] as? Int else {
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
                                   classNames: classNames, layer: layer, layerWidth: width, trees: trees)
    }

    func text(for index: Int) -> String {
        let r = records[index]
        let isForest = level1[r.route.level1].predictionHistogram.filter { $0 > 0 }.count > 1
        return TextPath.render(r, level1: level1, level2: level2, classNames: classNames, layer: layer,
                               layerWidth: layerWidth, trees: isForest ? trees : 0)
    }
}
