import Foundation
import XCTest
@testable import Datasets

/// One test per way an input file can be broken. Each asserts that the error names the
/// file, so a user knows where to look.
final class CorruptionTests: XCTestCase {
    /// A complete, valid data set folder (gzip), returned with its folder.
    func validFolder(train: Int = 6, test: Int = 4) throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        try GzipFile.write(IDX.encode(images: tinyImages(count: train)), to: folder.file("train-images-idx3-ubyte.gz"))
        try GzipFile.write(IDX.encode(labels: (0..<train).map { UInt8($0 % 3) }), to: folder.file("train-labels-idx1-ubyte.gz"))
        try GzipFile.write(IDX.encode(images: tinyImages(count: test)), to: folder.file("t10k-images-idx3-ubyte.gz"))
        try GzipFile.write(IDX.encode(labels: (0..<test).map { UInt8($0 % 3) }), to: folder.file("t10k-labels-idx1-ubyte.gz"))
        return folder
    }

    /// Asserts that loading `folder` fails with a message containing `file` and `words`.
    func assertLoadFails(_ folder: TemporaryFolder, naming file: String, saying words: String,
                         line: UInt = #line) {
        do {
            _ = try Dataset.load(folder: folder.path)
            XCTFail("loading succeeded", line: line)
        } catch {
            let message = "\(error)"
            XCTAssertTrue(message.contains(folder.file(file)), "message does not name \(file): \(message)", line: line)
            XCTAssertTrue(message.contains(words), "message lacks '\(words)': \(message)", line: line)
            XCTAssertFalse(message.contains("\n"), "message is not one line: \(message)", line: line)
        }
    }

    func testValidFolderLoads() throws {
        let folder = try validFolder()
        let dataset = try Dataset.load(folder: folder.path)
        XCTAssertEqual(dataset.train.count, 6)
        XCTAssertEqual(dataset.test.count, 4)
        XCTAssertEqual(dataset.rows, 2)
        XCTAssertEqual(dataset.columns, 3)
        XCTAssertEqual(dataset.train.classCounts(classes: 10).prefix(3), [2, 2, 2])
        XCTAssertEqual(dataset.classNames, ["0", "1", "2"], "named after the labels present")
    }

    func testRawFilesLoadToo() throws {
        let folder = TemporaryFolder()
        _ = folder.write("train-images-idx3-ubyte", IDX.encode(images: tinyImages(count: 2)))
        _ = folder.write("train-labels-idx1-ubyte", IDX.encode(labels: [0, 1]))
        _ = folder.write("t10k-images-idx3-ubyte", IDX.encode(images: tinyImages(count: 1)))
        _ = folder.write("t10k-labels-idx1-ubyte", IDX.encode(labels: [1]))
        XCTAssertEqual(try Dataset.load(folder: folder.path).test.labels, [1])
    }

    func testBadMagic() throws {
        let folder = try validFolder()
        // A labels file where an images file belongs.
        try GzipFile.write(IDX.encode(labels: [1, 2]), to: folder.file("train-images-idx3-ubyte.gz"))
        assertLoadFails(folder, naming: "train-images-idx3-ubyte.gz", saying: "bad magic number 2049")
    }

    func testTruncatedGzip() throws {
        let folder = try validFolder(train: 200)
        let path = folder.file("train-images-idx3-ubyte.gz")
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: path))
        assertLoadFails(folder, naming: "train-images-idx3-ubyte.gz", saying: "truncated gzip")
    }

    func testCorruptGzipBody() throws {
        let folder = try validFolder(train: 200)
        let path = folder.file("train-images-idx3-ubyte.gz")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 20..<(bytes.count - 8) { bytes[i] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        assertLoadFails(folder, naming: "train-images-idx3-ubyte.gz", saying: "gzip")
    }

    func testShortPayload() throws {
        let folder = try validFolder()
        let encoded = IDX.encode(images: tinyImages(count: 4))
        try GzipFile.write(Array(encoded.dropLast(5)), to: folder.file("t10k-images-idx3-ubyte.gz"))
        assertLoadFails(folder, naming: "t10k-images-idx3-ubyte.gz", saying: "short payload")
    }

    func testCountMismatchInHeader() throws {
        let folder = try validFolder()
        var encoded = IDX.encode(images: tinyImages(count: 4))
        encoded[7] = 3  // header says 3 images, payload holds 4
        try GzipFile.write(encoded, to: folder.file("t10k-images-idx3-ubyte.gz"))
        assertLoadFails(folder, naming: "t10k-images-idx3-ubyte.gz", saying: "count mismatch")
    }

    func testImagesLabelsCountMismatch() throws {
        let folder = try validFolder()
        try GzipFile.write(IDX.encode(labels: [0, 1, 2]), to: folder.file("t10k-labels-idx1-ubyte.gz"))
        assertLoadFails(folder, naming: "t10k-labels-idx1-ubyte.gz", saying: "4 images but 3 labels")
    }

    func testLabelOutOfRangeOfTheNamedClasses() throws {
        let folder = try validFolder()
        _ = folder.write("classes.txt", Array("a\nb\nc\n".utf8))
        try GzipFile.write(IDX.encode(labels: [0, 1, 12, 2, 0, 1]), to: folder.file("train-labels-idx1-ubyte.gz"))
        assertLoadFails(folder, naming: "train-labels-idx1-ubyte.gz",
                        saying: "label 12 at index 2 is out of range: \(folder.file("classes.txt")) names 3 classes (0...2); give every label a name")
    }

    /// Without names, the labels say how many classes there are: three labels make three
    /// classes (not ten digits with seven empty); labels 0...5 make six.
    func testUnnamedClassesFollowTheLabels() throws {
        let folder = try validFolder()
        XCTAssertEqual(try Dataset.load(folder: folder.path).classNames, ["0", "1", "2"])
        try GzipFile.write(IDX.encode(labels: [0, 1, 5, 2, 3, 4]), to: folder.file("train-labels-idx1-ubyte.gz"))
        XCTAssertEqual(try Dataset.load(folder: folder.path).classNames, (0...5).map(String.init))
        try GzipFile.write(IDX.encode(labels: [0, 0, 0, 0, 0, 0]), to: folder.file("train-labels-idx1-ubyte.gz"))
        try GzipFile.write(IDX.encode(labels: [0, 0, 0, 0]), to: folder.file("t10k-labels-idx1-ubyte.gz"))
        assertLoadFails(folder, naming: "train-labels-idx1-ubyte.gz", saying: "every label is 0")
    }

    /// One corrupt test label (200 among 0...2) would make a 201-class problem: refused,
    /// naming the file, the index and the label, unless the classes are declared.
    func testTestLabelOfAClassWithNoTrainingImages() throws {
        let folder = try validFolder()
        try GzipFile.write(IDX.encode(labels: [0, 1, 200, 2]), to: folder.file("t10k-labels-idx1-ubyte.gz"))
        assertLoadFails(folder, naming: "t10k-labels-idx1-ubyte.gz",
                        saying: "label 200 at index 2 names class '200', which has no training images (the training labels are 0...2); if the label is right, declare every class with --classes FILE (one name per line)")
        // A label inside the range whose class only the test split has.
        try GzipFile.write(IDX.encode(labels: [0, 1, 0, 1, 0, 1]), to: folder.file("train-labels-idx1-ubyte.gz"))
        try GzipFile.write(IDX.encode(labels: [0, 1, 2, 1]), to: folder.file("t10k-labels-idx1-ubyte.gz"))
        assertLoadFails(folder, naming: "t10k-labels-idx1-ubyte.gz", saying: "label 2 at index 2 names class '2', which has no training images (the training labels are 0...1)")
        // Declared: the user's say-so that class 2 has no training images.
        let names = folder.write("names.txt", Array("a\nb\nc\n".utf8))
        XCTAssertEqual(try Dataset.load(folder: folder.path, classesFile: names).classNames, ["a", "b", "c"])
    }

    /// A training label far beyond the others makes classes with no image at all.
    func testTrainingLabelBeyondTheOthers() throws {
        let folder = try validFolder()
        try GzipFile.write(IDX.encode(labels: [0, 1, 2, 0, 1, 40]), to: folder.file("train-labels-idx1-ubyte.gz"))
        assertLoadFails(folder, naming: "train-labels-idx1-ubyte.gz",
                        saying: "label 40 at index 5 makes 37 classes (3 ... 39) with no images at all; if the label is right, declare every class with --classes FILE")
        try GzipFile.write(IDX.encode(labels: [0, 1, 3, 0, 1, 3]), to: folder.file("train-labels-idx1-ubyte.gz"))
        try GzipFile.write(IDX.encode(labels: [0, 1, 3, 3]), to: folder.file("t10k-labels-idx1-ubyte.gz"))
        assertLoadFails(folder, naming: "train-labels-idx1-ubyte.gz", saying: "label 3 at index 2 makes class '2' with no images at all")
    }

    func testGzipWithTrailingGarbage() throws {
        let folder = try validFolder()
        let path = folder.file("t10k-labels-idx1-ubyte.gz")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("junk".utf8))
        try handle.close()
        assertLoadFails(folder, naming: "t10k-labels-idx1-ubyte.gz", saying: "4 bytes of trailing garbage after the gzip data")
    }

    func testConcatenatedGzipMembersReadAsOne() throws {
        let folder = try validFolder()
        let path = folder.file("t10k-labels-idx1-ubyte.gz")
        let whole = IDX.encode(labels: [0, 1, 2, 0])
        try GzipFile.write(Array(whole.prefix(5)), to: path + ".a")
        try GzipFile.write(Array(whole.dropFirst(5)), to: path + ".b")
        let joined = try Data(contentsOf: URL(fileURLWithPath: path + ".a")) + Data(contentsOf: URL(fileURLWithPath: path + ".b"))
        try joined.write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(try GzipFile.read(path).bytes, whole)
    }

    func testDecompressionBombIsRefused() throws {
        let folder = try validFolder()
        try GzipFile.write([UInt8](repeating: 0, count: 1 << 16), to: folder.file("zeros.gz"))
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder.file("zeros.gz"))))
        XCTAssertThrowsError(try GzipFile.inflate(bytes, path: "zeros.gz", limit: 1 << 12)) {
            XCTAssertEqual("\($0)", "zeros.gz: decompresses to more than 4096 bytes; cnn-inte refuses such files")
        }
        XCTAssertEqual(try GzipFile.inflate(bytes, path: "zeros.gz", limit: 1 << 16).count, 1 << 16)
    }

    func testRawAndGzipOfTheSameFileAreAmbiguous() throws {
        let folder = try validFolder()
        _ = folder.write("t10k-labels-idx1-ubyte", IDX.encode(labels: [0, 1, 2, 0]))
        assertLoadFails(folder, naming: "t10k-labels-idx1-ubyte.gz", saying: "both present; remove one so it is clear which to read")
    }

    func testGarbageNamedGz() throws {
        let folder = try validFolder()
        _ = folder.write("train-labels-idx1-ubyte.gz", Array("this is not gzip at all, just text\n".utf8))
        assertLoadFails(folder, naming: "train-labels-idx1-ubyte.gz", saying: "not gzip")
    }

    func testEmptyFile() throws {
        let folder = try validFolder()
        _ = folder.write("t10k-labels-idx1-ubyte.gz", [])
        assertLoadFails(folder, naming: "t10k-labels-idx1-ubyte.gz", saying: "empty file")
    }

    func testMissingFile() throws {
        let folder = try validFolder()
        try FileManager.default.removeItem(atPath: folder.file("t10k-images-idx3-ubyte.gz"))
        assertLoadFails(folder, naming: "t10k-images-idx3-ubyte", saying: "no such file")
    }

    func testMissingFolderAndFileAsFolder() throws {
        XCTAssertThrowsError(try Dataset.load(folder: "/nonexistent/cnn-inte")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/cnn-inte: no such data folder")
        }
        let folder = try validFolder()
        let file = folder.file("train-labels-idx1-ubyte.gz")
        XCTAssertThrowsError(try Dataset.load(folder: file)) { error in
            XCTAssertTrue("\(error)".hasPrefix(file + ": is a file"))
        }
    }

    func testClassesFileNamesAndChecksRange() throws {
        let folder = try validFolder()
        let classes = folder.write("names.txt", Array("# three classes\nzero\none\n\ntwo\n".utf8))
        XCTAssertEqual(try Dataset.load(folder: folder.path, classesFile: classes).classNames, ["zero", "one", "two"])
        let two = folder.write("two.txt", Array("a\nb\n".utf8))
        XCTAssertThrowsError(try Dataset.load(folder: folder.path, classesFile: two)) { error in
            XCTAssertTrue("\(error)".contains("label 2 at index 2 is out of range: \(two) names 2 classes (0...1)"), "\(error)")
        }
    }
}
