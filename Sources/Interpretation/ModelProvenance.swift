import Foundation

/// Which network an interpretation explains, as results.json records it and the report
/// reads it: a typed value, so no reader has to parse the display string ("x.onnx (ONNX;
/// input ...)") to find the file.
public struct ModelProvenance: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// Trained by cnn-inte (`model.safetensors`).
        case trained
        /// The user's ONNX file (`--model`).
        case imported
        /// A labeller with no file of its own (tests, the library's callers).
        case labeller
    }

    public var kind: Kind
    /// The file whose bytes `sha256` is of; nil for a labeller with no file.
    public var file: String?
    /// SHA-256 of `file`'s bytes.
    public var sha256: String?
    /// How it is named to people, with how it is read (an imported model's preprocessing
    /// and output).
    public var description: String

    public init(kind: Kind, file: String?, sha256: String?, description: String) {
        self.kind = kind
        self.file = file
        self.sha256 = sha256
        self.description = description
    }

    /// A network cnn-inte trained, by its weights file (named by its path).
    public static func trained(weights: String, sha256: String?) -> ModelProvenance {
        ModelProvenance(kind: .trained, file: weights, sha256: sha256, description: weights)
    }

    /// A labeller with no file, named `description`.
    public init(labeller description: String) {
        self.init(kind: .labeller, file: nil, sha256: nil, description: description)
    }
}
