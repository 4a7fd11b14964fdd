import Foundation
import Numerics

/// The comparison of layers (`interpret --layers`, `layers.json`): this layer's figures,
/// then each other layer's, interpreted with the same settings in a scratch folder, only
/// their figures kept (no map, neighbours or comparator forest, which the comparison does
/// not show: the comparator alone took 14 s a layer on Fashion-MNIST).
public struct LayerComparison: InterpretationAnalysis, Equatable {
    public var layers: [LayerFigures]

    public init(layers: [LayerFigures]) { self.layers = layers }

    public static let fileName = Artifacts.layersName
    public static let timingKey = "layers"
    /// From this layer's results, written first.
    public static let phase = AnalysisPhase.afterResults

    public static func isWanted(by configuration: InterpretationConfiguration) -> Bool { !configuration.compareLayers.isEmpty }

    public static func compute(_ context: AnalysisContext) throws -> LayerComparison {
        guard let results = context.results else { preconditionFailure("the comparison of layers runs after the results") }
        var compared = [LayerFigures(results)]
        let configuration = context.configuration
        for other in configuration.compareLayers where other != configuration.layer {
            context.progress.line("interpret: layer \(other), for the comparison of layers")
            var c = configuration
            (c.layer, c.compareLayers, c.neighbours, c.map, c.globalForest) = (other, [], 0, false, false)
            let scratch = (context.folder as NSString).appendingPathComponent(".layer-scratch")
            defer { try? FileManager.default.removeItem(atPath: scratch) }
            compared.append(LayerFigures(try InterpretationRun.run(dataset: context.dataset, labeller: context.labeller, model: context.model,
                                                                   configuration: c, into: scratch, progress: context.progress)))
        }
        return LayerComparison(layers: compared)
    }

    public func encoded() throws -> Data { try JSONEncoder.pretty.encode(layers) }

    public static func decode(_ data: Data, path: String, shape: SavedShape) throws -> LayerComparison {
        LayerComparison(layers: try LayerFigures.decode(data, path: path))
    }
}
