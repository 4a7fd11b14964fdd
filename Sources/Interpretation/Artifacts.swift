import Datasets
import Foundation
import Network

/// The files of `<output>/interpretation/`, written all at once (staged, then renamed):
/// `results.json` (every figure, configuration, seeds and stage timings),
/// `instances.csv` (one row per test instance), `clusters.json` (the cluster tree with
/// statistics and prototypes) and `interpretation.safetensors` (centroids and forests).
public enum Artifacts {
    public static let resultsName = "results.json"
    public static let instancesName = "instances.csv"
    public static let clustersName = "clusters.json"

    /// How the global forest (one forest on all of the layer's training activations) does.
    public struct Comparator: Codable, Equatable, Sendable {
        public var fidelity: Double
        public var accuracy: Double
        public var fit_seconds: Double
    }

    /// `results.json` without timings is a pure function of data, model and seed.
    public static func results(metrics: InterpretationMetrics, comparator: Comparator?, configuration: [String: Any],
                               classNames: [String], timings: [String: Double]) throws -> Data {
        var object = try JSONSerialization.jsonObject(with: JSONEncoder.sorted.encode(metrics)) as! [String: Any]
        object["global_forest"] = comparator.map { ["fidelity": $0.fidelity, "accuracy": $0.accuracy] as [String: Any] } ?? NSNull()
        object["configuration"] = configuration
        object["class_names"] = classNames
        var allTimings = timings
        if let comparator { allTimings["global_forest_seconds"] = comparator.fit_seconds }
        object["timings_seconds"] = allTimings
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// One CSV row per test instance; numbers only, class indices into `class_names`.
    public static func instancesCSV(_ records: [InstanceRecord], k1: Int, classes: Int) -> String {
        var header = ["index", "true_label", "cnn_prediction", "cnn_probability", "level1", "level2", "runner_up"]
        header += (0..<k1).map { "distance_level1_\($0)" }
        header += ["distance_level2"]
        header += (0..<classes).map { "vote_\($0)" }
        header += ["inte_prediction", "agrees"]
        var lines = [header.joined(separator: ",")]
        lines.reserveCapacity(records.count + 1)
        for r in records {
            var fields = ["\(r.index)", "\(r.label)", "\(r.cnnPrediction)", number(r.cnnProbability),
                          "\(r.route.level1)", "\(r.route.level2)", r.route.runnerUp.map(String.init) ?? ""]
            fields += r.route.level1Distances.map { number(Double($0)) }
            fields.append(number(Double(r.route.level2Distance)))
            fields += r.votes.map(number)
            fields += ["\(r.intePrediction)", r.agrees ? "1" : "0"]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses `instances.csv` back into records (for `explain` and `report`).
    public static func parseInstances(_ text: String, path: String) throws -> [InstanceRecord] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard !lines.isEmpty else { throw InterpretationError.badArtifact(path: path, problem: "empty file") }
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let k1 = header.filter { $0.hasPrefix("distance_level1_") }.count
        let classes = header.filter { $0.hasPrefix("vote_") }.count
        guard header.first == "index", k1 > 0, classes > 1, header.count == 10 + k1 + classes else {
            throw InterpretationError.badArtifact(path: path, problem: "not an instances.csv written by cnn-inte (header)")
        }
        return try lines.enumerated().map { (n, line) in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func bad() -> InterpretationError { .badArtifact(path: path, problem: "line \(n + 2) is malformed") }
            guard f.count == header.count, let index = Int(f[0]), let label = Int(f[1]), let cnn = Int(f[2]),
                  let p = Double(f[3]), let l1 = Int(f[4]), let l2 = Int(f[5]) else { throw bad() }
            let distances = try f[7..<(7 + k1)].map { guard let v = Float($0) else { throw bad() }; return v }
            guard let d2 = Float(f[7 + k1]) else { throw bad() }
            let votes = try f[(8 + k1)..<(8 + k1 + classes)].map { guard let v = Double($0) else { throw bad() }; return v }
            guard let inte = Int(f[8 + k1 + classes]) else { throw bad() }
            return InstanceRecord(index: index, label: label, cnnPrediction: cnn, cnnProbability: p,
                                  route: Route(level1: l1, level2: l2, runnerUp: Int(f[6]), level1Distances: distances,
                                               level2Distance: d2),
                                  votes: votes, intePrediction: inte)
        }
    }

    /// `clusters.json`: the tree's nodes with their statistics and prototypes.
    public static func clustersJSON(_ tree: ClusterTree, classNames: [String]) throws -> Data {
        struct Level1: Codable {
            var node: ClusterNode
            var children: [ClusterNode]
        }
        struct File: Codable {
            var class_names: [String]
            var root: ClusterNode
            var level1: [Level1]
        }
        let file = File(class_names: classNames, root: tree.root,
                        level1: zip(tree.level1, tree.level2).map { Level1(node: $0, children: $1) })
        return try JSONEncoder.pretty.encode(file)
    }

    /// Shortest round-tripping decimal for a value, so files are stable and exact.
    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
