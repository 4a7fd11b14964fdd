import Foundation

/// Everything that can be wrong with input data. Each case names the file it concerns, so
/// the one-line message a user sees says where to look.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// A file's content is unusable; `problem` says why in a few words.
    case badFile(path: String, problem: String)
    /// A dataset folder lacks one of the four standard files.
    case missingFile(path: String)
    /// Two files disagree with each other (images vs labels, train vs test).
    case mismatch(first: String, second: String, problem: String)
    /// A folder given with --data does not exist or is not a folder.
    case badFolder(path: String, problem: String)
    /// The embedded sample could not be found beside the executable.
    case embeddedMissing(searched: [String])

    public var description: String {
        switch self {
        case let .badFile(path, problem): return "\(path): \(problem)"
        case let .missingFile(path): return "\(path): no such file"
        case let .mismatch(first, second, problem): return "\(first) and \(second): \(problem)"
        case let .badFolder(path, problem): return "\(path): \(problem)"
        case let .embeddedMissing(searched):
            return "embedded mnist5k data not found (looked in \(searched.joined(separator: ", "))); "
                + "reinstall, or pass --data DIR"
        }
    }
}
