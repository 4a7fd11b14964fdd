import Datasets
import Foundation
import Numerics

/// An optional analysis of an interpretation, as a plug-in: computed from what the core
/// interpretation made (`AnalysisContext`), written as one file of the interpretation
/// folder, read back and checked by `SavedInterpretation`, timed under its own key.
///
/// Adding one: a type conforming to this in its own file under `Analyses/`, a line in
/// `Analyses.registered`, its test; its report page is the report's (`HTMLReport`).
public protocol InterpretationAnalysis: Sendable {
    /// Its file in the interpretation folder.
    static var fileName: String { get }
    /// The key of its seconds in `results.json`'s `timings_seconds`.
    static var timingKey: String { get }
    /// When it runs (default: before the results are written, its seconds among theirs).
    static var phase: AnalysisPhase { get }
    /// Whether a run with this configuration computes it.
    static func isWanted(by configuration: InterpretationConfiguration) -> Bool
    /// Computes it, reporting progress on `context.progress`.
    static func compute(_ context: AnalysisContext) throws -> Self
    /// The file's bytes.
    func encoded() throws -> Data
    /// Reads the file `encoded` wrote and checks it fits the interpretation (`shape`),
    /// throwing `InterpretationError` naming `path` otherwise.
    static func decode(_ data: Data, path: String, shape: SavedShape) throws -> Self
}

extension InterpretationAnalysis {
    public static var phase: AnalysisPhase { .beforeResults }
}

/// An analysis whose figures go into `results.json` rather than a file of their own (the
/// global-forest comparator): computed from the same context, before the results, and
/// recorded in them.
public protocol ResultsFigure: Sendable {
    /// The key of its seconds in `results.json`'s `timings_seconds`.
    static var timingKey: String { get }
    static func isWanted(by configuration: InterpretationConfiguration) -> Bool
    static func compute(_ context: AnalysisContext) throws -> Self
    /// Puts its figures into the results.
    func record(in results: inout InterpretationResults)
}

/// A stage run on the decided test instances before the analyses (the credibility): it
/// may give each instance something, hand the analyses after it data of its own, and put
/// figures in the results. Computed from the context as decided (`records` without what
/// the stages give them), then applied to it, in `Analyses.decisionStages`' order.
public protocol DecisionStage: Sendable {
    /// The key of its seconds in `results.json`'s `timings_seconds`.
    static var timingKey: String { get }
    static func compute(_ context: AnalysisContext) throws -> Self
    /// Gives the records, and the analyses after it, what it computed.
    func apply(to context: inout AnalysisContext)
    /// Puts its figures into the results.
    func record(in results: inout InterpretationResults)
}

/// When an analysis runs: on the decided interpretation, before its results are written
/// (its seconds among the stage timings); or after, from those results (the comparison
/// of layers, which interprets the other layers the same way).
public enum AnalysisPhase: Sendable { case beforeResults, afterResults }

/// What an analysis is computed from: the interpretation as fitted and decided.
public struct AnalysisContext {
    public let dataset: Dataset
    /// The network explained, and what it is (for analyses that interpret again).
    public let labeller: ImageLabeller
    public let model: ModelProvenance
    /// The folder being written.
    public let folder: String
    public let configuration: InterpretationConfiguration
    /// What the interpreter was given: the layer's activations of the training and test
    /// images, the CNN's predictions and the labels.
    public let inputs: Interpreter.Inputs
    public let fitted: InterpretationModel
    public var trainFeatures: Matrix { inputs.trainFeatures }
    public var testFeatures: Matrix { inputs.testFeatures }
    public var trainPredictions: [Int] { inputs.trainPredictions }
    /// The test instances as decided, with what the decision stages gave them (their
    /// credibility).
    public internal(set) var records: [InstanceRecord]
    /// Per level-1 cluster, calibration images routed to it that no forest trained on,
    /// with the CNN's labels (`CredibilityCalibration`; empty before it).
    public internal(set) var heldOut: [(features: Matrix, labels: [Int])] = []
    /// Where the layer's passes over fixed images come from (`ActivationSource`).
    public let activations: ActivationSource
    public let progress: ProgressSink
    /// The results written, for the analyses run after them (nil before).
    public var results: InterpretationResults? = nil
    /// Analyses computed elsewhere (a cluster's shards), by file name: used as they are.
    public var precomputed: [String: any InterpretationAnalysis] = [:]
}

/// What a saved analysis must fit: the interpretation's sizes.
public struct SavedShape: Sendable {
    public let trainCount: Int
    public let testCount: Int
    public let k1: Int
    public let classes: Int

    public init(trainCount: Int, testCount: Int, k1: Int, classes: Int) {
        (self.trainCount, self.testCount, self.k1, self.classes) = (trainCount, testCount, k1, classes)
    }
}

/// The analyses a run computes, in this order, and the saved interpretation reads.
public enum Analyses {
    public static let registered: [any InterpretationAnalysis.Type] = [UnitCards.self, NearestTrainingImages.self, LayerMapPoints.self,
                                                                      ClassSummary.self, LayerComparison.self]

    /// Computes the analyses of `phase` that `context.configuration` asks for and writes
    /// each into the folder (through `write`); returns their seconds by timing key.
    static func run(_ phase: AnalysisPhase, _ context: AnalysisContext, write: (Data, String) throws -> Void) throws -> [String: Double] {
        var seconds: [String: Double] = [:]
        for analysis in registered where analysis.phase == phase && analysis.isWanted(by: context.configuration) {
            let start = DispatchTime.now().uptimeNanoseconds
            let value = try context.precomputed[analysis.fileName] ?? analysis.compute(context)
            seconds[analysis.timingKey] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            try write(try value.encoded(), analysis.fileName)
        }
        return seconds
    }

    /// The stages run on the decided instances before the analyses, in this order.
    public static let decisionStages: [any DecisionStage.Type] = [CredibilityCalibration.self]

    /// Computes the decision stages, applying each to `context`; returns them and their seconds.
    static func decide(_ context: inout AnalysisContext) throws -> ([any DecisionStage], [String: Double]) {
        var (found, seconds): ([any DecisionStage], [String: Double]) = ([], [:])
        for stage in decisionStages {
            let start = DispatchTime.now().uptimeNanoseconds
            let value = try stage.compute(context)
            seconds[stage.timingKey] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            value.apply(to: &context)
            found.append(value)
        }
        return (found, seconds)
    }

    /// The figures recorded in the results, in this order.
    public static let figures: [any ResultsFigure.Type] = [GlobalComparator.self]

    /// Computes the figures `context.configuration` asks for; returns them and their seconds.
    static func figures(_ context: AnalysisContext) throws -> ([any ResultsFigure], [String: Double]) {
        var (found, seconds): ([any ResultsFigure], [String: Double]) = ([], [:])
        for figure in figures where figure.isWanted(by: context.configuration) {
            let start = DispatchTime.now().uptimeNanoseconds
            found.append(try figure.compute(context))
            seconds[figure.timingKey] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        return (found, seconds)
    }

    /// The analyses saved in `folder`, each read and checked, by file name.
    static func load(folder: String, shape: SavedShape) throws -> [String: any InterpretationAnalysis] {
        var found: [String: any InterpretationAnalysis] = [:]
        for analysis in registered {
            let path = (folder as NSString).appendingPathComponent(analysis.fileName)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            found[analysis.fileName] = try analysis.decode(data, path: path, shape: shape)
        }
        return found
    }
}
