import Foundation
import Numerics

/// An image folder put back together from its decoded pieces (a sharded run's `data`
/// stage), written once as `dataset.json`: later jobs map the pieces' raw pixels from it
/// instead of decoding the folder again, and take its fingerprint instead of hashing them.
public struct DataIndex: Codable, Equatable, Sendable {
    /// One split: its pixel files in order (relative to the folder they were put in), and
    /// the labels and file names of their images.
    public struct SplitIndex: Codable, Equatable, Sendable {
        public var rows: Int
        public var columns: Int
        public var channels: Int
        public var pixelFiles: [String]
        public var labels: [UInt8]
        public var files: [String]
    }

    public var folder: String
    public var selection: DataSelection
    public var classNames: [String]
    public var format: String
    public var fingerprint: String
    public var skipped: [SkippedFile]
    public var train: SplitIndex
    public var test: SplitIndex

    public static let fileName = "dataset.json"

    /// The data set of `pieces` (each decoded into the folder given, under `root`),
    /// checked as a one-process load checks it: one size (or the error it gives), one
    /// channel count (grey pieces of a folder with colour in it converted to RGB, into
    /// `converted`, as a one-process load decodes them), the classes. Hashes every pixel
    /// once for the fingerprint.
    public static func assemble(_ listed: ImageFolderListing, pieces: [(piece: ImagePiece, folder: String)], root: String,
                                converted: String) throws -> DataIndex {
        let infos = try pieces.map { try ImageFolderPieces.info($0.piece, in: $0.folder) }
        let filled = infos.indices.filter { infos[$0].count > 0 }
        let channels = listed.selection.channels ?? (filled.contains { infos[$0].channels == 3 } ? 3 : 1)
        if listed.selection.resize == nil, let first = filled.first,
           let other = filled.first(where: { (infos[$0].rows, infos[$0].columns) != (infos[first].rows, infos[first].columns) }) {
            throw listed.sizeMismatch(listed.folder + "/" + infos[first].files[0], infos[first].rows, infos[first].columns,
                                      listed.folder + "/" + infos[other].files[0], infos[other].rows, infos[other].columns)
        }
        let (rows, columns) = filled.first.map { (infos[$0].rows, infos[$0].columns) } ?? (0, 0)
        func split(_ name: ImageFolderListing.SplitName) throws -> SplitIndex {
            var index = SplitIndex(rows: rows, columns: columns, channels: channels, pixelFiles: [], labels: [], files: [])
            for k in filled where pieces[k].piece.split == name {
                var path = (pieces[k].folder as NSString).appendingPathComponent(pieces[k].piece.pixelsName)
                if infos[k].channels != channels {
                    let grey = ImageSet(mapped: [try MappedPixels(path: path)], rows: rows, columns: columns, channels: infos[k].channels)
                    path = (converted as NSString).appendingPathComponent(pieces[k].piece.pixelsName)
                    try FileManager.default.createDirectory(atPath: converted, withIntermediateDirectories: true)
                    try ImageFolderPieces.write(grey.converted(toChannels: channels).pixels, to: path)
                }
                index.pixelFiles.append(ImageFolderListing.relative(path, to: root))
                index.labels += infos[k].labels
                index.files += infos[k].files
            }
            return index
        }
        var index = DataIndex(folder: listed.folder, selection: listed.selection, classNames: listed.classNames, format: listed.format,
                              fingerprint: "", skipped: infos.flatMap(\.skipped), train: try split(.train), test: try split(.test))
        index.fingerprint = try index.dataset(root: root, listed: listed).fingerprint
        return index
    }

    /// The data set, its images mapped from the pixel files under `root`.
    public func dataset(root: String, listed: ImageFolderListing? = nil) throws -> Dataset {
        func split(_ s: SplitIndex) throws -> Split {
            let files = try s.pixelFiles.map { try MappedPixels(path: (root as NSString).appendingPathComponent($0)) }
            let per = s.rows * s.columns * s.channels
            if let bad = files.first(where: { per == 0 || $0.length % per != 0 }) {
                throw DatasetError.badFile(path: bad.path, problem: "holds \(bad.length) bytes, not whole \(s.rows)x\(s.columns)x\(s.channels) images: damaged; remove \(root) and submit the run again")
            }
            let images = ImageSet(mapped: files, rows: s.rows, columns: s.columns, channels: s.channels)
            guard images.count == s.labels.count else {
                throw DatasetError.mismatch(first: files.first?.path ?? root, second: DataIndex.fileName,
                                            problem: "\(images.count.counted("image")) but \(s.labels.count.counted("label"))")
            }
            return Split(images: images, labels: s.labels, imagesFile: folder, labelsFile: folder, origin: .files(s.files))
        }
        let (train, test) = (try split(self.train), try split(self.test))
        if let listed { return try listed.dataset(train: train, test: test, skipped: skipped) }
        return Dataset(name: (folder as NSString).lastPathComponent, source: .folder(folder), train: train, test: test,
                       classNames: classNames, selection: selection, format: format, skipped: skipped, sourceFiles: [],
                       fingerprint: fingerprint.isEmpty ? nil : fingerprint)
    }

    /// The same index with pixel files under folder `old` named under `new` (both
    /// relative to the root): a folder written under a temporary name and then renamed.
    public func renamingFolder(_ old: String, to new: String) -> DataIndex {
        var copy = self
        func rename(_ path: String) -> String { path.hasPrefix(old + "/") ? new + path.dropFirst(old.count) : path }
        copy.train.pixelFiles = train.pixelFiles.map(rename)
        copy.test.pixelFiles = test.pixelFiles.map(rename)
        return copy
    }


    public func write(to path: String) throws {
        try ImageFolderPieces.write(try JSONEncoder.sorted.encode(self), to: path)
    }

    public static func read(_ path: String) throws -> DataIndex {
        guard let data = FileManager.default.contents(atPath: path) else { throw DatasetError.missingFile(path: path) }
        do { return try JSONDecoder().decode(DataIndex.self, from: data) } catch {
            throw DatasetError.badFile(path: path, problem: "is not a data index of this version (\(error))")
        }
    }
}
