import Foundation

/// `instances.csv`: one row per test instance, numbers only, class indices into the
/// results' `class_names`. This is the one definition of its columns: the writer emits
/// them by name and the reader finds them by name, checking every value it reads.
///
/// | column | what |
/// | --- | --- |
/// | `index` | the test image's position in the test file (rows are in this order) |
/// | `true_label`, `cnn_prediction`, `inte_prediction` | class indices |
/// | `cnn_probability` | the CNN's probability for its prediction |
/// | `level1`, `level2`, `runner_up` | the route: level-1 cluster, level-2 cluster inside it, second-nearest level-1 cluster (empty with k1 = 1) |
/// | `distance_level1_C` | distance to level-1 centroid C, for every C |
/// | `distance_level2` | distance to the level-2 centroid |
/// | `vote_C` | share of the forest's trees voting for class C |
/// | `agrees` | 1 when CNN-INTE's prediction is the CNN's |
/// | `credibility` | the estimated probability that CNN-INTE agrees with the CNN (absent in files written before credibilities existed) |
/// | `file` | the test image's file relative to the data folder, for image folders only (quoted as RFC 4180 says when it holds a comma, a quote or a line break) |
public enum InstancesTable {
    public static func header(k1: Int, classes: Int, credibility: Bool = true, file: Bool = false) -> [String] {
        ["index", "true_label", "cnn_prediction", "cnn_probability", "level1", "level2", "runner_up"]
            + (0..<k1).map { "distance_level1_\($0)" } + ["distance_level2"]
            + (0..<classes).map { "vote_\($0)" } + ["inte_prediction", "agrees"] + (credibility ? ["credibility"] : [])
            + (file ? ["file"] : [])
    }

    /// `files`: each test image's file (image folders), written as the last column.
    public static func encode(_ records: [InstanceRecord], k1: Int, classes: Int, files: [String]? = nil) -> String {
        let credibility = records.allSatisfy { $0.credibility != nil } && !records.isEmpty
        precondition(files == nil || files!.count == records.count, "one file per instance")
        var lines = [header(k1: k1, classes: classes, credibility: credibility, file: files != nil).joined(separator: ",")]
        lines.reserveCapacity(records.count + 1)
        for r in records {
            var fields = ["\(r.index)", "\(r.label)", "\(r.cnnPrediction)", number(r.cnnProbability),
                          "\(r.route.level1)", "\(r.route.level2)", r.route.runnerUp.map(String.init) ?? ""]
            fields += r.route.level1Distances.map { number(Double($0)) }
            fields.append(number(Double(r.route.level2Distance)))
            fields += r.votes.map(number)
            fields += ["\(r.intePrediction)", r.agrees ? "1" : "0"]
            if credibility { fields.append(number(r.credibility!)) }
            if let files { fields.append(CSVField.quoted(files[r.index])) }
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses the table of an interpretation with `k1` level-1 clusters over `classes`
    /// classes. Every class and cluster index is checked against those counts (level-2
    /// indices are checked by the caller, which knows each cluster's children), and row
    /// `n` must describe test image `n`.
    public static func decode(_ text: String, path: String, k1: Int, classes: Int) throws -> [InstanceRecord] {
        var lines: [[String]]
        do { lines = try CSVField.records(text) } catch let problem as CSVField.Problem {
            throw InterpretationError.badArtifact(path: path, problem: problem.description)
        }
        guard !lines.isEmpty else { throw InterpretationError.badArtifact(path: path, problem: "empty file") }
        let found = lines.removeFirst()
        var position: [String: Int] = [:]
        for (i, name) in found.enumerated() { position[name] = i }
        // Files written before credibilities existed have no credibility column; only
        // image folders have a file column.
        let expected = header(k1: k1, classes: classes, credibility: position["credibility"] != nil, file: position["file"] != nil)
        if let missing = expected.first(where: { position[$0] == nil }) {
            throw InterpretationError.badArtifact(path: path, problem: "has no column '\(missing)' (\(k1) level-1 clusters and \(classes) classes expected)")
        }
        if found.count != expected.count || Set(found).count != found.count {
            throw InterpretationError.badArtifact(path: path, problem: "has \(found.count) columns, expected the \(expected.count) of \(k1) level-1 clusters and \(classes) classes")
        }
        let distanceColumns = (0..<k1).map { position["distance_level1_\($0)"]! }
        let voteColumns = (0..<classes).map { position["vote_\($0)"]! }
        return try lines.enumerated().map { (n, f) in
            func bad(_ what: String) -> InterpretationError { .badArtifact(path: path, problem: "line \(n + 2): \(what)") }
            guard f.count == found.count else { throw bad("\(f.count) fields, expected \(found.count)") }
            func field(_ name: String) -> String { f[position[name]!] }
            func index(_ name: String, below bound: Int) throws -> Int {
                guard let v = Int(field(name)), (0..<bound).contains(v) else { throw bad("\(name) '\(field(name))' is not in 0...\(bound - 1)") }
                return v
            }
            func real(_ text: String, _ name: String) throws -> Double {
                guard let v = Double(text), v.isFinite else { throw bad("\(name) '\(text)' is not a number") }
                return v
            }
            guard Int(field("index")) == n else { throw bad("index '\(field("index"))', expected \(n) (rows are in test-file order)") }
            let label = try index("true_label", below: classes)
            let cnn = try index("cnn_prediction", below: classes)
            let inte = try index("inte_prediction", below: classes)
            let probability = try real(field("cnn_probability"), "cnn_probability")
            guard (0...1).contains(probability) else { throw bad("cnn_probability \(probability) is not in [0, 1]") }
            let level1 = try index("level1", below: k1)
            guard let level2 = Int(field("level2")), level2 >= 0 else { throw bad("level2 '\(field("level2"))' is not a cluster index") }
            var runnerUp: Int?
            if !field("runner_up").isEmpty {
                let r = try index("runner_up", below: k1)
                guard r != level1 else { throw bad("runner_up is the cluster itself") }
                runnerUp = r
            }
            let distances = try distanceColumns.map { Float(try real(f[$0], found[$0])) }
            let level2Distance = Float(try real(field("distance_level2"), "distance_level2"))
            let votes = try voteColumns.map { try real(f[$0], found[$0]) }
            guard field("agrees") == (inte == cnn ? "1" : "0") else { throw bad("agrees '\(field("agrees"))' contradicts the predictions") }
            var credibility: Double?
            if position["credibility"] != nil {
                let c = try real(field("credibility"), "credibility")
                guard (0...1).contains(c) else { throw bad("credibility \(c) is not in [0, 1]") }
                credibility = c
            }
            return InstanceRecord(index: n, label: label, cnnPrediction: cnn, cnnProbability: probability,
                                  route: Route(level1: level1, level2: level2, runnerUp: runnerUp, level1Distances: distances,
                                               level2Distance: level2Distance),
                                  votes: votes, intePrediction: inte, credibility: credibility)
        }
    }

    /// Shortest round-tripping decimal for a value, so files are stable and exact.
    static func number(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int(value)) }
        return "\(value)"
    }
}
