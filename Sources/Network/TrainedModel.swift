import Datasets
import Foundation
import Numerics
import OutputFolders

/// A model as `train` saved it: the network, its description, and what identifies it.
public struct TrainedModel {
    public let model: Model
    public let description: ModelDescription
    /// The folder holding model.safetensors and model.json.
    public let folder: String
    /// SHA-256 of model.safetensors: what an interpretation records of the model it explains.
    public let fingerprint: String

    public var weightsPath: String { (folder as NSString).appendingPathComponent(ModelStore.weightsName) }

    /// Loads both files and checks they belong together.
    public static func load(folder: String) throws -> TrainedModel {
        OutputFolder.settle((folder as NSString).deletingLastPathComponent)
        let (model, bytes) = try ModelStore.loadWithBytes(folder: folder)
        let description = try ModelDescription.load(folder: folder)
        let fingerprint = SHA256.hex(bytes)
        let descriptionPath = (folder as NSString).appendingPathComponent(ModelStore.descriptionName)
        if let recorded = description.weightsSHA256, recorded != fingerprint {
            throw ModelStore.LoadError(path: descriptionPath, problem: "describes other weights than \(ModelStore.weightsName) beside it (their SHA-256 differs); train again")
        }
        if description.graph != model.graph {
            throw ModelStore.LoadError(path: descriptionPath, problem: "describes another network than \(ModelStore.weightsName) beside it; train again")
        }
        return TrainedModel(model: model, description: description, folder: folder, fingerprint: fingerprint)
    }

    /// How to load the data the model was trained on. 0.1.0 did not record it: its
    /// embedded sample was named mnist5k, anything else was a `--data` folder.
    public var trainingData: DataSelection {
        if let selection = description.data.selection { return selection }
        return description.data.name == "mnist5k" ? DataSelection() : DataSelection(folder: description.data.folder)
    }

    /// The data set to use with this model: `selection` when given, else the data it was
    /// trained on. Unless `allowOther`, data other than the training data (by content) is
    /// refused, naming both.
    public func dataset(_ selection: DataSelection?, allowOther: Bool = false) throws -> (dataset: Dataset, isTrainingData: Bool) {
        let dataset: Dataset
        do {
            dataset = try (selection ?? trainingData).load()
        } catch let error as DatasetError where selection == nil {
            throw UsageError("the data the model in \(folder) was trained on cannot be loaded (\(error)); pass --data")
        }
        let same = dataset.fingerprint == description.data.fingerprint
        if !same && !allowOther { throw otherDataError(dataset.provenance) }
        return (dataset, same)
    }

    /// The error for data (described by `provenance`) that is not the model's training data.
    public func otherDataError(_ provenance: String) -> UsageError {
        UsageError("the model in \(folder) was trained on '\(description.data.name)' (\(trainingData.folder ?? "embedded")), not on \(provenance); pass --data \(trainingData.folder ?? "with no folder, for the embedded sample"), or train a model on this data")
    }
}
