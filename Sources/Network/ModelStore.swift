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
    public static let formatTag = "cnn-inte-model-2"

    public struct LoadError: Error, CustomStringConvertible, Equatable {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    /// Models saved by cnn-inte 0.1.0: a layer list (`LegacyArchitecture`).
    public static let legacyFormatTag = "cnn-inte-model-1"

    /// The weights (in their file layouts, `ParameterSpec`) as safetensors bytes, the graph
    /// in the metadata.
    public static func encode(_ model: Model) throws -> [UInt8] {
        var tensors: [String: SafeTensors.Entry] = [:]
        for parameter in model.parameters {
            tensors[parameter.name] = SafeTensors.Entry(shape: parameter.spec.fileShape,
                                                        values: try parameter.fileValues(flattenOrder: model.graph.flattenOrder))
        }
        let graph = String(decoding: try JSONEncoder.sorted.encode(model.graph), as: UTF8.self)
        return SafeTensors.encode(tensors, metadata: ["format": formatTag, "graph": graph])
    }

    /// The graph a model file's metadata describes (either format).
    static func graph(metadata: [String: String], path: String) throws -> Graph {
        do {
            switch metadata["format"] {
            case formatTag?:
                guard let text = metadata["graph"] else { throw GraphError("no graph in its metadata") }
                let graph = try JSONDecoder().decode(Graph.self, from: Data(text.utf8))
                try graph.validate(classes: nil)
                return graph
            case legacyFormatTag?:
                guard let text = metadata["architecture"] else { throw GraphError("no architecture in its metadata") }
                return try JSONDecoder().decode(LegacyArchitecture.self, from: Data(text.utf8)).graph()
            default:
                throw LoadError(path: path, problem: "safetensors file without cnn-inte's model metadata (format \(metadata["format"] ?? "none"); this cnn-inte \(Release.version) reads \(formatTag) and \(legacyFormatTag))")
            }
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(path: path, problem: "the network in its metadata is unreadable (\(error))")
        }
    }

    /// Rebuilds a model from safetensors bytes. With `expected`, the file must hold that
    /// graph. Every parameter must be present with its exact shape, and nothing else.
    public static func decode(_ bytes: [UInt8], path: String, expected: Graph? = nil) throws -> Model {
        let (tensors, metadata) = try SafeTensors.decode(bytes, path: path)
        let graph = try graph(metadata: metadata, path: path)
        if let expected, expected != graph {
            throw LoadError(path: path, problem: "holds network \(LayerList.compact(graph)), expected \(LayerList.compact(expected))")
        }
        // The weights must all be in the file: check the count before allocating them.
        let stored = tensors.values.reduce(0) { $0 + $1.values.count }
        let needed = try graph.parameters().reduce(0) { $0 + $1.count }
        if needed > stored {
            throw LoadError(path: path, problem: "holds \(stored) values but its network needs \(needed) parameters")
        }
        let model = try Model(graph: graph, seed: 0)
        var unused = Set(tensors.keys)
        for parameter in model.parameters {
            guard let entry = tensors[parameter.name] else {
                throw LoadError(path: path, problem: "tensor '\(parameter.name)' is missing")
            }
            guard entry.dtype == .f32 else {
                throw LoadError(path: path, problem: "tensor '\(parameter.name)' has dtype \(entry.dtype.rawValue), expected F32")
            }
            guard entry.shape == parameter.spec.fileShape else {
                throw LoadError(path: path, problem: "tensor '\(parameter.name)' has shape \(entry.shape), expected \(parameter.spec.fileShape)")
            }
            try parameter.setFileValues(entry.values, flattenOrder: graph.flattenOrder)
            unused.remove(parameter.name)
        }
        if let extra = unused.sorted().first {
            throw LoadError(path: path, problem: "unexpected tensor '\(extra)' for this network")
        }
        return model
    }

    /// Loads `folder/model.safetensors`.
    public static func load(folder: String, expected: Graph? = nil) throws -> Model {
        try loadWithBytes(folder: folder, expected: expected).model
    }

    /// The model and the file's bytes (to fingerprint them).
    static func loadWithBytes(folder: String, expected: Graph? = nil) throws -> (model: Model, bytes: [UInt8]) {        let path = (folder as NSString).appendingPathComponent(weightsName)
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
