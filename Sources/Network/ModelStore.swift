import Foundation
import Numerics

/// Saving and loading a trained model: `model.safetensors` (weights, with the
/// architecture in its metadata so the file stands alone) and `model.json` (architecture,
/// training configuration, seed, data fingerprint, metrics).
public enum ModelStore {
    /// The model's folder in an output folder.
    public static let folderName = "model"
    public static let weightsName = "model.safetensors"
    public static let descriptionName = "model.json"
    public static let formatTag = "cnn-inte-model-1"

    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    /// The weights as safetensors bytes.
    public static func encode(_ model: Model) throws -> [UInt8] {
        var tensors: [String: SafeTensors.Entry] = [:]
        for parameter in model.parameters {
            tensors[parameter.name] = SafeTensors.Entry(shape: parameter.value.shape, values: parameter.value.array)
        }
        let architecture = String(decoding: try JSONEncoder.sorted.encode(model.architecture), as: UTF8.self)
        return SafeTensors.encode(tensors, metadata: ["format": formatTag, "architecture": architecture])
    }

    /// Rebuilds a model from safetensors bytes. With `expected`, the file must hold that
    /// architecture. Every parameter must be present with its exact shape, and nothing else.
    public static func decode(_ bytes: [UInt8], path: String, expected: Architecture? = nil) throws -> Model {
        let (tensors, metadata) = try SafeTensors.decode(bytes, path: path)
        guard metadata["format"] == formatTag, let text = metadata["architecture"] else {
            throw LoadError(path: path, problem: "safetensors file without cnn-inte's architecture metadata (format \(metadata["format"] ?? "none"))")
        }
        let architecture: Architecture
        do {
            architecture = try JSONDecoder().decode(Architecture.self, from: Data(text.utf8))
            try architecture.validate(classes: nil)
        } catch {
            throw LoadError(path: path, problem: "the architecture in its metadata is unreadable (\(error))")
        }
        if let expected, expected != architecture {
            throw LoadError(path: path, problem: "holds architecture \(architecture.compact) on input \(architecture.input), expected \(expected.compact) on \(expected.input)")
        }
        // The weights must all be in the file: check the count before allocating them.
        let stored = tensors.values.reduce(0) { $0 + $1.values.count }
        if let needed = architecture.parameterCount, needed > stored {
            throw LoadError(path: path, problem: "holds \(stored) values but its architecture needs \(needed) parameters")
        }
        let model = try Model(architecture: architecture, seed: 0)
        var unused = Set(tensors.keys)
        for parameter in model.parameters {
            guard let entry = tensors[parameter.name] else {
                throw LoadError(path: path, problem: "tensor '\(parameter.name)' is missing")
            }
            guard entry.dtype == .f32 else {
                throw LoadError(path: path, problem: "tensor '\(parameter.name)' has dtype \(entry.dtype.rawValue), expected F32")
            }
            guard entry.shape == parameter.value.shape else {
                throw LoadError(path: path, problem: "tensor '\(parameter.name)' has shape \(entry.shape), expected \(parameter.value.shape)")
            }
            parameter.value.copy(from: entry.values)
            unused.remove(parameter.name)
        }
        if let extra = unused.sorted().first {
            throw LoadError(path: path, problem: "unexpected tensor '\(extra)' for this architecture")
        }
        return model
    }

    /// Loads `folder/model.safetensors`.
    public static func load(folder: String, expected: Architecture? = nil) throws -> Model {
        try loadWithBytes(folder: folder, expected: expected).model
    }

    /// The model and the file's bytes (to fingerprint them).
    static func loadWithBytes(folder: String, expected: Architecture? = nil) throws -> (model: Model, bytes: [UInt8]) {
        _ = try BLAS.load()  // a clean error now, not a crash in the first product
        let path = (folder as NSString).appendingPathComponent(weightsName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw LoadError(path: path, problem: "no model here; run 'cnn-inte train' first")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, problem: "cannot be read")
        }
        let bytes = [UInt8](data)
        return (try decode(bytes, path: path, expected: expected), bytes)
    }
}
