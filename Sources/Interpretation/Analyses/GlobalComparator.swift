import Foundation
import Numerics

/// The comparator (`results.json`'s `global_forest`): one random forest on all the training
/// activations, with the meta-level forests' settings, and how often it agrees with the CNN
/// and is right on the test set. What CNN-INTE's clusters add over a single forest.
public struct GlobalComparator: ResultsFigure, Equatable {
    public var figures: InterpretationResults.GlobalForest

    public static let timingKey = "global_forest_seconds"

    public static func isWanted(by configuration: InterpretationConfiguration) -> Bool { configuration.globalForest }

    public static func compute(_ context: AnalysisContext) throws -> GlobalComparator {
        context.progress.line("interpret: global forest comparator on all \(context.trainFeatures.rows) training activations")
        return GlobalComparator(figures: try Interpreter.globalForest(context.inputs, forest: context.configuration.meta.forest))
    }

    public func record(in results: inout InterpretationResults) { results.globalForest = figures }
}
