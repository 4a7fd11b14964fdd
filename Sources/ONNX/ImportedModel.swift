import Datasets
import Foundation
import Network
import Numerics

/// How the pixels cnn-inte reads (bytes, 0-255, channels as stored) become the input an
/// imported model expects: `byte * scale`, then `(value - mean[c]) / std[c]` per channel
/// (torchvision's `Normalize` convention), channels reversed first for `bgr` models.
public struct InputPreprocessing: Codable, Equatable, Sendable, CustomStringConvertible {
    public var scale: Float
    public var mean: [Float]?
    public var std: [Float]?
    public var bgr: Bool

    public init(scale: Float = 1 / 255, mean: [Float]? = nil, std: [Float]? = nil, bgr: Bool = false) {
        self.scale = scale
        self.mean = mean
        self.std = std
        self.bgr = bgr
    }

    public var description: String {
        var parts = ["byte x \(scale)"]
        if let mean { parts.append("- mean [" + mean.map { "\($0)" }.joined(separator: ", ") + "]") }
        if let std { parts.append("/ std [" + std.map { "\($0)" }.joined(separator: ", ") + "]") }
        if bgr { parts.append("channels as BGR") }
        return parts.joined(separator: " ")
    }

    /// Per channel of the model's input: `scale * byte / std[c] - mean[c] / std[c]`, of
    /// the stored channel reversed for `bgr` models.
    func transform(channels: Int) throws -> InputTransform {
        func perChannel(_ values: [Float]?, _ name: String, _ fallback: Float) throws -> [Float] {
            guard let values else { return [Float](repeating: fallback, count: channels) }
            if values.count == 1 { return [Float](repeating: values[0], count: channels) }
            guard values.count == channels else {
                throw UsageError("--\(name) gives \(values.count) values but the model takes \(channels) channel\(channels == 1 ? "" : "s")")
            }
            return values
        }
        let mean = try perChannel(self.mean, "mean", 0), std = try perChannel(self.std, "std", 1)
        if let zero = std.firstIndex(where: { $0 == 0 }) { throw UsageError("--std: channel \(zero) is 0") }
        return InputTransform(scale: std.map { scale / $0 }, shift: zip(mean, std).map { -$0 / $1 },
                              source: bgr ? Array((0..<channels).reversed()) : Array(0..<channels))
    }
}

/// What a model's output is. `auto` reads it from the graph: probabilities when the
/// graph ends in a Softmax, logits otherwise.
public enum ModelOutput: String, Codable, CaseIterable, Sendable {
    case auto, logits, probabilities
}

/// A user's ONNX model made ready to explain: the network on cnn-inte's engine (the
/// `ImageLabeller` every stage uses), where it came from and how its input is prepared.
public struct ImportedModel {
    public let model: Model
    public let path: String
    /// SHA-256 of the .onnx file (its side files aside).
    public let fingerprint: String
    public let preprocessing: InputPreprocessing
    /// ONNX value -> the engine node that gives it.
    public let nodeOfValue: [String: String]
    /// The framework's module names -> the ONNX value each outputs (PyTorch's default
    /// exporter records them).
    public let moduleOutputs: [String: String]
    /// What the output is, resolved (never `auto`).
    public let output: ModelOutput

    /// The engine node of a layer named by an ONNX value (a Dropout's or Identity's output,
    /// a MatMul's bias Add: the node they pass through) or by a module name (`layer4`).
    public func node(forLayer name: String) -> String {
        nodeOfValue[name] ?? moduleOutputs[name].flatMap { nodeOfValue[$0] } ?? name
    }

    /// How results and the report name the model: the file and its input preparation.
    public var source: String { "\(path) (ONNX; input \(preprocessing); output \(output.rawValue))" }

    public static func load(path: String, preprocessing: InputPreprocessing = .init(), output declared: ModelOutput = .auto) throws -> ImportedModel {
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        let onnx = try ONNXModel.load(path: path)
        let lowered = try ONNXImporter.lower(onnx)
        let model = try ONNXImporter.model(lowered, path: path, preprocessing: try preprocessing.transform(channels: lowered.graph.input.channels))
        let endsInSoftmax = lowered.graph.nodes.last?.op == .softmax
        let output: ModelOutput
        switch declared {
        case .auto: output = endsInSoftmax ? .probabilities : .logits
        case .logits where endsInSoftmax:
            throw UsageError("--model-output logits: \(path) ends in a Softmax ('\(lowered.graph.nodes.last!.name)'), whose output is probabilities")
        case .logits: output = .logits
        case .probabilities:
            output = .probabilities
            // Without a Softmax node the last node's values are taken as probabilities.
            model.outputsProbabilities = !endsInSoftmax
        }
        let bytes = FileManager.default.contents(atPath: path) ?? Data()
        return ImportedModel(model: model, path: path, fingerprint: SHA256.hex(bytes), preprocessing: preprocessing,
                             nodeOfValue: lowered.nodeOfValue, moduleOutputs: lowered.moduleOutputs, output: output)
    }

    /// Refuses data the model cannot take, naming both: images of another size or
    /// channel count, or another number of classes.
    public func check(fits dataset: Dataset) throws { try check(fits: dataset.shape) }

    /// The same check on the data's shape (a sharded run's launcher does not decode it).
    public func check(fits dataset: DataShape) throws {
        let i = model.graph.input, images = dataset
        if (i.height, i.width) != (images.rows, images.columns) {
            throw UsageError("\(path) takes \(i.height)x\(i.width) images but \(dataset.provenance) has \(images.rows)x\(images.columns); bring them to the model's size with --resize \(i.height)x\(i.width)")
        }
        if i.channels != images.channels {
            throw UsageError("\(path) takes \(i.channels == 1 ? "grey" : "\(i.channels)-channel") images but \(dataset.provenance) is \(images.channels == 1 ? "grey" : "RGB"); convert it with --channels \(i.channels)")
        }
        if model.classCount != dataset.classCount {
            throw UsageError("\(path) predicts \(model.classCount) classes but \(dataset.provenance) has \(dataset.classCount)")
        }
    }
}
