import Foundation

/// One training image near a test instance in the interpreted layer.
public struct Neighbour: Codable, Equatable, Sendable {
    /// Its position in the training set.
    public var trainIndex: Int
    /// Euclidean distance between the two activation vectors.
    public var distance: Float
    /// What the CNN predicted for it.
    public var cnnPrediction: Int

    public init(trainIndex: Int, distance: Float, cnnPrediction: Int) {
        self.trainIndex = trainIndex
        self.distance = distance
        self.cnnPrediction = cnnPrediction
    }
}

/// `neighbours.csv`: the nearest training images of every test instance in the layer, one
/// row per (instance, rank), nearest first; absent from interpretations made before it
/// existed or with `--neighbours 0`.
///
/// | column | what |
/// | --- | --- |
/// | `index` | the test instance |
/// | `rank` | 1 for the nearest |
/// | `train_index` | the training image's position in the training set |
/// | `distance` | Euclidean distance of their activations |
/// | `cnn_prediction` | the CNN's prediction for the training image (a class index) |
public enum NeighboursTable {
    public static let fileName = Artifacts.neighboursName
    static let header = "index,rank,train_index,distance,cnn_prediction"

    public static func encode(_ neighbours: [[Neighbour]]) -> String {
        var lines = [header]
        for (i, list) in neighbours.enumerated() {
            for (r, n) in list.enumerated() {
                lines.append("\(i),\(r + 1),\(n.trainIndex),\(InstancesTable.number(Double(n.distance))),\(n.cnnPrediction)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the table of `instances` test instances, `trainCount` training images and
    /// `classes` classes, checking every index and that each instance's rows come in
    /// rank order with distances that do not decrease.
    public static func decode(_ text: String, path: String, instances: Int, trainCount: Int, classes: Int) throws -> [[Neighbour]] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first, first == header else {
            throw InterpretationError.badArtifact(path: path, problem: "does not start with the header \(header)")
        }
        lines.removeFirst()
        var out = [[Neighbour]](repeating: [], count: instances)
        for (n, line) in lines.enumerated() {
            func bad(_ what: String) -> InterpretationError { .badArtifact(path: path, problem: "line \(n + 2): \(what)") }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 5, let i = Int(f[0]), let rank = Int(f[1]), let t = Int(f[2]), let d = Float(f[3]), let c = Int(f[4]) else {
                throw bad("not 5 numbers")
            }
            guard (0..<instances).contains(i) else { throw bad("index \(i) is not in 0...\(instances - 1)") }
            guard rank == out[i].count + 1 else { throw bad("rank \(rank) of instance \(i), expected \(out[i].count + 1)") }
            guard (0..<trainCount).contains(t) else { throw bad("train_index \(t) is not in 0...\(trainCount - 1)") }
            guard d.isFinite, d >= 0, d >= (out[i].last?.distance ?? 0) else { throw bad("distance \(f[3]) is not a distance in rank order") }
            guard (0..<classes).contains(c) else { throw bad("cnn_prediction \(c) is not in 0...\(classes - 1)") }
            out[i].append(Neighbour(trainIndex: t, distance: d, cnnPrediction: c))
        }
        return out
    }
}
