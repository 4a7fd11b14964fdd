import Foundation
import Numerics

/// Images with their labels: one split (train or test) of a data set.
public struct Split: Sendable {
    public let images: ImageSet
    public let labels: [UInt8]
    /// The files the split came from, for messages and `data info`.
    public let imagesFile: String
    public let labelsFile: String

    public init(images: ImageSet, labels: [UInt8], imagesFile: String = "images", labelsFile: String = "labels") {
        precondition(images.count == labels.count, "one label per image")
        self.images = images
        self.labels = labels
        self.imagesFile = imagesFile
        self.labelsFile = labelsFile
    }

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

    public init(name: String, source: DataSource, train: Split, test: Split, classNames: [String],
                selection: DataSelection? = nil) {
        self.name = name
        self.source = source
        self.train = train
        self.test = test
        self.classNames = classNames
        self.selection = selection
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
        if let data { return try load(folder: data, classesFile: classesFile) }
        return try load(folder: EmbeddedData.folder(), classesFile: classesFile, embedded: true)
    }

    /// Loads the four standard files from `folder` (each either raw or `.gz`).
    ///
    /// Class names come from, in order: `classesFile`; a `classes.txt` in the folder;
    /// Fashion-MNIST's names when the test labels are Fashion-MNIST's; the ten digits.
    public static func load(folder: String, classesFile: String? = nil, embedded: Bool = false) throws -> Dataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
            throw DatasetError.badFolder(path: folder, problem: "no such data folder")
        }
        guard isDir.boolValue else {
            throw DatasetError.badFolder(path: folder, problem: "is a file; --data takes a folder holding the four IDX files")
        }
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
        let isFashion = names == ClassNames.fashion
        let name = embedded ? "mnist5k" : (isFashion ? "fashion-mnist" : (folder as NSString).lastPathComponent)
        return Dataset(name: name, source: embedded ? .embedded(folder: folder) : .folder(folder),
                       train: train, test: test, classNames: names,
                       selection: DataSelection(folder: embedded ? nil : absolute(folder), classesFile: classesFile.map(absolute)))
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
        var hasher = SHA256()
        for split in [train, test] {
            hasher.update(split.images.pixels)
            hasher.update(split.labels)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
