import Foundation

/// Where each image of a split came from, so a user can find the picture behind
/// `test #160` or `prototype #445`: its file in an image folder (relative to the data
/// folder, `test/cat/0003.png`), or its place in a file of numbered images (IDX, CIFAR's
/// batches: `data_batch_3.bin #2000`). Saved with an interpretation (`images.json`), so
/// `explain` and the report name images without reloading the data.
public enum ImageOrigin: Codable, Equatable, Sendable {
    /// One file per image, relative to the data folder.
    case files([String])
    /// Consecutive images numbered inside files: the first `count` images are in the
    /// first file, the next in the second, ...
    case numbered([NumberedFile])

    public struct NumberedFile: Codable, Equatable, Sendable {
        /// The file's name (no folder).
        public var file: String
        public var count: Int

        public init(file: String, count: Int) {
            self.file = file
            self.count = count
        }
    }

    /// How many images it describes.
    public var count: Int {
        switch self {
        case let .files(files): return files.count
        case let .numbered(parts): return parts.reduce(0) { $0 + $1.count }
        }
    }

    /// The image's file (`test/cat/0003.png`), or its file and index in that file
    /// (`data_batch_3.bin #2000`) where the images are spread over several files; nil
    /// where the split's index already is the index in its one file (IDX), or beyond the
    /// images described.
    public func name(of index: Int) -> String? {
        guard index >= 0 else { return nil }
        switch self {
        case let .files(files):
            return index < files.count ? files[index] : nil
        case let .numbered(parts):
            guard parts.count > 1 else { return nil }
            var first = 0
            for part in parts {
                if index < first + part.count { return "\(part.file) #\(index - first)" }
                first += part.count
            }
            return nil
        }
    }

    /// The file names, for image folders.
    public var files: [String]? {
        if case let .files(files) = self { return files }
        return nil
    }

    // A tagged JSON form: {"files": [...]} or {"numbered": [{"file": ..., "count": ...}]}.
    enum CodingKeys: String, CodingKey { case files, numbered }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let files = try c.decodeIfPresent([String].self, forKey: .files) {
            self = .files(files)
        } else {
            self = .numbered(try c.decode([NumberedFile].self, forKey: .numbered))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case let .files(files): try c.encode(files, forKey: .files)
        case let .numbered(parts): try c.encode(parts, forKey: .numbered)
        }
    }
}
