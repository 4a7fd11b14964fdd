import Foundation
import Numerics

/// Image folders, the layout torchvision's `ImageFolder` and Keras'
/// `image_dataset_from_directory` read: one sub-folder per class, named after it.
///
///     DIR/train/<class>/*.png   and   DIR/test/<class>/*.png      (two splits given)
///     DIR/<class>/*.png                                           (split here: --test-fraction)
///
/// Class names are the train folder's sub-folders in code-point order (Python's `sorted`,
/// so label numbers agree with torchvision's); files are taken in the same order. Files
/// whose extension is not an image's, and hidden files, are passed over as torchvision
/// does; a file with an image's extension that does not decode is an error naming it
/// (or, with `--skip-bad-images`, skipped and listed).
public enum ImageFolder {
    /// The extensions read (lower-cased).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg"]

    /// One file and its class.
    public struct Entry: Equatable, Sendable {
        public var path: String
        public var label: Int
    }

    /// The files of both splits and the class names, before any is decoded.
    public struct Listing: Equatable, Sendable {
        public var classNames: [String]
        public var train: [Entry]
        public var test: [Entry]
        /// True when the folder had no train/test level and was split here.
        public var splitHere: Bool
    }

    /// Whether `folder` looks like an image folder: it has class sub-folders holding at
    /// least one image file, directly or under `train/`.
    public static func recognises(_ folder: String) -> Bool {
        let train = (folder as NSString).appendingPathComponent("train")
        let root = isDirectory(train) ? train : folder
        return subfolders(root).contains { !imageFiles(in: ($0 as NSString).lastPathComponent, of: root).isEmpty }
    }

    /// Lists the files. With `train/` and `test/` present they are the splits; otherwise
    /// each class's files are split, `testFraction` of them to test, stratified and
    /// deterministic for a given `splitSeed`.
    public static func list(_ folder: String, testFraction: Double?, splitSeed: UInt64) throws -> Listing {
        let trainFolder = (folder as NSString).appendingPathComponent("train")
        let testFolder = (folder as NSString).appendingPathComponent("test")
        if isDirectory(trainFolder) || isDirectory(testFolder) {
            guard isDirectory(trainFolder), isDirectory(testFolder) else {
                throw DatasetError.badFolder(path: folder, problem: "has \(isDirectory(trainFolder) ? "train/ but no test/" : "test/ but no train/"); give both, or put the class folders directly in it and use --test-fraction")
            }
            if testFraction != nil {
                throw UsageError("--test-fraction splits a folder of class folders, but \(folder) already has train/ and test/")
            }
            let classNames = try classes(in: trainFolder)
            let testClasses = try classes(in: testFolder)
            if let stray = testClasses.first(where: { !classNames.contains($0) }) {
                throw DatasetError.mismatch(first: (testFolder as NSString).appendingPathComponent(stray), second: trainFolder,
                                            problem: "a test class with no train folder of that name")
            }
            return Listing(classNames: classNames, train: entries(trainFolder, classNames), test: entries(testFolder, classNames),
                           splitHere: false)
        }
        let classNames = try classes(in: folder)
        let fraction = testFraction ?? defaultTestFraction
        var train: [Entry] = [], test: [Entry] = []
        var rng = SplitMix64(seed: splitSeed)
        for (label, name) in classNames.enumerated() {
            let files = imageFiles(in: name, of: folder).map { Entry(path: $0, label: label) }
            var order = Array(files.indices)
            order.shuffle(using: &rng)
            // Each class gives round(n * fraction) images to test, but keeps one for training.
            let testCount = min(Int((Double(files.count) * fraction).rounded()), files.count - 1)
            let chosen = Set(order.prefix(max(testCount, 0)))
            for i in files.indices { if chosen.contains(i) { test.append(files[i]) } else { train.append(files[i]) } }
        }
        return Listing(classNames: classNames, train: train, test: test, splitHere: true)
    }

    /// The share of each class that goes to test when a folder is split here.
    public static let defaultTestFraction = 0.2

