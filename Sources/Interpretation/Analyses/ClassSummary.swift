import Foundation
import Numerics

/// Per class the CNN predicted (`classes.json`): how well CNN-INTE explains those test
/// instances, where in the layer they go, what CNN-INTE says when it disagrees, and the
/// least credible explanation to look at first. Where the index page's per-class table
/// says how often, this says where and instead of what.
public struct ClassSummary: InterpretationAnalysis, Codable, Equatable {
    /// A count of something: a level-1 cluster or a class.
    public struct Count: Codable, Equatable, Sendable {
        public var index: Int
        public var count: Int
    }

    public struct Entry: Codable, Equatable, Sendable {
        /// The class, as the CNN predicted it.
        public var predicted: Int
        public var testImages: Int
        /// Share of them where CNN-INTE agrees with the CNN (nil: none predicted).
        public var fidelity: Double?
        /// Mean credibility of their explanations (nil: none recorded).
        public var meanCredibility: Double?
        /// The level-1 clusters they are routed to, most first (ties: lower cluster first).
        public var clusters: [Count]
        /// CNN-INTE's class where it disagrees, most first.
        public var instead: [Count]
        /// The test instance whose explanation is least credible (nil: no credibilities).
        public var leastCredible: Int?

        enum CodingKeys: String, CodingKey {
            case predicted, testImages = "test_images", fidelity, meanCredibility = "mean_credibility", clusters, instead
            case leastCredible = "least_credible"
        }
    }

    public var classes: [Entry]

    public static let fileName = Artifacts.classesName
    public static let timingKey = "classes"

    public static func isWanted(by configuration: InterpretationConfiguration) -> Bool { true }

    public static func compute(_ context: AnalysisContext) throws -> ClassSummary {
        summarise(context.records, classes: context.dataset.classCount)
    }

    /// The summary of `records` over `classes` classes.
    public static func summarise(_ records: [InstanceRecord], classes: Int) -> ClassSummary {
        func counted(_ values: [Int]) -> [Count] {
            Dictionary(grouping: values, by: { $0 }).map { Count(index: $0.key, count: $0.value.count) }
                .sorted { $0.count > $1.count || ($0.count == $1.count && $0.index < $1.index) }
        }
        return ClassSummary(classes: (0..<classes).map { c in
            let mine = records.filter { $0.cnnPrediction == c }
            let credible = mine.filter { $0.credibility != nil }
            return Entry(predicted: c, testImages: mine.count,
                         fidelity: InterpretationMetrics.fidelity(of: mine),
                         meanCredibility: credible.isEmpty ? nil : credible.reduce(0) { $0 + $1.credibility! } / Double(credible.count),
                         clusters: counted(mine.map(\.route.level1)), instead: counted(mine.filter { !$0.agrees }.map(\.intePrediction)),
                         leastCredible: credible.min { $0.credibility! < $1.credibility! || ($0.credibility! == $1.credibility! && $0.index < $1.index) }?.index)
        })
    }

    public func encoded() throws -> Data { try JSONEncoder.pretty.encode(self) }

    public static func decode(_ data: Data, path: String, shape: SavedShape) throws -> ClassSummary {
        let summary: ClassSummary
        do { summary = try JSONDecoder().decode(ClassSummary.self, from: data) } catch {
            throw InterpretationError.badArtifact(path: path, problem: "not a classes.json written by cnn-inte")
        }
        func bad(_ problem: String) -> InterpretationError { .mismatch(path: path, problem: problem) }
        guard summary.classes.map(\.predicted) == Array(0..<shape.classes) else { throw bad("does not list the \(shape.classes) classes in order") }
        guard summary.classes.reduce(0, { $0 + $1.testImages }) == shape.testCount else { throw bad("does not count the \(shape.testCount) test instances") }
        for entry in summary.classes {
            guard entry.clusters.allSatisfy({ (0..<shape.k1).contains($0.index) && $0.count > 0 }),
                  entry.instead.allSatisfy({ (0..<shape.classes).contains($0.index) && $0.count > 0 }),
                  entry.leastCredible.map({ (0..<shape.testCount).contains($0) }) ?? true else {
                throw bad("class \(entry.predicted) names a cluster, class or instance the interpretation does not have")
            }
        }
        return summary
    }
}
