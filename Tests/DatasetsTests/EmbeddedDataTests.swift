import Foundation
import Numerics
import XCTest
@testable import Datasets

final class EmbeddedDataTests: XCTestCase {
    func testEmbeddedSampleIsStratifiedAndVerified() throws {
        let dataset = try Dataset.load(data: nil)
        XCTAssertEqual(dataset.name, "mnist5k")
        XCTAssertEqual(dataset.train.count, 4000)
        XCTAssertEqual(dataset.test.count, 1000)
        XCTAssertEqual(dataset.rows, 28)
        XCTAssertEqual(dataset.columns, 28)
        XCTAssertEqual(dataset.train.classCounts(classes: 10), [Int](repeating: 400, count: 10))
        XCTAssertEqual(dataset.test.classCounts(classes: 10), [Int](repeating: 100, count: 10))
        // SOURCE.md: rows interleaved round-robin by class.
        XCTAssertEqual(Array(dataset.train.labels.prefix(12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        let sums = EmbeddedData.publishedChecksums(in: dataset.source.folder)
        XCTAssertEqual(sums.count, 4)
        for name in Dataset.standardNames {
            let path = (dataset.source.folder as NSString).appendingPathComponent(name + ".gz")
            let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path))
            XCTAssertEqual(SHA256.hex(bytes), sums[name + ".gz"], name)
        }
    }

    func testFashionMNISTIsRecognisedWhenInstalled() throws {
        let folder = "/usr/share/datasets/fashion-mnist"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder), "dataset-fashion-mnist not installed")
        let labels = try IDX.parseLabels(GzipFile.read(folder + "/t10k-labels-idx1-ubyte.gz").bytes, path: "t10k")
        XCTAssertEqual(SHA256.hex(labels), ClassNames.fashionTestLabelsFingerprint)
    }
}
