import Foundation
import Numerics

/// The layer map (`map.csv`) as an analysis: every training and test activation laid out
/// in two dimensions (`LayerMap`), with its level-1 cluster.
extension LayerMapPoints: InterpretationAnalysis {
    public static let timingKey = "map"

    public static func isWanted(by configuration: InterpretationConfiguration) -> Bool { configuration.map }

    public static func compute(_ context: AnalysisContext) throws -> LayerMapPoints {
        var c = LayerMap.Configuration()
        c.seed = SplitMix64(seed: context.configuration.seed).derived(0x3A9).state
        let (train, test) = (context.trainFeatures, context.testFeatures)
        let points = train.rows + test.rows
        let meter = ProgressMeter(context.progress, stage: "interpret: the map of the layer (\(points) points: neighbours, then layout)",
                                  total: 2 * points, unit: "steps")
        let xy = LayerMap.embed(train.appendingRows(of: test), configuration: c, progress: meter)
        meter.finish()
        return LayerMapPoints(train: Array(xy[..<(2 * train.rows)]), test: Array(xy[(2 * train.rows)...]),
                              trainLevel1: context.fitted.tree.trainLevel1, testLevel1: context.records.map(\.route.level1))
    }

    public func encoded() throws -> Data { Data(encode().utf8) }

    public static func decode(_ data: Data, path: String, shape: SavedShape) throws -> LayerMapPoints {
        try decode(String(decoding: data, as: UTF8.self), path: path, trainCount: shape.trainCount, testCount: shape.testCount, k1: shape.k1)
    }
}
