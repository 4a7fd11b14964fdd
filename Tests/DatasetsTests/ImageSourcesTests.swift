import Foundation
import XCTest
@testable import Datasets

/// Image folders and CIFAR binaries, recognised by what is in the folder.
final class ImageSourcesTests: XCTestCase {
    /// A PNG of one flat colour (grey when `rgb` has one value).
    func png(_ rgb: [UInt8], rows: Int = 4, columns: Int = 5) -> [UInt8] {
        ImageEncoder.encode(Array((0..<(rows * columns)).flatMap { _ in rgb }), rows: rows, columns: columns,
                            channels: rgb.count, format: .png)!
    }

    func write(_ folder: TemporaryFolder, _ path: String, _ bytes: [UInt8]) {
        try! FileManager.default.createDirectory(atPath: (folder.file(path) as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        _ = folder.write(path, bytes)
    }

    func testTrainAndTestFoldersInTorchvisionOrder() throws {
        let folder = TemporaryFolder()
        // Class names sort by code point ("Zebra" before "ant"), as Python's sorted does.
        for (split, n) in [("train", 3), ("test", 2)] {
            for (c, name) in ["ant", "Zebra", "bee"].enumerated() {
                for i in 0..<n { write(folder, "\(split)/\(name)/\(i).png", png([UInt8(10 * c + i)])) }
            }
        }
        write(folder, "train/ant/notes.txt", Array("not an image".utf8))      // passed over
        write(folder, "train/ant/.hidden.png", [1, 2, 3])                      // passed over
        let data = try Dataset.load(DataSelection(folder: folder.path))
        XCTAssertEqual(data.classNames, ["Zebra", "ant", "bee"])
        XCTAssertEqual(data.train.count, 9)
        XCTAssertEqual(data.test.count, 6)
        XCTAssertEqual(data.channels, 1)
        XCTAssertEqual(data.rows, 4)
        XCTAssertEqual(data.columns, 5)
        XCTAssertEqual(data.train.labels, [0, 0, 0, 1, 1, 1, 2, 2, 2])
        // Zebra's images were written with value 10, 11, 12.
        XCTAssertEqual(data.train.images.image(0).first, 10)
        XCTAssertEqual(data.train.images.image(2).first, 12)
        XCTAssertEqual(data.format, "image folder (train/ and test/)")
        // One colour file makes the whole set RGB; grey files are repeated into R, G, B.
        write(folder, "test/bee/9.png", png([200, 10, 10]))
        let colour = try Dataset.load(DataSelection(folder: folder.path))
        XCTAssertEqual(colour.channels, 3)
        XCTAssertEqual(Array(colour.train.images.image(0).prefix(3)), [10, 10, 10])
        XCTAssertEqual(Array(colour.test.images.image(6).prefix(3)), [200, 10, 10])
        // ... unless grey is asked for.
        XCTAssertEqual(try Dataset.load(DataSelection(folder: folder.path, channels: 1)).channels, 1)
    }

    func testMixedSizesNeedResize() throws {
        let folder = TemporaryFolder()
        for split in ["train", "test"] {
            write(folder, "\(split)/a/0.png", png([100], rows: 4, columns: 4))
            write(folder, "\(split)/b/0.png", png([50], rows: 8, columns: 8))
        }
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: folder.path))) { error in
            XCTAssertTrue("\(error)".contains("images of 4x4 and 8x8; bring them to one size with --resize HxW"), "\(error)")
            XCTAssertTrue("\(error)".contains(folder.file("train/a/0.png")), "\(error)")
        }
        let data = try Dataset.load(DataSelection(folder: folder.path, resize: ImageSize(rows: 2, columns: 2)))
        XCTAssertEqual(data.rows, 2)
        XCTAssertEqual(Array(data.train.images.pixels), [100, 100, 100, 100, 50, 50, 50, 50])
        XCTAssertEqual(data.format, "image folder (train/ and test/), resized to 2x2")
    }

    func testSplitHereIsStratifiedAndDeterministic() throws {
        let folder = TemporaryFolder()
        for (c, name) in ["cat", "dog"].enumerated() {
            for i in 0..<10 { write(folder, "\(name)/\(i).png", png([UInt8(c * 100 + i)])) }
        }
        let a = try Dataset.load(DataSelection(folder: folder.path, testFraction: 0.3))
        XCTAssertEqual(a.test.classCounts(classes: 2), [3, 3])
        XCTAssertEqual(a.train.classCounts(classes: 2), [7, 7])
        let again = try Dataset.load(DataSelection(folder: folder.path, testFraction: 0.3))
        XCTAssertEqual(again.test.images, a.test.images)
        let other = try Dataset.load(DataSelection(folder: folder.path, testFraction: 0.3, splitSeed: 9))
        XCTAssertNotEqual(other.test.images, a.test.images)
        // Train and test together hold every image once.
        let values = (a.train.images.pixels + a.test.images.pixels).enumerated().filter { $0.offset % 20 == 0 }.map(\.element)
        XCTAssertEqual(Set(values).count, 20)
        XCTAssertEqual(try Dataset.load(DataSelection(folder: folder.path)).test.count, 4)  // default 0.2
    }

    func testBadImagesAreNamedOrSkipped() throws {
        let folder = TemporaryFolder()
        for split in ["train", "test"] {
            for name in ["a", "b"] { for i in 0..<2 { write(folder, "\(split)/\(name)/\(i).png", png([9])) } }
        }
        write(folder, "train/b/zero.png", [])
        // A 4x5 grey PNG of noise, its end cut off: the header reads, the pixels do not.
        var noise = NoiseBytes(seed: 3)
        let whole = ImageEncoder.encode((0..<20).map { _ in noise.next() }, rows: 4, columns: 5, channels: 1, format: .png)!
        write(folder, "test/a/cut.png", Array(whole.prefix(whole.count - 20)))
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: folder.path))) { error in
            XCTAssertEqual("\(error)", folder.file("train/b/zero.png") + ": empty file, not an image (--skip-bad-images leaves it out)")
        }
        let data = try Dataset.load(DataSelection(folder: folder.path, skipBadImages: true))
        XCTAssertEqual(data.train.count, 4)
        XCTAssertEqual(data.test.count, 4)
        XCTAssertEqual(data.skipped.map(\.path), [folder.file("train/b/zero.png"), folder.file("test/a/cut.png")])
    }

    func testFoldersThatAreNotDataSets() throws {
        let empty = TemporaryFolder()
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: empty.path))) { error in
            XCTAssertTrue("\(error)".contains("holds neither the four MNIST-format IDX files"), "\(error)")
        }
        let onlyTrain = TemporaryFolder()
        write(onlyTrain, "train/a/0.png", png([1]))
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: onlyTrain.path))) { error in
            XCTAssertTrue("\(error)".contains("has train/ but no test/"), "\(error)")
        }
        let split = TemporaryFolder()
        for split2 in ["train", "test"] { for name in ["a", "b"] { write(split, "\(split2)/\(name)/0.png", png([1])) } }
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: split.path, testFraction: 0.5))) { error in
            XCTAssertTrue("\(error)".contains("already has train/ and test/"), "\(error)")
        }
    }

    /// Each image's file is kept, relative to the data folder; a class folder with no
    /// training image is refused unless the classes are declared.
    func testFilesKeptAndEmptyClassesRefused() throws {
        let folder = TemporaryFolder()
        for split in ["train", "test"] {
            for name in ["ant", "bee"] { write(folder, "\(split)/\(name)/\(name)1.png", png([7])) }
        }
        let data = try Dataset.load(DataSelection(folder: folder.path, resize: ImageSize(rows: 2, columns: 2)))
        XCTAssertEqual(data.train.files, ["train/ant/ant1.png", "train/bee/bee1.png"])
        XCTAssertEqual(data.test.files, ["test/ant/ant1.png", "test/bee/bee1.png"])
        XCTAssertEqual(data.test.origin.name(of: 1), "test/bee/bee1.png")
        try FileManager.default.createDirectory(atPath: folder.file("train/cat"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: folder.path))) { error in
            XCTAssertEqual("\(error)", folder.file("train/cat") + ": class 'cat' has no training images; add some, or declare the classes with --classes FILE (one name per line)")
        }
        write(folder, "test/cat/cat1.png", png([7]))
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: folder.path))) { error in
            XCTAssertEqual("\(error)", folder.file("test/cat/cat1.png") + ": label 2 names class 'cat', which has no training images (the training labels are 0...1); if the label is right, declare every class with --classes FILE (one name per line)")
        }
        _ = folder.write("classes.txt", Array("ant\nbee\ncat\n".utf8))
        XCTAssertEqual(try Dataset.load(DataSelection(folder: folder.path)).classNames, ["ant", "bee", "cat"])
        // IDX has no file per image: the index is the index in its one file.
        let idx = Split(images: ImageSet(count: 1, rows: 1, columns: 1, channels: 1, pixels: [0]), labels: [0], imagesFile: "/d/t10k-images-idx3-ubyte.gz")
        XCTAssertNil(idx.files)
        XCTAssertEqual(idx.origin, .numbered([.init(file: "t10k-images-idx3-ubyte.gz", count: 1)]))
        XCTAssertNil(idx.origin.name(of: 0))
    }

    /// CIFAR records: label byte(s), then 1,024 red, 1,024 green, 1,024 blue bytes.
    func cifarRecords(_ labels: [[UInt8]]) -> [UInt8] {
        labels.enumerated().flatMap { i, label -> [UInt8] in
            label + [UInt8](repeating: UInt8(i), count: 1024) + [UInt8](repeating: 100, count: 1024) + [UInt8](repeating: 200, count: 1024)
        }
    }

    func testCIFAR10And100() throws {
        let ten = TemporaryFolder()
        _ = ten.write("data_batch_1.bin", cifarRecords([[3], [1]]))
        _ = ten.write("data_batch_2.bin", cifarRecords([[9]]))
        _ = ten.write("test_batch.bin", cifarRecords([[1], [3]]))
        _ = ten.write("batches.meta.txt", Array("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n".utf8))
        let data = try Dataset.load(DataSelection(folder: ten.path))
        XCTAssertEqual(data.name, "cifar-10")
        XCTAssertEqual(data.classNames[3], "cat")
        XCTAssertEqual(data.train.labels, [3, 1, 9])
        // Spread over two batches: image 2 is the first of data_batch_2.bin.
        XCTAssertEqual(data.train.origin.name(of: 1), "data_batch_1.bin #1")
        XCTAssertEqual(data.train.origin.name(of: 2), "data_batch_2.bin #0")
        XCTAssertNil(data.train.origin.name(of: 3))
        XCTAssertEqual(try JSONDecoder().decode(ImageOrigin.self, from: JSONEncoder().encode(data.train.origin)), data.train.origin)
        XCTAssertEqual(data.test.labels, [1, 3])
        XCTAssertEqual(data.channels, 3)
        XCTAssertEqual(data.rows, 32)
        // Planes interleaved: pixel 0 of image 1 is (1, 100, 200).
        XCTAssertEqual(Array(data.train.images.image(1).prefix(6)), [1, 100, 200, 1, 100, 200])
        XCTAssertEqual(try Dataset.load(DataSelection(folder: ten.path, resize: ImageSize(rows: 8, columns: 8), channels: 1)).train.images.shapeDescription,
                       "8x8 grey")

        let hundred = TemporaryFolder()
        _ = hundred.write("train.bin", cifarRecords([[1, 42], [0, 99]]))
        _ = hundred.write("test.bin", cifarRecords([[3, 99]]))
        let h = try Dataset.load(DataSelection(folder: hundred.path))
        XCTAssertEqual(h.name, "cifar-100")
        XCTAssertEqual(h.classCount, 100)
        XCTAssertEqual(h.train.labels, [42, 99])

        _ = hundred.write("test.bin", Array(cifarRecords([[3, 7]]).dropLast()))
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: hundred.path))) { error in
            XCTAssertEqual("\(error)", hundred.file("test.bin") + ": 3073 bytes is not a whole number of cifar-100 records of 3074 bytes (truncated, or not cifar-100)")
        }
        _ = ten.write("test_batch.bin", cifarRecords([[12]]))
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: ten.path))) { error in
            XCTAssertEqual("\(error)", ten.file("test_batch.bin") + ": record 0 has label 12, outside 0...9: not cifar-10")
        }
    }
}

/// Bytes from a tiny linear congruential generator: noise that PNG cannot compress away.
struct NoiseBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt8 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 33)
    }
}
