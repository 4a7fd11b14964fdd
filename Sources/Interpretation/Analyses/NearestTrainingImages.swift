import Foundation
import Numerics

/// Each test instance's nearest training images in the layer (`neighbours.csv`), by
/// Euclidean distance (`NearestNeighbours`), with the CNN's prediction of each.
public struct NearestTrainingImages: InterpretationAnalysis, Equatable {
    /// `rows[i]`: test instance i's neighbours, nearest first.
    public var rows: [[Neighbour]]

    public init(rows: [[Neighbour]]) { self.rows = rows }

    public static let fileName = NeighboursTable.fileName
    public static let timingKey = "neighbours"

    public static func isWanted(by configuration: InterpretationConfiguration) -> Bool { configuration.neighbours > 0 }

    public static func compute(_ context: AnalysisContext) throws -> NearestTrainingImages {
        let (test, train, k) = (context.testFeatures, context.trainFeatures, context.configuration.neighbours)
        let meter = ProgressMeter(context.progress, stage: "interpret: the \(k) nearest training images of each test image",
                                  total: test.rows, unit: "images")
        let found = NearestNeighbours.search(test, in: train, k: k, progress: meter)
        meter.finish()
        return NearestTrainingImages(rows: (0..<test.rows).map { i in
            (0..<found.k).map { r in
                let t = Int(found.indices[i * found.k + r])
                return Neighbour(trainIndex: t, distance: found.distances[i * found.k + r], cnnPrediction: context.trainPredictions[t])
            }
        })
    }

    public func encoded() throws -> Data { Data(NeighboursTable.encode(rows).utf8) }

    public static func decode(_ data: Data, path: String, shape: SavedShape) throws -> NearestTrainingImages {
        NearestTrainingImages(rows: try NeighboursTable.decode(String(decoding: data, as: UTF8.self), path: path, instances: shape.testCount,
                                                               trainCount: shape.trainCount, classes: shape.classes))
    }
}
