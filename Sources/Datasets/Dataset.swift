import Foundation
import Numerics

/// Images with their labels: one split (train or test) of a data set.
public struct Split: Sendable {
    public let images: ImageSet
    public let labels: [UInt8]
    /// The files the split came from, for messages and `data info`.
    public let imagesFile: String
    public let labelsFile: String
    /// Where each image came from (its file in an image folder, its place in the files
    /// of numbered images otherwise), for naming it to the user.
    public let origin: ImageOrigin

    /// `origin` nil: the images are numbered in `imagesFile`, in order.
    public init(images: ImageSet, labels: [UInt8], imagesFile: String = "images", labelsFile: String = "labels", origin: ImageOrigin? = nil) {
        precondition(images.count == labels.count, "one label per image")
        precondition(origin == nil || origin!.count == labels.count, "an origin for every image")
        self.images = images
        self.labels = labels
        self.imagesFile = imagesFile
        self.labelsFile = labelsFile
        self.origin = origin ?? .numbered([.init(file: (imagesFile as NSString).lastPathComponent, count: labels.count)])
    }

    /// Each image's file relative to the data folder (`train/cat/0003.png`), for image
    /// folders; nil where images are numbered inside files (IDX, CIFAR).
    public var files: [String]? { origin.files }

    public var count: Int { labels.count }

    /// How many images each class has, index = label.
    public func classCounts(classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels where Int(label) < classes { counts[Int(label)] += 1 }
        return counts
    }
}

/// Where a data set came from.
public enum DataSource: Equatable, Sendable {
    /// The 5,000-digit MNIST sample shipped inside the package.
    case embedded(folder: String)
    /// A folder given with `--data`.
    case folder(String)

    public var folder: String {
        switch self {
        case let .embedded(folder), let .folder(folder): return folder
        }
    }
}

/// A train split and a test split of same-sized images, with class names.
public struct Dataset: Sendable {
    public let name: String
    public let source: DataSource
    public let train: Split
    public let test: Split
    public let classNames: [String]

    public var classCount: Int { classNames.count }
    public var rows: Int { train.images.rows }
    public var columns: Int { train.images.columns }

    /// The four standard MNIST file names, without the optional `.gz`.
    public static let trainImagesName = "train-images-idx3-ubyte"
    public static let trainLabelsName = "train-labels-idx1-ubyte"
    public static let testImagesName = "t10k-images-idx3-ubyte"
    public static let testLabelsName = "t10k-labels-idx1-ubyte"
    public static let standardNames = [trainImagesName, trainLabelsName, testImagesName, testLabelsName]

    /// How to load this data set again (nil for one made in memory).
    public let selection: DataSelection?
    /// What kind of files it came from and how they were prepared, for `data info`:
    /// "IDX files", "image folder (train/ and test/)", "CIFAR-10 binary batches, resized to 24x24".
    public let format: String
    /// Files left out with `--skip-bad-images`.
    public let skipped: [SkippedFile]
    /// The files worth a checksum in `data info` (not an image folder's thousands).
    public let sourceFiles: [String]

    public var channels: Int { train.images.channels }
    /// The fingerprint already computed where the data was put together (`DataIndex`), so
    /// a job reading mapped images does not hash them all again; nil: computed.
    let knownFingerprint: String?

    public init(name: String, source: DataSource, train: Split, test: Split, classNames: [String],
                selection: DataSelection? = nil, format: String = "IDX files", skipped: [SkippedFile] = [],
                sourceFiles: [String]? = nil, fingerprint: String? = nil) {
        precondition(train.images.rows == test.images.rows && train.images.columns == test.images.columns
                     && train.images.channels == test.images.channels, "both splits have one image shape")
        self.name = name
        self.source = source
        self.train = train
        self.test = test
        self.classNames = classNames
        self.selection = selection
        self.format = format
        self.skipped = skipped
        self.sourceFiles = sourceFiles ?? [train.imagesFile, train.labelsFile, test.imagesFile, test.labelsFile]
        self.knownFingerprint = fingerprint
    }

    /// The data set's name and where it came from, for messages: `'mnist5k' (embedded)`.
    public var provenance: String {
        switch source {
        case .embedded: return "'\(name)' (embedded)"
        case let .folder(folder): return "'\(name)' (\(folder))"
        }
    }

    /// Loads the data set cnn-inte uses: the folder `data` if given, else the embedded
    /// mnist5k. `classesFile` overrides the class names.
    public static func load(data: String?, classesFile: String? = nil) throws -> Dataset {
        try load(DataSelection(folder: data, classesFile: classesFile))
    }