    /// Decodes every file of `entries` in parallel, to one size and channel count.
    /// `size` nil: every image must already have the size of the first. `channels` nil:
    /// 3 when any file is in colour, else 1. Files that fail are an error naming the first
    /// (in listing order), or, with `skipBad`, dropped and returned. `allowEmpty`: no
    /// readable file gives no image (a piece of a folder), not an error.
    public static func decode(_ entries: [Entry], size: (rows: Int, columns: Int)?, framing: ImageFraming? = nil, channels: Int?, skipBad: Bool,
                              what: String, allowEmpty: Bool = false) throws -> (images: ImageSet, labels: [UInt8], files: [String], skipped: [SkippedFile], channels: Int, rows: Int, columns: Int) {
        // Pass 1: headers, to learn the size and channels before allocating.
        var headers = [ImageDecoder.Header?](repeating: nil, count: entries.count)
        var problems = [String?](repeating: nil, count: entries.count)
        headers.withUnsafeMutableBufferPointer { h in
            problems.withUnsafeMutableBufferPointer { p in
                Parallel.forRanges(entries.count, grain: 64) { range in
                    for i in range {
                        do { h[i] = try ImageDecoder.header(try read(entries[i].path), path: entries[i].path) }
                        catch { p[i] = "\(error)" }
                    }
                }
            }
        }
        try checkProblems(problems, entries: entries, skipBad: skipBad)
        let good = entries.indices.filter { problems[$0] == nil }
        if good.isEmpty && allowEmpty && !entries.isEmpty {
            let skipped = entries.indices.map { SkippedFile(path: entries[$0].path, problem: problems[$0] ?? "") }
            let (rows, columns) = size ?? (0, 0), outChannels = channels ?? 1
            return (ImageSet(count: 0, rows: rows, columns: columns, channels: outChannels, pixels: []), [], [], skipped, outChannels, rows, columns)
        }
        guard !good.isEmpty else {
            throw DatasetError.badFolder(path: what, problem: "holds no image that can be read")
        }
        let target = try targetSize(entries, good: good, headers: headers, size: size, framing: framing)
        let outChannels = channels ?? (good.contains { !headers[$0]!.isGrey } ? 3 : 1)
        // Pass 2: decode, convert, resize into place.
        let per = target.rows * target.columns * outChannels
        var pixels = [UInt8](repeating: 0, count: good.count * per)
        pixels.withUnsafeMutableBufferPointer { out in
            problems.withUnsafeMutableBufferPointer { p in
                Parallel.forRanges(good.count, grain: 16) { range in
                    for slot in range {
                        let entry = entries[good[slot]]
                        do {
                            var (header, decoded) = try ImageDecoder.decode(try read(entry.path), path: entry.path)
                            if header.isGrey != (outChannels == 1) {
                                decoded = ImageSet(count: 1, rows: header.rows, columns: header.columns, channels: outChannels == 1 ? 3 : 1,
                                                   pixels: decoded).converted(toChannels: outChannels).pixels
                            }
                            let destination = UnsafeMutableBufferPointer(rebasing: out[(slot * per)..<((slot + 1) * per)])
                            if let framing {
                                _ = destination.initialize(from: framing.apply(decoded, rows: header.rows, columns: header.columns, channels: outChannels).pixels)
                            } else if header.rows == target.rows && header.columns == target.columns {
                                _ = destination.initialize(from: decoded)
                            } else {
                                decoded.withUnsafeBufferPointer {
                                    ImageResize.resize($0, rows: header.rows, columns: header.columns, channels: outChannels,
                                                       toRows: target.rows, columns: target.columns, into: destination)
                                }
                            }
                        } catch { p[good[slot]] = "\(error)" }
                    }
                }
            }
        }
        // A file that passed its header but fails to decode (truncated data).
        try checkProblems(problems, entries: entries, skipBad: skipBad)
        let kept = good.indices.filter { problems[good[$0]] == nil }
        if kept.count != good.count {
            var compact = [UInt8](); compact.reserveCapacity(kept.count * per)
            for slot in kept { compact.append(contentsOf: pixels[(slot * per)..<((slot + 1) * per)]) }
            pixels = compact
        }
        let skipped = entries.indices.compactMap { i in problems[i].map { SkippedFile(path: entries[i].path, problem: $0) } }
        let labels = kept.map { UInt8(entries[good[$0]].label) }
        let files = kept.map { entries[good[$0]].path }
        return (ImageSet(count: kept.count, rows: target.rows, columns: target.columns, channels: outChannels, pixels: pixels),
                labels, files, skipped, outChannels, target.rows, target.columns)
    }

