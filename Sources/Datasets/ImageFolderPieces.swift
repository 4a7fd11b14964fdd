import Foundation
import Numerics

/// A run of consecutive files of one split of an image folder: what one shard of a sharded
/// run's `decode` stage decodes.
public struct ImagePiece: Codable, Equatable, Sendable {
    public var split: ImageFolderListing.SplitName
    public var start: Int
    public var count: Int

    public init(split: ImageFolderListing.SplitName, start: Int, count: Int) {
        (self.split, self.start, self.count) = (split, start, count)
    }

    /// Its files in a shard's folder: the raw pixels, and what else was decoded.
    public var pixelsName: String { "\(split.rawValue)-\(start).pixels" }
    public var infoName: String { "\(split.rawValue)-\(start).json" }
}

/// A decoded piece, as its `.json` file holds it beside the raw pixels.
public struct DecodedPiece: Codable, Equatable, Sendable {
    /// Images kept (files that did not decode are left out with `--skip-bad-images`).
    public var count: Int
    public var rows: Int
    public var columns: Int
    /// `--channels`, else 3 when any of the piece's files is in colour, else 1.
    public var channels: Int
    public var labels: [UInt8]
    /// The kept files, relative to the data folder.
    public var files: [String]
    public var skipped: [SkippedFile]
}

/// Decoding an image folder in pieces, each written to raw files that later jobs map
/// (`DataIndex`).
public enum ImageFolderPieces {
    /// Decodes `piece` of `listed` as a one-process load would decode those files, and
    /// writes `piece.pixelsName` and `piece.infoName` into `folder`.
    public static func decode(_ piece: ImagePiece, of listed: ImageFolderListing, into folder: String) throws {
        let entries = Array(listed.entries(piece.split)[piece.start..<(piece.start + piece.count)])
        let selection = listed.selection
        let decoded = try ImageFolder.decode(entries, size: selection.resize.map { ($0.rows, $0.columns) }, framing: selection.framing,
                                             channels: selection.channels, skipBad: selection.skipBadImages ?? false,
                                             what: listed.splitFolder(piece.split), allowEmpty: true)
        let info = DecodedPiece(count: decoded.labels.count, rows: decoded.rows, columns: decoded.columns, channels: decoded.channels,
                                labels: decoded.labels, files: listed.relative(decoded.files), skipped: decoded.skipped)
        try write(decoded.images.pixels, to: (folder as NSString).appendingPathComponent(piece.pixelsName))
        try write(try JSONEncoder.sorted.encode(info), to: (folder as NSString).appendingPathComponent(piece.infoName))
    }

    /// The piece's `.json` in `folder`.
    public static func info(_ piece: ImagePiece, in folder: String) throws -> DecodedPiece {
        let path = (folder as NSString).appendingPathComponent(piece.infoName)
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.missingFile(path: path) }
        do { return try JSONDecoder().decode(DecodedPiece.self, from: data) } catch {
            throw DatasetError.badFile(path: path, problem: "is not a decoded piece's description (\(error))")
        }
    }

    /// Writes `bytes` to `path` without copying them first (a piece's pixels are gigabytes).
    static func write<C: ContiguousBytes>(_ bytes: C, to path: String) throws {
        do {
            try bytes.withUnsafeBytes { raw in
                let data = raw.isEmpty ? Data()
                    : Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: raw.baseAddress!), count: raw.count, deallocator: .none)
                try data.write(to: URL(fileURLWithPath: path))
            }
        } catch {
            throw DatasetError.badFile(path: path, problem: "cannot be written (\(error.localizedDescription))")
        }
    }
}
