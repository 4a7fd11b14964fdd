import Foundation
import XCTest
@testable import Datasets

/// Images mapped from raw pixel files read as the same images held in memory, and an
/// image folder decoded in pieces and put together (`DataIndex`) loads as it does whole.
final class MappedImagesTests: XCTestCase {
    /// `count` 2x3 RGB images whose bytes count up from `first`.
    func images(_ count: Int, from first: Int) -> ImageSet {
        ImageSet(count: count, rows: 2, columns: 3, channels: 3, pixels: (0..<(count * 18)).map { UInt8((first + $0) % 251) })
    }

    func mapped(_ parts: [ImageSet], in folder: TemporaryFolder) throws -> ImageSet {
        let files = try parts.enumerated().map { k, part -> MappedPixels in
            _ = folder.write("part\(k).pixels", part.pixels)
            return try MappedPixels(path: folder.file("part\(k).pixels"))
        }
        return ImageSet(mapped: files, rows: 2, columns: 3, channels: 3)
    }

    func testMappedFilesReadAsTheImagesHeld() throws {
        let folder = TemporaryFolder()
        // Three files, one of them empty: images 0-3, none, 4-8.
        let parts = [images(4, from: 0), images(0, from: 0), images(5, from: 72)]
        let held = images(9, from: 0)
        let set = try mapped(parts, in: folder)
        XCTAssertTrue(set.isMapped)
        XCTAssertEqual(set.count, 9)
        XCTAssertEqual(set, held)
        XCTAssertEqual(set.pixels, held.pixels)
        for i in [0, 3, 4, 8] {
            XCTAssertEqual(Array(set.image(i)), Array(held.image(i)), "image \(i)")
            XCTAssertEqual(set.withImage(i) { Array($0) }, (0..<18).map { UInt8((i * 18 + $0) % 251) }, "image \(i)")
        }
        XCTAssertEqual(set.images(at: [8, 0, 4]), held.images(at: [8, 0, 4]))
        XCTAssertEqual(set.images(in: 3..<6), held.images(at: [3, 4, 5]))
        var parts2: [[UInt8]] = []
        set.forEachPart { parts2.append(Array($0)) }
        XCTAssertEqual(parts2.map(\.count), [4 * 18, 5 * 18])
        XCTAssertNotEqual(set, images(9, from: 1))
    }

    func testTheSegmentOfAnImageIsFoundByItsFirstImage() {
        func segments(_ counts: [Int]) -> [PixelStorage.Segment] {
            let file = try! MappedPixels(path: "/dev/null")
            var first = 0
            return counts.map { count in defer { first += count }; return .init(file: file, first: first, count: count) }
        }
        let s = segments([3, 1, 4])  // images 0-2, 3, 4-7
        XCTAssertEqual((0..<8).map { PixelStorage.segment(of: $0, in: s) }, [0, 0, 0, 1, 2, 2, 2, 2])
        XCTAssertEqual(PixelStorage.segment(of: 0, in: segments([5])), 0)
    }

    func testAMissingPixelFileIsAnErrorNamingIt() {
        XCTAssertThrowsError(try MappedPixels(path: "/nonexistent/x.pixels")) {
            XCTAssertTrue("\($0)".contains("/nonexistent/x.pixels: cannot be read"), "\($0)")
        }
    }

    /// A class folder of grey PNGs and others in colour, of two sizes: decoded in pieces
    /// that split where the colour starts, then put together.
    func testAFolderDecodedInPiecesLoadsAsItDoesWhole() throws {
        let folder = TemporaryFolder()
        func png(_ i: Int, grey: Bool, columns: Int) -> [UInt8] {
            let pixels = (0..<(5 * columns)).flatMap { p -> [UInt8] in
                let v = UInt8((i * 37 + p * 11) % 256)
                return grey ? [v] : [v, v &+ 90, 255 - v]
            }
            return ImageEncoder.encode(pixels, rows: 5, columns: columns, channels: grey ? 1 : 3, format: .png)!
        }
        for (split, n) in [("train", 6), ("test", 3)] {
            for (c, name) in ["a", "b"].enumerated() {
                for i in 0..<n {
                    let path = "\(split)/\(name)/\(i).png"
                    try FileManager.default.createDirectory(atPath: (folder.file(path) as NSString).deletingLastPathComponent,
                                                            withIntermediateDirectories: true)
                    _ = folder.write(path, png(10 * c + i, grey: c == 0, columns: i % 2 == 0 ? 7 : 6))
                }
            }
        }
        let selection = DataSelection(folder: folder.path, resize: ImageSize(rows: 4, columns: 4))
        let whole = try Dataset.load(selection)
        XCTAssertEqual(whole.channels, 3)
        let listed = try ImageFolderListing(folder: folder.path, selection: whole.selection!)
        // Train files 0-5 are class a (grey), 6-11 class b (colour).
        let pieces = [ImagePiece(split: .train, start: 0, count: 6), ImagePiece(split: .train, start: 6, count: 6),
                      ImagePiece(split: .test, start: 0, count: 6)]
        let root = folder.file("shards")
        for (k, piece) in pieces.enumerated() {
            try FileManager.default.createDirectory(atPath: root + "/\(k)", withIntermediateDirectories: true)
            try ImageFolderPieces.decode(piece, of: listed, into: root + "/\(k)")
        }
        XCTAssertEqual(try ImageFolderPieces.info(pieces[0], in: root + "/0").channels, 1)
        let index = try DataIndex.assemble(listed, pieces: pieces.enumerated().map { ($1, root + "/\($0)") }, root: root,
                                           converted: root + "/converted")
        XCTAssertEqual(index.train.pixelFiles, ["converted/train-0.pixels", "1/train-6.pixels"])
        XCTAssertEqual(index.fingerprint, whole.fingerprint)
        try index.write(to: root + "/dataset.json")
        let read = try DataIndex.read(root + "/dataset.json").dataset(root: root)
        XCTAssertTrue(read.train.images.isMapped)
        XCTAssertEqual(read.train.images, whole.train.images)
        XCTAssertEqual(read.test.images, whole.test.images)
        XCTAssertEqual(read.train.labels, whole.train.labels)
        XCTAssertEqual(read.train.origin, whole.train.origin)
        XCTAssertEqual(read.classNames, whole.classNames)
        XCTAssertEqual(read.format, whole.format)
        XCTAssertEqual(read.fingerprint, whole.fingerprint)

        // Without --resize the two widths are refused, as a whole load refuses them: in a
        // piece, or between pieces of one width each.
        let unsized = try ImageFolderListing(folder: folder.path, selection: DataSelection(folder: folder.path))
        XCTAssertThrowsError(try Dataset.load(DataSelection(folder: folder.path)))
        XCTAssertThrowsError(try ImageFolderPieces.decode(pieces[0], of: unsized, into: root + "/0")) {
            XCTAssertTrue("\($0)".contains("images of 5x7 and 5x6; bring them to one size with --resize HxW"), "\($0)")
        }
        let single = [ImagePiece(split: .train, start: 0, count: 1), ImagePiece(split: .train, start: 1, count: 1)]
        for (k, piece) in single.enumerated() { try ImageFolderPieces.decode(piece, of: unsized, into: root + "/\(k)") }
        XCTAssertThrowsError(try DataIndex.assemble(unsized, pieces: single.enumerated().map { ($1, root + "/\($0)") }, root: root,
                                                    converted: root + "/converted")) {
            XCTAssertTrue("\($0)".contains("images of 5x7 and 5x6; bring them to one size with --resize HxW"), "\($0)")
        }
    }
}
