import Foundation

/// What a launcher needs to know of a data set to plan a sharded run and check the model
/// against it, without decoding its images: for an image folder, from its listing and a
/// few headers (the jobs then check the decoded images again).
public struct DataShape: Sendable {
    public var selection: DataSelection
    public var provenance: String
    public var classNames: [String]
    public var trainImages: Int
    public var testImages: Int
    public var rows: Int
    public var columns: Int
    public var channels: Int
    /// Set for an image folder: decoded by the jobs in pieces, not loaded whole by each.
    public var listing: ImageFolderListing?
    /// The data's fingerprint, for data loaded whole (`Dataset.fingerprint`).
    public var fingerprint: String?

    public var classCount: Int { classNames.count }

    /// The shape of `selection`: an image folder listed, anything else loaded (IDX files,
    /// CIFAR batches and the embedded sample load in seconds).
    public static func of(_ selection: DataSelection) throws -> DataShape {
        let folder = try selection.folder ?? EmbeddedData.folder()
        guard selection.folder != nil, Dataset.isImageFolder(folder) else {
            let dataset = try Dataset.load(selection)
            var shape = dataset.shape
            shape.fingerprint = dataset.fingerprint
            return shape
        }
        let recorded = selection.recorded()
        try Dataset.checkOptions(recorded)
        return try ImageFolderListing(folder: folder, selection: recorded).shape()
    }
}

extension Dataset {
    /// The shape of a loaded data set.
    public var shape: DataShape {
        DataShape(selection: selection ?? DataSelection(), provenance: provenance, classNames: classNames, trainImages: train.count,
                  testImages: test.count, rows: rows, columns: columns, channels: channels, listing: nil)
    }
}

extension ImageFolderListing {
    /// The shape its images will have once decoded: the size `--resize` or the framing
    /// gives, else the first training image's; the channels `--channels` gives, else RGB
    /// when the first image of any class is in colour. (The decode stage decides from every
    /// image; where that differs, the jobs refuse the model as a one-process run would.)
    public func shape() throws -> DataShape {
        let firsts = Array(Set(listing.train.map(\.label))).sorted().compactMap { label in listing.train.first { $0.label == label } }
        let headers = try firsts.map { try ImageDecoder.header(try ImageFolder.read($0.path), path: $0.path) }
        var size = selection.resize ?? ImageSize(rows: headers[0].rows, columns: headers[0].columns)
        if selection.resize == nil, let framing = selection.framing {
            guard let framed = framing.size(rows: headers[0].rows, columns: headers[0].columns) else {
                throw DatasetError.badFile(path: firsts[0].path, problem: framing.problem(rows: headers[0].rows, columns: headers[0].columns))
            }
            size = framed
        }
        return DataShape(selection: selection, provenance: "'\((folder as NSString).lastPathComponent)' (\(folder))", classNames: classNames,
                         trainImages: listing.train.count, testImages: listing.test.count, rows: size.rows, columns: size.columns,
                         channels: selection.channels ?? (headers.contains { !$0.isGrey } ? 3 : 1), listing: self)
    }
}