    /// The size every image is brought to: the framing's (each image framed on its own must
    /// come out the same), else `size`, else the first image's, which all must then have.
    static func targetSize(_ entries: [Entry], good: [Int], headers: [ImageDecoder.Header?], size: (rows: Int, columns: Int)?,
                           framing: ImageFraming?) throws -> (rows: Int, columns: Int) {
        let first = headers[good[0]]!
        var framedSize: ImageSize?
        if let framing {
            // Each image framed on its own: every one must come out the same size.
            let sizes = good.map { (index: $0, size: framing.size(rows: headers[$0]!.rows, columns: headers[$0]!.columns)) }
            if let bad = sizes.first(where: { $0.size == nil }) {
                throw DatasetError.badFile(path: entries[bad.index].path,
                                           problem: framing.problem(rows: headers[bad.index]!.rows, columns: headers[bad.index]!.columns))
            }
            if let other = sizes.first(where: { $0.size != sizes[0].size }) {
                throw DatasetError.mismatch(first: entries[sizes[0].index].path, second: entries[other.index].path,
                                            problem: "images of \(sizes[0].size!) and \(other.size!) after \(framing.description); bring them to one size with --center-crop HxW")
            }
            framedSize = sizes[0].size
        }
        if size == nil, framing == nil, let other = good.first(where: { headers[$0]!.rows != first.rows || headers[$0]!.columns != first.columns }) {
            throw DatasetError.mismatch(first: entries[good[0]].path, second: entries[other].path,
                                        problem: "images of \(first.rows)x\(first.columns) and \(headers[other]!.rows)x\(headers[other]!.columns); bring them to one size with --resize HxW")
        }
        return framedSize.map { ($0.rows, $0.columns) } ?? size ?? (first.rows, first.columns)
    }

    private static func checkProblems(_ problems: [String?], entries: [Entry], skipBad: Bool) throws {
        guard !skipBad, let bad = problems.firstIndex(where: { $0 != nil }) else { return }
        let others = problems.filter { $0 != nil }.count - 1
        var message = problems[bad]!
        if others > 0 { message += " (and \(others.counted("other file")); --skip-bad-images leaves them out)" }
        else { message += " (--skip-bad-images leaves it out)" }
        throw ImageFolderError(message: message)
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.badFile(path: path, problem: "cannot be read")
        }
        return [UInt8](data)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// Python's `sorted` on strings: code point order.
    static func codePointOrder(_ a: String, _ b: String) -> Bool { a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) }

    static func subfolders(_ folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted(by: codePointOrder)
            .map { (folder as NSString).appendingPathComponent($0) }.filter(isDirectory)
    }

    static func classes(in folder: String) throws -> [String] {
        let names = subfolders(folder).map { ($0 as NSString).lastPathComponent }
        if names.isEmpty { throw DatasetError.badFolder(path: folder, problem: "has no class folders (expected one sub-folder of images per class)") }
        if names.count > 256 { throw DatasetError.badFolder(path: folder, problem: "has \(names.count) class folders; at most 256 classes are supported") }
        return names
    }

    /// The image files directly inside `folder/name`, sorted.
    static func imageFiles(in name: String, of folder: String) -> [String] {
        let classFolder = (folder as NSString).appendingPathComponent(name)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: classFolder)) ?? []
        return names.filter { !$0.hasPrefix(".") && extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted(by: codePointOrder).map { (classFolder as NSString).appendingPathComponent($0) }
            .filter { !isDirectory($0) }
    }

    static func entries(_ folder: String, _ classNames: [String]) -> [Entry] {
        classNames.enumerated().flatMap { label, name in imageFiles(in: name, of: folder).map { Entry(path: $0, label: label) } }
    }
}

/// A file left out with `--skip-bad-images`, and why.
public struct SkippedFile: Codable, Equatable, Sendable {
    public var path: String
    public var problem: String
}

/// An image that could not be read, as one line (already naming the file).
public struct ImageFolderError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