    /// Loads what `selection` names, recognising the source by what is in the folder:
    /// the four IDX files (raw or `.gz`), CIFAR-10 or CIFAR-100 binary batches, or an image
    /// folder (class sub-folders, with or without a train/test level). Then brings the
    /// images to `selection.channels` and `selection.resize` when asked.
    public static func load(_ selection: DataSelection) throws -> Dataset {
        try checkOptions(selection)
        let embedded = selection.folder == nil
        let folder = try selection.folder ?? EmbeddedData.folder()
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
            throw DatasetError.badFolder(path: folder, problem: "no such data folder")
        }
        guard isDir.boolValue else {
            throw DatasetError.badFolder(path: folder, problem: "is a file; --data takes a folder (IDX files, CIFAR binary batches, or class folders of images)")
        }
        let recorded = selection.recorded()
        var dataset: Dataset
        if hasIDX(folder) {
            dataset = try loadIDX(folder: folder, classesFile: selection.classesFile, embedded: embedded, selection: recorded)
        } else if let kind = CIFAR.kind(of: folder) {
            dataset = try loadCIFAR(kind, folder: folder, classesFile: selection.classesFile, selection: recorded)
        } else if ImageFolder.recognises(folder) {
            return try loadImageFolder(folder, selection: recorded)
        } else {
            throw DatasetError.badFolder(path: folder, problem: "holds neither the four MNIST-format IDX files (\(trainImagesName)[.gz] ...), CIFAR-10/100 binary batches (test_batch.bin, or train.bin and test.bin), nor class folders of images")
        }
        if selection.testFraction != nil {
            throw UsageError("--test-fraction splits an image folder of class folders; \(folder) holds \(dataset.format) with their own test split")
        }
        if let framing = selection.framing {
            dataset = try dataset.framed(framing, folder: folder)
        }
        return dataset.prepared(channels: selection.channels, size: selection.resize)
    }

    /// Whether `folder` holds the four IDX files (raw or `.gz`).
    static func hasIDX(_ folder: String) -> Bool {
        standardNames.contains { name in
            let base = (folder as NSString).appendingPathComponent(name)
            return FileManager.default.fileExists(atPath: base) || FileManager.default.fileExists(atPath: base + ".gz")
        }
    }

    /// Whether `load` reads `folder` as an image folder (not IDX files or CIFAR batches).
    public static func isImageFolder(_ folder: String) -> Bool {
        !hasIDX(folder) && CIFAR.kind(of: folder) == nil && ImageFolder.recognises(folder)
    }

    /// Every image framed as torchvision's `Resize(N)` and `CenterCrop` would (`ImageFraming`).
    func framed(_ framing: ImageFraming, folder: String) throws -> Dataset {
        guard let size = framing.size(rows: rows, columns: columns) else {
            throw UsageError("\(folder): its \(rows)x\(columns) images \(framing.problem(rows: rows, columns: columns))")
        }
        func frame(_ split: Split) -> Split {
            let images = split.images, per = images.pixelsPerImage
            var pixels = [UInt8](repeating: 0, count: images.count * size.rows * size.columns * images.channels)
            let out = size.rows * size.columns * images.channels
            pixels.withUnsafeMutableBufferPointer { target in
                Parallel.forRanges(images.count, grain: 16) { range in
                    for i in range {
                        let framed = framing.apply(Array(images.pixels[(i * per)..<((i + 1) * per)]), rows: images.rows, columns: images.columns,
                                                   channels: images.channels).pixels
                        for k in 0..<out { target[i * out + k] = framed[k] }
                    }
                }
            }
            return Split(images: ImageSet(count: images.count, rows: size.rows, columns: size.columns, channels: images.channels, pixels: pixels),
                         labels: split.labels, imagesFile: split.imagesFile, labelsFile: split.labelsFile, origin: split.origin)
        }
        return Dataset(name: name, source: source, train: frame(train), test: frame(test), classNames: classNames, selection: selection,
                       format: format + ", " + framing.description, skipped: skipped, sourceFiles: sourceFiles)
    }

    static func checkOptions(_ selection: DataSelection) throws {
        if let f = selection.testFraction, !(f > 0 && f < 1) {
            throw UsageError("--test-fraction must be between 0 and 1, exclusive (got \(f))")
        }
        if let c = selection.channels, c != 1 && c != 3 {
            throw UsageError("--channels must be 1 (grey) or 3 (RGB) (got \(c))")
        }
    }

    /// The same data with every image converted to `channels` and resized to `size`.
    func prepared(channels: Int?, size: ImageSize?) -> Dataset {
        let wantChannels = channels ?? self.channels
        let wantSize = size ?? ImageSize(rows: rows, columns: columns)
        if wantChannels == self.channels && wantSize == ImageSize(rows: rows, columns: columns) { return self }
        func convert(_ split: Split) -> Split {
            var images = split.images.converted(toChannels: wantChannels)
            if wantSize.rows != images.rows || wantSize.columns != images.columns { images = images.resized(to: wantSize) }
            return Split(images: images, labels: split.labels, imagesFile: split.imagesFile, labelsFile: split.labelsFile, origin: split.origin)
        }
        var notes: [String] = []
        if wantChannels != self.channels { notes.append("converted to \(wantChannels == 1 ? "grey" : "RGB")") }
        if wantSize != ImageSize(rows: rows, columns: columns) { notes.append("resized to \(wantSize)") }
        return Dataset(name: name, source: source, train: convert(train), test: convert(test), classNames: classNames,
                       selection: selection, format: format + ", " + notes.joined(separator: ", "), skipped: skipped,
                       sourceFiles: sourceFiles)
    }

    /// CIFAR-10 or CIFAR-100 binary batches.
    static func loadCIFAR(_ kind: CIFAR.Kind, folder: String, classesFile: String?, selection: DataSelection) throws -> Dataset {
        let files = try CIFAR.files(kind, in: folder)
        func split(_ paths: [String]) throws -> Split {
            var pixels: [UInt8] = [], labels: [UInt8] = [], parts: [ImageOrigin.NumberedFile] = []
            for path in paths {
                let part = try CIFAR.parse(GzipFile.read(path).bytes, kind: kind, path: path)
                pixels += part.images.pixels
                labels += part.labels
                parts.append(.init(file: (path as NSString).lastPathComponent, count: part.labels.count))
            }
            let images = ImageSet(count: labels.count, rows: CIFAR.side, columns: CIFAR.side, channels: 3, pixels: pixels)
            return Split(images: images, labels: labels, imagesFile: paths.joined(separator: ", "), labelsFile: paths.joined(separator: ", "),
                         origin: .numbered(parts))
        }
        let names = try classesFile.map(ClassNames.load) ?? CIFAR.classNames(kind, in: folder) ?? ClassNames.numbers(kind.classCount)
        let train = try split(files.train), test = try split([files.test])
        for (part, path) in [(train, files.train[0]), (test, files.test)] {
            if let bad = part.labels.firstIndex(where: { Int($0) >= names.count }) {
                throw DatasetError.badFile(path: path, problem: "label \(part.labels[bad]) at record \(bad) is out of range: \(classesFile ?? "the class list") names \(names.count) classes")
            }
        }
        try ClassCheck.check(classNames: names, train: .init(split: train, file: files.train[0]), test: .init(split: test, file: files.test),
                             declared: classesFile != nil, formatNamed: true)
        let namesFile = (folder as NSString).appendingPathComponent(kind.namesFile)
        let existing = FileManager.default.fileExists(atPath: namesFile) ? [namesFile] : []
        return Dataset(name: kind.rawValue, source: .folder(folder), train: train, test: test, classNames: names,
                       selection: selection, format: kind == .cifar10 ? "CIFAR-10 binary batches" : "CIFAR-100 binary files (fine labels)",
                       sourceFiles: files.train + [files.test] + existing)
    }

    /// An image folder: listed, then decoded in parallel straight to the asked size and
    /// channels.
    static func loadImageFolder(_ folder: String, selection: DataSelection) throws -> Dataset {
        let listed = try ImageFolderListing(folder: folder, selection: selection)
        let listing = listed.listing
        let size = selection.resize.map { ($0.rows, $0.columns) }
        let skip = selection.skipBadImages ?? false
        // Decode the train split first; the test split then takes its size and channels.
        let trainPart = try ImageFolder.decode(listing.train, size: size, framing: selection.framing, channels: selection.channels, skipBad: skip,
                                               what: listed.splitFolder(.train))
        let testPart = try ImageFolder.decode(listing.test, size: size, framing: selection.framing,
                                              channels: selection.channels ?? (trainPart.channels == 3 ? 3 : nil), skipBad: skip,
                                              what: listed.splitFolder(.test))
        if size == nil && (testPart.rows != trainPart.rows || testPart.columns != trainPart.columns) {
            throw listed.sizeMismatch(listing.train[0].path, trainPart.rows, trainPart.columns, listing.test[0].path, testPart.rows, testPart.columns)
        }
        if selection.channels == nil && testPart.channels != trainPart.channels {
            // Colour only among the test images: decode the train split again in colour.
            return try loadImageFolder(folder, selection: { var s = selection; s.channels = 3; return s }())
        }
        let train = Split(images: trainPart.images, labels: trainPart.labels, imagesFile: folder, labelsFile: folder, origin: .files(listed.relative(trainPart.files)))
        let test = Split(images: testPart.images, labels: testPart.labels, imagesFile: folder, labelsFile: folder, origin: .files(listed.relative(testPart.files)))
        return try listed.dataset(train: train, test: test, skipped: trainPart.skipped + testPart.skipped)
    }

    /// Loads the four standard files from `folder` (each either raw or `.gz`).
    public static func load(folder: String, classesFile: String? = nil, embedded: Bool = false) throws -> Dataset {
        try load(DataSelection(folder: embedded ? nil : folder, classesFile: classesFile))
    }

    /// The four standard IDX files from `folder` (each either raw or `.gz`).
    ///
    /// Class names come from, in order: `classesFile`; a `classes.txt` in the folder;
    /// Fashion-MNIST's names when the test labels are Fashion-MNIST's; the ten digits.
    static func loadIDX(folder: String, classesFile: String?, embedded: Bool, selection: DataSelection) throws -> Dataset {
        let paths = try standardNames.map { try locate($0, in: folder) }
        let train = try loadSplit(imagesPath: paths[0], labelsPath: paths[1])
        let test = try loadSplit(imagesPath: paths[2], labelsPath: paths[3])
        if train.images.rows != test.images.rows || train.images.columns != test.images.columns {
            throw DatasetError.mismatch(
                first: paths[0], second: paths[2],
                problem: "image sizes differ (\(train.images.rows)x\(train.images.columns) vs \(test.images.rows)x\(test.images.columns))")
        }
        if train.count == 0 || test.count == 0 {
            throw DatasetError.badFile(path: train.count == 0 ? paths[0] : paths[2], problem: "holds no images")
        }

        let names: [String]
        let folderClasses = (folder as NSString).appendingPathComponent("classes.txt")
        let namesFile = classesFile ?? (FileManager.default.fileExists(atPath: folderClasses) ? folderClasses : nil)
        if let namesFile {
            names = try ClassNames.load(namesFile)
        } else if SHA256.hex(test.labels) == ClassNames.fashionTestLabelsFingerprint {
            names = ClassNames.fashion
        } else {
            // No names given: the labels' numbers, as many as the largest label says.
            let largest = Int(max(train.labels.max() ?? 0, test.labels.max() ?? 0))
            guard largest >= 1 else {
                throw DatasetError.badFile(path: paths[1], problem: "every label is 0: a classifier needs at least 2 classes")
            }
            names = ClassNames.numbers(largest + 1)
        }
        for (split, path) in [(train, paths[1]), (test, paths[3])] {
            if let bad = split.labels.firstIndex(where: { Int($0) >= names.count }) {
                throw DatasetError.badFile(
                    path: path,
                    problem: "label \(split.labels[bad]) at index \(bad) is out of range: \(namesFile ?? "the class list") names \(names.count) classes (0...\(names.count - 1)); give every label a name")
            }
        }
        try ClassCheck.check(classNames: names, train: .init(split: train, file: paths[1]), test: .init(split: test, file: paths[3]),
                             declared: namesFile != nil, formatNamed: names == ClassNames.fashion)
        let isFashion = names == ClassNames.fashion
        let name = embedded ? "mnist5k" : (isFashion ? "fashion-mnist" : (folder as NSString).lastPathComponent)
        return Dataset(name: name, source: embedded ? .embedded(folder: folder) : .folder(folder),
                       train: train, test: test, classNames: names, selection: selection, format: "IDX files")
    }

    /// `path` from the root, so a recorded data source still loads from another folder.
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// Images and labels from two files, checked against each other.
    public static func loadSplit(imagesPath: String, labelsPath: String) throws -> Split {
        let images = try IDX.parseImages(GzipFile.read(imagesPath).bytes, path: imagesPath)
        let labels = try IDX.parseLabels(GzipFile.read(labelsPath).bytes, path: labelsPath)
        if images.count != labels.count {
            throw DatasetError.mismatch(first: imagesPath, second: labelsPath,
                                        problem: "\(images.count.counted("image")) but \(labels.count.counted("label"))")
        }
        return Split(images: images, labels: labels, imagesFile: imagesPath, labelsFile: labelsPath)
    }

    /// `name.gz` or `name` inside `folder`; both at once is refused, since nothing says
    /// which one is meant.
    static func locate(_ name: String, in folder: String) throws -> String {
        let base = (folder as NSString).appendingPathComponent(name)
        let found = [base + ".gz", base].filter { FileManager.default.fileExists(atPath: $0) }
        guard let first = found.first else { throw DatasetError.missingFile(path: base + "[.gz]") }
        if found.count > 1 {
            throw DatasetError.mismatch(first: found[0], second: found[1], problem: "both present; remove one so it is clear which to read")
        }
        return first
    }
}

extension Dataset {
    /// SHA-256 over the decoded images and labels of both splits: identifies the data a
    /// model was trained on, whatever the files' compression.
    public var fingerprint: String {
        if let knownFingerprint { return knownFingerprint }
        var hasher = SHA256()
        for split in [train, test] {
            split.images.forEachPart { hasher.update($0) }
            hasher.update(split.labels)
        }
        return hasher.finalizeHex()
    }
}
