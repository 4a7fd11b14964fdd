/// What can go wrong in the interpretation stage.
public enum InterpretationError: Error, Equatable, CustomStringConvertible {
    /// An option is out of range for this data (k too large, zero trees, ...).
    case invalidOption(String)
    /// Saved artifacts do not fit the model or data they are used with.
    case mismatch(path: String, problem: String)
    /// A saved artifact is unreadable.
    case badArtifact(path: String, problem: String)

    public var description: String {
        switch self {
        case let .invalidOption(message): return message
        case let .mismatch(path, problem), let .badArtifact(path, problem): return "\(path): \(problem)"
        }
    }
}
