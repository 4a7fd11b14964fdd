import Foundation

/// Which data set a run uses and how it is prepared, in a form that can be recorded (in
/// `model.json`, `results.json`) and handed to another process (a report worker). Every
/// field is optional, so selections recorded by earlier versions read back unchanged.
public struct DataSelection: Codable, Equatable, Sendable {
    /// nil: the embedded mnist5k sample.
    public var folder: String?
    /// nil: `classes.txt` in the folder, the source's own names, or the labels' numbers.
    public var classesFile: String?
    /// `--test-fraction`: the share of each class put in test when an image folder has no
    /// train/test level (nil: `ImageFolder.defaultTestFraction`).
    public var testFraction: Double?
    /// `--split-seed`: the seed of that split (nil: 1). Kept apart from `--seed` so that
    /// interpreting with another seed still sees the same test images.
    public var splitSeed: UInt64?
    /// `--resize HxW`: every image brought to this size.
    public var resize: ImageSize?
    /// `--resize-shorter N` and `--center-crop HxW`: torchvision's evaluation framing.
    public var framing: ImageFraming?
    /// `--channels 1|3`: every image converted to grey or RGB.
    public var channels: Int?
    /// `--skip-bad-images`: files that do not decode are left out and listed, not refused.
    public var skipBadImages: Bool?

    public init(folder: String? = nil, classesFile: String? = nil, testFraction: Double? = nil, splitSeed: UInt64? = nil,
                resize: ImageSize? = nil, framing: ImageFraming? = nil, channels: Int? = nil, skipBadImages: Bool? = nil) {
        self.folder = folder
        self.classesFile = classesFile
        self.testFraction = testFraction
        self.splitSeed = splitSeed
        self.resize = resize
        self.framing = framing
        self.channels = channels
        self.skipBadImages = skipBadImages
    }

    public func load() throws -> Dataset { try Dataset.load(self) }

    /// As a loaded data set records it: its folder and class list from the root, so it
    /// loads again from anywhere (and two selections of one folder compare equal).
    public func recorded() -> DataSelection {
        var copy = self
        copy.folder = folder.map(Dataset.absolute)
        copy.classesFile = classesFile.map(Dataset.absolute)
        return copy
    }
}

/// An image size, rows x columns.
public struct ImageSize: Codable, Equatable, Sendable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    /// "32x32" (height x width, as `--resize` takes it).
    public init?(_ text: String) {
        guard let size = ImageResize.parseSize(text) else { return nil }
        self.init(rows: size.rows, columns: size.columns)
    }

    public var description: String { "\(rows)x\(columns)" }
}
