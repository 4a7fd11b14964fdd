import Foundation
import Numerics
import XCTest
@testable import Datasets

/// A fresh temporary folder per test, removed afterwards.
final class TemporaryFolder {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "cnn-inte-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A tiny hand-made data set: `count` images of 2x3 pixels whose pixels encode their index.
func tinyImages(count: Int) -> ImageSet {
    ImageSet(count: count, rows: 2, columns: 3, pixels: (0..<(count * 6)).map { UInt8($0 % 256) })
}

final class IDXTests: XCTestCase {
    func testImagesRoundTripRawAndGzip() throws {
        let folder = TemporaryFolder()
        let images = tinyImages(count: 4)
        let encoded = IDX.encode(images: images)
        // Header by hand: magic 2051, then 4, 2, 3, big-endian.
        XCTAssertEqual(Array(encoded.prefix(16)), [0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, 3])
        let raw = folder.write("images", encoded)
        XCTAssertEqual(try IDX.parseImages(GzipFile.read(raw).bytes, path: raw), images)
        let gz = folder.file("images.gz")
        try GzipFile.write(encoded, to: gz)
        let decoded = try GzipFile.read(gz)
        XCTAssertTrue(decoded.wasGzip)
        XCTAssertEqual(try IDX.parseImages(decoded.bytes, path: gz), images)
        XCTAssertEqual(Array(images.image(1)), [6, 7, 8, 9, 10, 11])
    }

    func testLabelsRoundTrip() throws {
        let labels: [UInt8] = [3, 1, 4, 1, 5]
        let encoded = IDX.encode(labels: labels)
        XCTAssertEqual(Array(encoded.prefix(8)), [0, 0, 8, 1, 0, 0, 0, 5])
        XCTAssertEqual(try IDX.parseLabels(encoded, path: "x"), labels)
    }

    func testSHA256KnownVectors() {
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex([UInt8](repeating: 0x61, count: 1_000)),
                       "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    func testHugeImageSidesAreAnErrorNotAnOverflow() {
        // Found by the fuzzer: 4294967295 x 4294967295 pixels overflowed the product.
        let bytes: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]
        XCTAssertThrowsError(try IDX.parseImages(bytes, path: "huge")) { error in
            XCTAssertEqual("\(error)", "huge: header declares images of 4294967295x4294967295 pixels")
        }
    }
}
