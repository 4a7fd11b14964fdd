import Datasets
import Foundation
import Interpretation
import Network
import Numerics
import ONNX
import Sharding

/// What names a model's layers and says which model it is: an explained model, or one a
/// sharded run is planned for.
protocol NamesLayers {
    var provenance: ModelProvenance { get }
    /// The engine node of a layer the user names (an ONNX value may be folded into one).
    var layer: (String) -> String { get }
}

extension NamesLayers {
    /// `options`' settings with the layers named as the engine names them (an ONNX value or
    /// a module name becomes the node that gives it).
    func configuration(_ options: InterpretationOptions, seed: UInt64) -> InterpretationConfiguration {
        var configuration = options.configuration(seed: seed)
        configuration.layer = layer(configuration.layer)
        configuration.compareLayers = configuration.compareLayers.map(layer)
        return configuration
    }

    /// How a sharded run's jobs load this model again.
    func spec(_ modelOptions: ModelOptions, _ runOptions: RunOptions) -> ModelSpec {
        if let file = modelOptions.model {
            return .imported(file: URL(fileURLWithPath: file).standardizedFileURL.path, preprocessing: modelOptions.preprocessing,
                             output: modelOptions.output ?? .auto)
        }
        return .trained(folder: runOptions.modelFolder, weights: provenance.file ?? runOptions.modelFolder)
    }
}

/// The model a sharded run explains and its data as the launcher sees it (`DataShape`): an
/// image folder is listed, not decoded; the jobs decode it once, in shards.
struct PlannedModel: NamesLayers {
    let model: Model
    let provenance: ModelProvenance
    let layer: (String) -> String
    let data: DataShape

    static func load(_ modelOptions: ModelOptions, _ dataOptions: DataOptions, _ runOptions: RunOptions) throws -> PlannedModel {
        if let imported = try modelOptions.load() {
            let data = try DataShape.of(dataOptions.selection ?? DataSelection())
            try imported.check(fits: data)
            return PlannedModel(model: imported.model,
                                provenance: .init(kind: .imported, file: imported.path, sha256: imported.fingerprint, description: imported.source),
                                layer: imported.node(forLayer:), data: data)
        }
        let trained = try TrainedModel.load(folder: runOptions.modelFolder)
        let selection = dataOptions.selection ?? trained.trainingData
        var data = try DataShape.of(selection)
        if data.listing == nil {
            // Loaded whole: checked here as a one-process run checks it.
            let (dataset, _) = try trained.dataset(dataOptions.selection)
            data = dataset.shape
            data.fingerprint = dataset.fingerprint
        } else if data.selection != trained.trainingData {
            // An image folder: its content is checked by the jobs once it is decoded.
            throw trained.otherDataError(data.provenance)
        }
        return PlannedModel(model: trained.model, provenance: .trained(weights: trained.weightsPath, sha256: trained.fingerprint),
                            layer: { $0 }, data: data)
    }
}
