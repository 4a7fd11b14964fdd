import Foundation
import SwiftProtobuf

/// An ONNX model file as read: the protobuf message, its operator sets, and every
/// initializer decoded to numbers (weights stored inline or, with onnx's external-data
/// format, in side files next to the model). Nothing here runs the graph.
public struct ONNXModel {
    public let path: String
    public let proto: Onnx_ModelProto
    /// Operator set version per domain ("" is the default ONNX domain).
    public let opsets: [String: Int]
    /// The initializers by name, in file order in `initializerNames`.
    public let initializers: [String: ONNXTensor]
    public let initializerNames: [String]

    public var graph: Onnx_GraphProto { proto.graph }

    /// The default domain's operator set version.
    public var opset: Int { opsets[""] ?? opsets["ai.onnx"] ?? 0 }

    /// Reads `path`. Every failure is one line naming the file: not protobuf, not an ONNX
    /// model, an initializer whose data is missing, short or outside the model's folder.
    public static func load(path: String) throws -> ONNXModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ONNXError(path: path, problem: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        if data.isEmpty { throw ONNXError(path: path, problem: "empty file, not an ONNX model") }
        let proto: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            proto = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw ONNXError(path: path, problem: "not an ONNX model: the protobuf does not decode (\(error))")
        }
        guard proto.hasGraph, proto.irVersion > 0 else {
            throw ONNXError(path: path, problem: "not an ONNX model: no graph or no IR version")
        }
        var opsets: [String: Int] = [:]
        for set in proto.opsetImport { opsets[set.domain] = Int(set.version) }
        var initializers: [String: ONNXTensor] = [:], names: [String] = []
        let folder = (path as NSString).deletingLastPathComponent
        for tensor in proto.graph.initializer {
            guard !tensor.name.isEmpty else { throw ONNXError(path: path, problem: "an initializer has no name") }
            if initializers[tensor.name] != nil { throw ONNXError(path: path, problem: "initializer '\(tensor.name)' is given twice") }
            initializers[tensor.name] = try ONNXTensor(tensor, modelPath: path, folder: folder.isEmpty ? "." : folder)
            names.append(tensor.name)
        }
        return ONNXModel(path: path, proto: proto, opsets: opsets, initializers: initializers, initializerNames: names)
    }

    /// Parameters: the elements of every floating-point initializer.
    public var parameterCount: Int {
        initializers.values.reduce(0) { $0 + ($1.floats?.count ?? 0) }
    }
}

/// A problem with an ONNX file, as one line naming it.
public struct ONNXError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }
    public var description: String { "\(path): \(problem)" }
}
