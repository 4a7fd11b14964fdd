import Foundation
import Numerics

/// An image folder listed and its classes named, before any image is decoded: what a
/// one-process load decodes whole, and what a sharded run's `decode` stage decodes in
/// pieces (`ImageFolderPieces`) and its `data` stage puts back together (`DataIndex`).
public struct ImageFolderListing: Sendable {
    public enum SplitName: String, Codable, Sendable { case train, test }

    public let folder: String
    public let selection: DataSelection
    public let listing: ImageFolder.Listing
    /// The class names: `--classes`, the folder's `classes.txt`, or the class folders'.
    public let classNames: [String]
    /// Where the class names came from when declared (a file), for messages.
    public let namesFile: String?

    public init(folder: String, selection: DataSelection) throws {
        let listing = try ImageFolder.list(folder, testFraction: selection.testFraction, splitSeed: selection.splitSeed ?? 1)
        if listing.train.isEmpty { throw DatasetError.badFolder(path: folder, problem: "has no training images") }
        if listing.test.isEmpty { throw DatasetError.badFolder(path: folder, problem: "has no test images\(listing.splitHere ? " (each class needs at least 2 images to be split)" : "")") }
        var names = listing.classNames
        let folderClasses = (folder as NSString).appendingPathComponent("classes.txt")
        let namesFile = selection.classesFile ?? (FileManager.default.fileExists(atPath: folderClasses) ? folderClasses : nil)
        if let classesFile = namesFile {
            names = try ClassNames.load(classesFile)
            guard names.count == listing.classNames.count else {
                throw DatasetError.mismatch(first: classesFile, second: folder, problem: "\(names.count) class names for \(listing.classNames.count) class folders")
            }
        }
        (self.folder, self.selection, self.listing, self.classNames, self.namesFile) = (folder, selection, listing, names, namesFile)
    }

    /// The entries of a split.
    public func entries(_ split: SplitName) -> [ImageFolder.Entry] { split == .train ? listing.train : listing.test }

    /// The folder a split's files are in, for messages.
    func splitFolder(_ split: SplitName) -> String {
        (folder as NSString).appendingPathComponent(listing.splitHere ? "" : split.rawValue)
    }

    /// "image folder (train/ and test/), resized to 64x64", for `data info`.
    public var format: String {
        var format = listing.splitHere
            ? "image folder, split here: \(Int((selection.testFraction ?? ImageFolder.defaultTestFraction) * 100))% of each class to test (--split-seed \(selection.splitSeed ?? 1))"
            : "image folder (train/ and test/)"
        if let resize = selection.resize { format += ", resized to \(resize)" }
        if let framing = selection.framing { format += ", " + framing.description }
        if let channels = selection.channels { format += ", as \(channels == 1 ? "grey" : "RGB")" }
        return format
    }

    /// `paths` relative to the data folder (`train/cat/0003.png`).
    public func relative(_ paths: [String]) -> [String] { paths.map { Self.relative($0, to: folder) } }

    /// `path` relative to `root` when it lies under it, else as it is.
    public static func relative(_ path: String, to root: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// Train and test images of different sizes where nothing brings them to one.
    func sizeMismatch(_ first: String, _ rows: Int, _ columns: Int, _ second: String, _ otherRows: Int, _ otherColumns: Int) -> Error {
        DatasetError.mismatch(first: first, second: second,
                              problem: "images of \(rows)x\(columns) and \(otherRows)x\(otherColumns); bring them to one size with \(selection.framing == nil ? "--resize HxW" : "--center-crop HxW")")
    }

    /// The data set of the decoded splits, its classes checked.
    public func dataset(train: Split, test: Split, skipped: [SkippedFile]) throws -> Dataset {
        if train.count == 0 || test.count == 0 {
            throw DatasetError.badFolder(path: folder, problem: "no readable \(train.count == 0 ? "training" : "test") image is left")
        }
        try ClassCheck.check(classNames: classNames,
                             train: .init(split: train, file: folder, classFolders: listing.splitHere ? folder : (folder as NSString).appendingPathComponent("train")),
                             test: .init(split: test, file: folder), declared: namesFile != nil)
        return Dataset(name: (folder as NSString).lastPathComponent, source: .folder(folder), train: train, test: test,
                       classNames: classNames, selection: selection, format: format, skipped: skipped, sourceFiles: [])
    }

    /// SHA-256 of what the listing found for `pieces`: the class names, each split's file
    /// count, and the pieces' files' paths, labels, sizes and modification times. A decoded
    /// piece is reused only under the same key, so a file replaced or edited makes its
    /// pieces decode again, and a file added or removed all of them.
    public func key(of pieces: [ImagePiece]) -> String {
        var hasher = SHA256()
        hasher.update(Array(classNames.joined(separator: "\n").utf8))
        hasher.update(Array("\n\(listing.train.count) \(listing.test.count)\n".utf8))
        for piece in pieces {
            let files = entries(piece.split)
            hasher.update(Array("\n#\(piece.split.rawValue) \(piece.start) \(piece.count)\n".utf8))
            for entry in files[min(piece.start, files.count)..<min(piece.start + piece.count, files.count)] {
                var info = stat()
                let described = stat(entry.path, &info) == 0 ? "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : "missing"
                hasher.update(Array("\(entry.path)\t\(entry.label)\t\(described)\n".utf8))
            }
        }
        return hasher.finalizeHex()
    }
}
