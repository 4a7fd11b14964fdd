import Datasets
import Numerics
import Foundation
import OutputFolders
import TestSupport
import XCTest

/// The cases a demanding user and an attacker found (issue "Never lose a user's files,
/// never read out of bounds, never mix two runs"), each through the binary: the exit
/// status, the one-line message, and that nothing else changed.
final class HardeningTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnn-inte-hardening-" + UUID().uuidString
        try writeToyDataFolder(folder + "/data", train: 120, test: 24)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    static let train = ["--architecture", toyLayers, "--epochs", "3", "--batch-size", "10", "--learning-rate", "0.01", "--no-augment"]
    static let interpret = ["--layer", "fc", "--k1", "2", "--k2", "2", "--trees", "3", "--augment-copies", "1"]

    func run(_ arguments: [String]) throws -> CLIResult { try CLIProcess.run(arguments + ["--quiet"]) }

    /// A complete toy run into `output`.
    @discardableResult
    func toyRun(_ output: String, seed: Int = 1, data: String? = nil) throws -> CLIResult {
        let result = try run(["run", "--data", data ?? folder + "/data", "--output", output, "--seed", "\(seed)", "--jobs", "2"]
                             + Self.train + Self.interpret)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result
    }

    func assertOneLineError(_ result: CLIResult, status: Int32, contains words: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, status, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("cnn-inte: error: "), result.stderr, file: file, line: line)
        XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(words), "expected '\(words)' in \(result.stderr)", file: file, line: line)
    }

    /// Every file under `root` with its size and content hash: any change shows.
    func snapshot(_ root: String) -> [String: String] {
        var out: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return out }
        while let path = walker.nextObject() as? String {
            if path.hasSuffix(".cnn-inte.lock") { continue }
            let full = root + "/" + path
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
            out[path] = isDir.boolValue ? "dir" : (FileManager.default.contents(atPath: full).map { SHA256.hex($0) } ?? "?")
        }
        return out
    }

    // MARK: 1. Images of another size

    func testImagesOfAnotherSizeAreRefusedBeforeAnyRead() throws {
        try toyRun(folder + "/out")
        let before = snapshot(folder + "/out")
        let big = folder + "/big"
        try FileManager.default.createDirectory(atPath: big, withIntermediateDirectories: true)
        let images = ImageSet(count: 8, rows: 8, columns: 8, pixels: [UInt8](repeating: 9, count: 8 * 64))
        for prefix in ["train", "t10k"] {
            try GzipFile.write(IDX.encode(images: images), to: "\(big)/\(prefix)-images-idx3-ubyte.gz")
            try GzipFile.write(IDX.encode(labels: [0, 1, 2, 3, 0, 1, 2, 3]), to: "\(big)/\(prefix)-labels-idx1-ubyte.gz")
        }
        // interpret refuses data the model was not trained on (whatever the size) ...
        for extra in [[], ["--augment-copies", "0"]] {
            assertOneLineError(try run(["interpret", "--data", big, "--output", folder + "/out", "--layer", "fc"] + extra), status: 64,
                               contains: "was trained on 'data'")
        }
        // ... and the model itself checks the size of whatever it is given.
        assertOneLineError(try run(["features", "--data", big, "--output", folder + "/out", "--layer", "fc", "--npy", folder + "/f.npy"]),
                           status: 64, contains: "the model takes 6x6x1 images but the data has 8x8x1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/f.npy"))
        XCTAssertEqual(snapshot(folder + "/out"), before)
    }

    // MARK: 2. Folders that are not ours

    func testFoldersCnnInteDidNotWriteAreNeverReplaced() throws {
        let output = folder + "/home"
        try FileManager.default.createDirectory(atPath: output + "/pdf", withIntermediateDirectories: true)
        try Data("my taxes".utf8).write(to: URL(fileURLWithPath: output + "/pdf/taxes.pdf"))
        let before = snapshot(output)
        let started = Date()
        assertOneLineError(try run(["run", "--data", folder + "/data", "--output", output] + Self.train + Self.interpret), status: 1,
                           contains: "\(output)/pdf: exists and was not written by cnn-inte; cnn-inte will not replace it")
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "refused before training")
        XCTAssertEqual(snapshot(output), before)

        // A folder cnn-inte wrote, to which the user added a file, is not replaced either.
        let ours = folder + "/ours"
        try toyRun(ours)
        try Data("notes".utf8).write(to: URL(fileURLWithPath: ours + "/report/diagrams/my-notes.txt"))
        let withNotes = snapshot(ours)
        assertOneLineError(try run(["report", "--output", ours]), status: 1,
                           contains: "\(ours)/report: holds 1 file cnn-inte did not write (diagrams/my-notes.txt)")
        XCTAssertEqual(snapshot(ours), withNotes)
        // Without the stranger, it is replaced as before.
        try FileManager.default.removeItem(atPath: ours + "/report/diagrams/my-notes.txt")
        XCTAssertEqual(try run(["report", "--output", ours]).status, 0)

        // A file where a result folder goes is not replaced.
        let file = folder + "/filed"
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: file + "/model"))
        assertOneLineError(try run(["train", "--data", folder + "/data", "--output", file] + Self.train), status: 1,
                           contains: "\(file)/model: is a file, not a folder cnn-inte wrote")
        XCTAssertEqual(try String(contentsOfFile: file + "/model", encoding: .utf8), "x")
    }

    /// An output folder written by cnn-inte 0.1.0 (no manifests) is recognised and replaced.
    func testFoldersWrittenBy010AreRecognised() throws {
        let output = folder + "/old"
        try toyRun(output)
        for name in ["model", "interpretation", "report", "pdf"] { try FileManager.default.removeItem(atPath: "\(output)/\(name)/.cnn-inte.json") }
        for name in ["neighbours.csv", "units.json", "map.csv", "images.json", "classes.json"] {  // 0.1.0 wrote none
            try FileManager.default.removeItem(atPath: output + "/interpretation/" + name)
        }
        try FileManager.default.removeItem(atPath: output + "/report/classes.html")
        let index = output + "/report/index.html"
        try (try String(contentsOfFile: index, encoding: .utf8)).replacingOccurrences(of: "Made by cnn-inte 0.2.0", with: "Made by cnn-inte 0.1.0")
            .write(toFile: index, atomically: true, encoding: .utf8)
        let model = output + "/model/model.json"
        try (try String(contentsOfFile: model, encoding: .utf8)).replacingOccurrences(of: "cnn-inte-model-2", with: "cnn-inte-model-1")
            .write(toFile: model, atomically: true, encoding: .utf8)
        try toyRun(output, seed: 2)
        XCTAssertNotNil(Manifest.read(output + "/pdf"))
    }

    // MARK: 3. Data the model was not trained on

    func testInterpretAndFeaturesDefaultToTheModelsOwnData() throws {
        let output = folder + "/out"
        XCTAssertEqual(try run(["train", "--data", folder + "/data", "--output", output] + Self.train).status, 0)
        // No --data: the model's own data, not the embedded digits.
        let interpret = try CLIProcess.run(["interpret", "--output", output] + Self.interpret)
        XCTAssertEqual(interpret.status, 0, interpret.stderr)
        XCTAssertTrue(interpret.stdout.contains("on 24 test images"), interpret.stdout)
        let features = try CLIProcess.run(["features", "--output", output, "--layer", "fc", "--npy", folder + "/a.npy"])
        XCTAssertEqual(features.stdout, "24 x 16 activations of fc written to \(folder!)/a.npy\n")
        // Other data: features says so; interpret refuses (BadInputTests).
        let other = folder + "/other"
        try writeToyDataFolder(other, train: 100, test: 30)
        let elsewhere = try CLIProcess.run(["features", "--data", other, "--output", output, "--layer", "fc", "--npy", folder + "/b.npy"])
        XCTAssertEqual(elsewhere.status, 0, elsewhere.stderr)
        XCTAssertTrue(elsewhere.stdout.hasPrefix("note: the model was trained on 'data'; these are its activations on 'other' (\(other))\n"), elsewhere.stdout)
    }

    // MARK: 4. Degenerate data

    func testBlankAndDuplicateImagesGiveNoEmptyCluster() throws {
        let blank = folder + "/blank"
        try FileManager.default.createDirectory(atPath: blank, withIntermediateDirectories: true)
        // Two distinct images only (all black, all white), repeated.
        let pixels = (0..<40).flatMap { [UInt8](repeating: $0 % 2 == 0 ? 0 : 255, count: 36) }
        let labels = (0..<40).map { UInt8($0 % 2) }
        for prefix in ["train", "t10k"] {
            try GzipFile.write(IDX.encode(images: ImageSet(count: 40, rows: 6, columns: 6, pixels: pixels)), to: "\(blank)/\(prefix)-images-idx3-ubyte.gz")
            try GzipFile.write(IDX.encode(labels: labels), to: "\(blank)/\(prefix)-labels-idx1-ubyte.gz")
        }
        let output = folder + "/blank-out"
        let result = try CLIProcess.run(["run", "--data", blank, "--output", output, "--architecture", "c1:conv(2,3,relu),fc:dense(4,relu),out:dense(2)",
                                         "--epochs", "2", "--batch-size", "10", "--no-augment", "--layer", "fc", "--k1", "5",
                                         "--trees", "3", "--augment-copies", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("instead of 5: the layer gives only that many distinct activation vectors"), result.stderr)
        let clusters = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/interpretation/clusters.json"))) as! [String: Any]
        let level1 = clusters["level1"] as! [[String: Any]]
        XCTAssertLessThanOrEqual(level1.count, 2)
        for entry in level1 {
            XCTAssertGreaterThan((entry["node"] as! [String: Any])["size"] as! Int, 0)
            for child in entry["children"] as! [[String: Any]] { XCTAssertGreaterThan(child["size"] as! Int, 0) }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: output + "/report/diagrams/tree.png"))
    }

    // MARK: 7. Crashes turned into messages

    func testRecursiveTemplatesAndDivergingTrainingAreOneLineErrors() throws {
        let output = folder + "/out"
        try toyRun(output)
        let before = snapshot(output)
        let templates = folder + "/templates"
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try FileManager.default.copyItem(atPath: repository.appendingPathComponent("Templates").path, toPath: templates)
        try "{{> index}}".write(toFile: templates + "/layout-head.mustache", atomically: true, encoding: .utf8)
        assertOneLineError(try run(["report", "--output", output, "--templates", templates]), status: 1,
                           contains: "includes itself through its partials (")
        try "{{#open}}".write(toFile: templates + "/layout-head.mustache", atomically: true, encoding: .utf8)
        let parse = try run(["report", "--output", output, "--templates", templates])
        assertOneLineError(parse, status: 1, contains: "layout-head.mustache: is not a valid Mustache template (line 1, column")
        XCTAssertFalse(parse.stderr.contains("ParserError"), parse.stderr)
        assertOneLineError(try run(["report", "--output", output, "--templates", folder + "/none"]), status: 64,
                           contains: "--templates: \(folder!)/none is not a folder")
        XCTAssertEqual(snapshot(output), before)

        let diverged = try run(["train", "--data", folder + "/data", "--output", output, "--architecture", toyLayers, "--epochs", "3",
                                "--learning-rate", "1e30", "--no-augment"])
        assertOneLineError(diverged, status: 1, contains: "training diverged at epoch 1")
        XCTAssertTrue(diverged.stderr.contains("lower --learning-rate"), diverged.stderr)
        XCTAssertEqual(snapshot(output), before)
    }

    // MARK: 8. Class names

    func testClassNamesThatCollideOrRunLongStillGetOneBookletEach() throws {
        let long = String(repeating: "very long name ", count: 20)
        try "digit-1\n1\n\\N \\G\n\(long)\n".write(toFile: folder + "/data/classes.txt", atomically: true, encoding: .utf8)
        let output = folder + "/names"
        try toyRun(output)
        let booklets = try FileManager.default.contentsOfDirectory(atPath: output + "/pdf").filter { $0.hasSuffix(".pdf") }
        XCTAssertEqual(booklets.count, 4, "\(booklets)")
        let text = try String(contentsOfFile: output + "/report/diagrams/2.svg", encoding: .utf8)
        XCTAssertTrue(text.contains(#"\N \G"#), "Graphviz must not expand the name")

        // Three labels without names: three classes, three booklets.
        let three = folder + "/three"
        try FileManager.default.createDirectory(atPath: three, withIntermediateDirectories: true)
        let (images, _) = ToyData.split(count: 60, seed: 3)
        for prefix in ["train", "t10k"] {
            try GzipFile.write(IDX.encode(images: images), to: "\(three)/\(prefix)-images-idx3-ubyte.gz")
            try GzipFile.write(IDX.encode(labels: (0..<60).map { UInt8($0 % 3) }), to: "\(three)/\(prefix)-labels-idx1-ubyte.gz")
        }
        let result = try run(["run", "--data", three, "--output", folder + "/three-out", "--architecture",
                              "c1:conv(4,3,relu),p1:maxpool(2),fc:dense(16,relu),out:dense(3)", "--epochs", "2", "--batch-size", "10",
                              "--no-augment", "--layer", "fc", "--k1", "2", "--k2", "2", "--trees", "3", "--augment-copies", "0"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/three-out/pdf").filter { $0.hasSuffix(".pdf") }.sorted(),
                       ["digit-0.pdf", "digit-1.pdf", "digit-2.pdf"])
    }

    // MARK: 9. Options and files

    func testOptionsAndAmbiguousFilesNameWhatIsWrong() throws {
        assertOneLineError(try run(["train", "--seed", "-1"]), status: 64, contains: "The value '-1' is invalid for '--seed <seed>'")
        assertOneLineError(try run(["report", "--classes", "x.txt"]), status: 64, contains: "Unknown option '--classes'")
        let both = folder + "/both"
        try FileManager.default.copyItem(atPath: folder + "/data", toPath: both)
        try Data(try GzipFile.read(both + "/t10k-labels-idx1-ubyte.gz").bytes).write(to: URL(fileURLWithPath: both + "/t10k-labels-idx1-ubyte"))
        assertOneLineError(try run(["data", "info", "--data", both]), status: 1, contains: "both present; remove one")
        let trailing = folder + "/trailing"
        try FileManager.default.copyItem(atPath: folder + "/data", toPath: trailing)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: trailing + "/train-images-idx3-ubyte.gz"))
        handle.seekToEndOfFile()
        handle.write(Data([1, 2, 3]))
        try handle.close()
        assertOneLineError(try run(["data", "info", "--data", trailing]), status: 1, contains: "3 bytes of trailing garbage after the gzip data")
    }
}
