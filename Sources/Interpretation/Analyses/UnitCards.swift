import Foundation
import Numerics

/// The units each level-1 forest relies on (`units.json`): `ForestInsight`'s cards, ranked
/// by permutation importance on held-out calibration images.
public struct UnitCards: InterpretationAnalysis, Equatable {
    public var clusters: [ClusterUnits]

    public init(clusters: [ClusterUnits]) { self.clusters = clusters }

    public static let fileName = ForestInsight.fileName
    public static let timingKey = "units"

    public static func isWanted(by configuration: InterpretationConfiguration) -> Bool { true }

    public static func compute(_ context: AnalysisContext) throws -> UnitCards {
        context.progress.line("interpret: the units each forest relies on")
        return UnitCards(clusters: ForestInsight.cards(context.fitted, trainFeatures: context.trainFeatures, trainPredictions: context.trainPredictions,
                                                       classes: context.dataset.classCount, heldOut: context.heldOut,
                                                       seed: SplitMix64(seed: context.configuration.seed).derived(0x0417).state))
    }

    public func encoded() throws -> Data { try ForestInsight.encode(clusters) }

    public static func decode(_ data: Data, path: String, shape: SavedShape) throws -> UnitCards {
        UnitCards(clusters: try ForestInsight.decode(data, path: path, clusters: shape.k1, trainCount: shape.trainCount, classes: shape.classes))
    }
}
