import Datasets
import Foundation
import XCTest

/// Colour end to end: a colour image folder made by `data make-colour`, then `run` on it
/// (train, CNN-labelled augmentation, interpretation, report), and the report's pictures
/// in colour.
final class ColourRunTests: XCTestCase {
    func testMakeColourThenRunDrawsColourPictures() throws {
        let folder = NSTemporaryDirectory() + "cnn-inte-colour-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeToyDataFolder(folder + "/grey", train: 120, test: 24)
        let make = try CLIProcess.run(["data", "make-colour", "--data", folder + "/grey", "--to", folder + "/colour"])
        XCTAssertEqual(make.status, 0, make.stderr)
        XCTAssertEqual(make.stdout, "wrote \(folder)/colour: 144 colour images of 6x6 from 'grey' (\(folder)/grey)\n")
        // Never over something that exists.
        let again = try CLIProcess.run(["data", "make-colour", "--data", folder + "/grey", "--to", folder + "/colour"])
        XCTAssertEqual(again.status, 64)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)

        let info = try CLIProcess.run(["data", "info", "--data", folder + "/colour"])
        XCTAssertTrue(info.stdout.contains("format:     image folder (train/ and test/)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("images:     6x6 RGB, 4 classes"), info.stdout)

        let run = try CLIProcess.run(["run", "--data", folder + "/colour", "--architecture", toyLayers, "--epochs", "3",
                                      "--batch-size", "10", "--learning-rate", "0.01", "--layer", "fc", "--k1", "2", "--k2", "2",
                                      "--trees", "5", "--augment-copies", "1", "--quiet", "--output", folder + "/out"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let model = try String(contentsOfFile: folder + "/out/model/model.json", encoding: .utf8)
        XCTAssertTrue(model.contains("\"channels\" : 3"), model)
        // The pictures in the diagrams: some pixel of some picture is not grey.
        let images = folder + "/out/report/" + ReportLayoutPaths.images
        let names = try FileManager.default.contentsOfDirectory(atPath: images).filter { $0.hasSuffix(".png") }
        XCTAssertFalse(names.isEmpty)
        var coloured = 0
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: images + "/" + name)))
            let (header, pixels) = try ImageDecoder.decode(bytes, path: name)
            XCTAssertEqual(header.storedChannels, 3)
            let notGrey = stride(from: 0, to: pixels.count, by: 3).contains { (p: Int) -> Bool in
                pixels[p] != pixels[p + 1] || pixels[p + 1] != pixels[p + 2]
            }
            if notGrey { coloured += 1 }
        }
        XCTAssertEqual(coloured, names.count, "every picture is of a colour image")
        try checkInstancesAreNamed(data: folder + "/colour", output: folder + "/out")
    }

    /// An image folder's instances carry their files: instances.csv, explain (the text
    /// twin), the instance page, the cluster pages and the browser's data.
    func checkInstancesAreNamed(data: String, output: String) throws {
        let table = try String(contentsOfFile: output + "/interpretation/instances.csv", encoding: .utf8)
        let rows = table.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows[0].last, "file")
        let files = rows.dropFirst().map { String($0.last!) }
        XCTAssertEqual(files.count, 24)
        for file in files {
            XCTAssertTrue(file.hasPrefix("test/"), file)
            XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/" + file), file)
        }
        let explain = try CLIProcess.run(["explain", "--index", "3", "--output", output])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        XCTAssertTrue(explain.stdout.hasPrefix("test #3 (\(files[3]))  true label: "), explain.stdout)
        XCTAssertTrue(explain.stdout.contains("prototypes #"), explain.stdout)
        XCTAssertTrue(explain.stdout.contains(" (train/"), "prototypes and neighbours named by file: \(explain.stdout)")
        let page = try String(contentsOfFile: output + "/report/instances/3.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<p class=\"file\">file: <code>\(files[3])</code></p>"), page)
        XCTAssertTrue(page.contains("test #3 (\(files[3]))"), "the text twin on the page")
        let script = try String(contentsOfFile: output + "/report/data.js", encoding: .utf8)
        XCTAssertTrue(script.contains(",\"\(files[3])\"]"), "the browser can find it by file")
        let clusters = try FileManager.default.contentsOfDirectory(atPath: output + "/report/clusters")
        let members = try clusters.map { try String(contentsOfFile: output + "/report/clusters/" + $0, encoding: .utf8) }.joined()
        XCTAssertTrue(members.contains("title=\"#3 (\(files[3])): true "), "cluster pages name their members")
        XCTAssertTrue(members.contains("title=\"training image #") && members.contains(" (train/"), "prototypes named by file")
    }
}

/// Where the report keeps its pictures (Report's `ReportLayout.images`).
enum ReportLayoutPaths { static let images = "diagrams/img" }
