import Datasets
import Foundation
import TestSupport
import XCTest
import ONNX

/// Bad input of every kind, end to end through the binary: each case must give exactly
/// one line on stderr naming what is wrong and where, the right exit status (64 for
/// usage), no crash or stack trace, and no partial output.
final class BadInputTests: XCTestCase {
    static var folder: String!

    override class func setUp() {
        folder = NSTemporaryDirectory() + "cnn-inte-bad-" + UUID().uuidString
        try! writeToyDataFolder(folder + "/data", train: 120, test: 24)
        for arguments in [
            ["train", "--architecture", toyLayers, "--epochs", "3", "--batch-size", "10", "--learning-rate", "0.01", "--no-augment"],
            ["interpret", "--k1", "2", "--k2", "2", "--trees", "3", "--augment-copies", "0", "--layer", "fc", "--no-global-forest"],
        ] {
            let result = try! CLIProcess.run(arguments + ["--data", folder + "/data", "--quiet", "--output", folder + "/out"])
            precondition(result.status == 0, result.stderr)
        }
    }

    override class func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    var folder: String { Self.folder }
    var data: String { folder + "/data" }
    var out: String { folder + "/out" }

    struct Case {
        var name: String
        var arguments: [String]
        var status: Int32
        var message: String
    }

    /// Runs the cases; checks the one-line error and that `watched` folders did not change.
    func check(_ cases: [Case], watched: [String]? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let folders = watched ?? [out]
        for c in cases {
            let before = try folders.map(listing)
            let result = try CLIProcess.run(c.arguments)
            XCTAssertEqual(result.status, c.status, "\(c.name): \(result.stderr)", file: file, line: line)
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "\(c.name): not one line: \(result.stderr)", file: file, line: line)
            XCTAssertTrue(result.stderr.hasPrefix("cnn-inte: error: "), "\(c.name): \(result.stderr)", file: file, line: line)
            XCTAssertTrue(result.stderr.contains(c.message), "\(c.name): expected '\(c.message)' in \(result.stderr)", file: file, line: line)
            XCTAssertFalse(result.stderr.contains("Backtrac") || result.stderr.contains("Fatal error"), c.name, file: file, line: line)
            XCTAssertEqual(try folders.map(listing), before, "\(c.name): output changed", file: file, line: line)
        }
        return cases.count
    }

    /// Every path under `root`, with sizes, so any new or changed file shows (the output
    /// folder's lock aside: it holds the last writer's process id).
    func listing(_ root: String) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.filter { $0 != ".cnn-inte.lock" }.sorted().map { path in
            let size = (try? FileManager.default.attributesOfItem(atPath: root + "/" + path)[.size] as? Int) ?? -1
            return "\(path) \(size)"
        }
    }

    /// A copy of folder `source`, named `name` in the test folder, with `damage` applied.
    func damagedCopy(of source: String, name: String, _ damage: (String) throws -> Void) throws -> String {
        let copy = folder + "/" + name
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        try damage(copy)
        return copy
    }

    /// A copy of the toy data folder with `damage` applied.
    func damagedData(_ name: String, _ damage: (String) throws -> Void) throws -> String {
        try damagedCopy(of: data, name: "damaged-" + name, damage)
    }

    func rewriteGzip(_ path: String, _ change: ([UInt8]) -> [UInt8]) throws {
        let (bytes, _) = try GzipFile.read(path)
        try GzipFile.write(change(bytes), to: path)
    }

    func testCorruptDataFolders() throws {
        let images = "/train-images-idx3-ubyte.gz", labels = "/train-labels-idx1-ubyte.gz"
        var cases: [Case] = []
        func add(_ name: String, _ file: String, _ message: String, _ damage: @escaping (String) throws -> Void) throws {
            let dir = try damagedData(name, damage)
            cases.append(Case(name: name, arguments: ["data", "info", "--data", dir], status: 1, message: dir + file + ": " + message))
        }
        try add("bad magic", images, "bad magic number") { dir in try self.rewriteGzip(dir + images) { var b = $0; b[3] = 0x99; return b } }
        try add("truncated gzip", images, "truncated") { dir in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + images))
            try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: dir + images))
        }
        try add("corrupt gzip", images, "corrupt") { dir in
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + images)))
            for i in 20..<60 { bytes[i] ^= 0x5A }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + images))
        }
        try add("short payload", images, "short payload") { dir in try self.rewriteGzip(dir + images) { Array($0.dropLast(36)) } }
        try add("count mismatch", images, "count mismatch") { dir in try self.rewriteGzip(dir + images) { $0 + [UInt8](repeating: 0, count: 36) } }
        try add("images and labels differ", labels, "") { dir in
            try GzipFile.write(IDX.encode(labels: [UInt8](repeating: 1, count: 100)), to: dir + labels)
        }
        try add("label out of range", labels, "label") { dir in
            try GzipFile.write(IDX.encode(labels: [UInt8](repeating: 9, count: 120)), to: dir + labels)
        }
        try add("garbage named .gz", labels, "") { dir in try Data("not gzip at all".utf8).write(to: URL(fileURLWithPath: dir + labels)) }
        try add("empty file", labels, "empty") { dir in try Data().write(to: URL(fileURLWithPath: dir + labels)) }
        try add("missing file", "/t10k-labels-idx1-ubyte[.gz]", "no such file") { dir in try FileManager.default.removeItem(atPath: dir + "/t10k-labels-idx1-ubyte.gz") }
        cases.append(Case(name: "missing folder", arguments: ["data", "info", "--data", folder + "/nowhere"], status: 64,
                          message: folder + "/nowhere"))
        // The same through a computing command: nothing is written.
        let broken = try damagedData("for-train") { dir in try Data().write(to: URL(fileURLWithPath: dir + labels)) }
        cases.append(Case(name: "train on a broken folder", arguments: ["train", "--data", broken, "--output", out + "-train"], status: 1,
                          message: broken + labels + ": empty"))
        let count = try check(cases, watched: [out, folder + "/out-train"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "-train"))
        XCTAssertEqual(count, 12)
    }

    func testBadModelsAndArtifacts() throws {
        let model = out + "/model/model.safetensors"
        func copyOut(_ name: String, _ damage: (String) throws -> Void) throws -> String {
            try damagedCopy(of: out, name: name, damage)
        }
        let truncated = try copyOut("truncated-model") { dir in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: model))
            try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir + "/model/model.safetensors"))
        }
        let corrupt = try copyOut("corrupt-model") { dir in
            try Data((0..<4000).map { UInt8(truncatingIfNeeded: $0 * 7) }).write(to: URL(fileURLWithPath: dir + "/model/model.safetensors"))
        }
        let badCSV = try copyOut("bad-csv") { dir in
            let path = dir + "/interpretation/instances.csv"
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = text.replacingOccurrences(of: "\n3,", with: "\n3,x,")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let noArtifacts = try copyOut("no-artifacts") { dir in try FileManager.default.removeItem(atPath: dir + "/interpretation") }
        let other = folder + "/other-data"
        try writeToyDataFolder(other, train: 100, test: 24)
        let interpret = ["interpret", "--data", data, "--k1", "2", "--k2", "2", "--trees", "3", "--layer", "fc", "--quiet"]
        let cases = [
            Case(name: "truncated model", arguments: interpret + ["--output", truncated], status: 1, message: truncated + "/model/model.safetensors: "),
            Case(name: "corrupt model", arguments: interpret + ["--output", corrupt], status: 1, message: corrupt + "/model/model.safetensors: "),
            Case(name: "data the model was not trained on", arguments: ["interpret", "--data", other, "--quiet", "--layer", "fc", "--output", out],
                 status: 64, message: "the model in \(out)/model was trained on 'data' (\(data)), not on 'other-data' (\(other)); pass --data \(data)"),
            Case(name: "artifacts of other data", arguments: ["report", "--data", other, "--quiet", "--output", out], status: 1,
                 message: out + "/interpretation/results.json: was made on other data"),
            Case(name: "malformed instances.csv", arguments: ["explain", "--index", "0", "--output", badCSV], status: 1,
                 message: badCSV + "/interpretation/instances.csv: line"),
            Case(name: "no interpretation", arguments: ["report", "--data", data, "--quiet", "--output", noArtifacts], status: 1,
                 message: noArtifacts + "/interpretation/results.json: missing; run 'cnn-inte interpret' first"),
        ]
        XCTAssertEqual(try check(cases, watched: [out, truncated, corrupt, badCSV, noArtifacts]), 6)
    }

    func testOutOfRangeOptions() throws {
        let interpret = ["interpret", "--data", data, "--layer", "fc", "--quiet", "--output", out]
        let cases = [
            Case(name: "k1 = 0", arguments: interpret + ["--k1", "0"], status: 64, message: "--k1 must be at least 1 (got 0)"),
            Case(name: "k2 = 0", arguments: interpret + ["--k2", "0"], status: 64, message: "--k2 must be at least 1 (got 0)"),
            Case(name: "k1 larger than the data", arguments: interpret + ["--k1", "500"], status: 64,
                 message: "--k1 500 is larger than the 120 training images to cluster"),
            Case(name: "zero trees", arguments: interpret + ["--trees", "0"], status: 64, message: "--trees must be at least 1 (got 0)"),
            Case(name: "unknown layer", arguments: interpret + ["--layer", "fc9"], status: 64, message: "--layer: unknown layer 'fc9'"),
            Case(name: "dpi 0", arguments: ["report", "--data", data, "--output", out, "--dpi", "0"], status: 64, message: "--dpi must be between 10 and 1200"),
            Case(name: "jobs 0", arguments: ["report", "--data", data, "--output", out, "--jobs", "0"], status: 64, message: "--jobs must be at least 1"),
            Case(name: "negative epochs", arguments: ["train", "--data", data, "--output", out, "--epochs=-2"], status: 64,
                 message: "--epochs must be at least 1 (got -2)"),
            Case(name: "index out of range", arguments: ["explain", "--index", "24", "--output", out], status: 64, message: "--index 24 is out of range"),
            Case(name: "unknown option", arguments: ["report", "--colour"], status: 64, message: "Unknown option '--colour'; see 'cnn-inte report --help'"),
            Case(name: "unknown dataset folder", arguments: ["train", "--data", folder + "/none", "--output", out], status: 64, message: folder + "/none"),
        ]
        XCTAssertEqual(try check(cases), 11)
    }

    func testUnusableOutputPaths() throws {
        let file = folder + "/a-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let cases = [
            Case(name: "output is a file", arguments: ["train", "--data", data, "--output", file, "--epochs", "1"], status: 1,
                 message: file + ": is a file"),
            Case(name: "output not writable", arguments: ["train", "--data", data, "--output", "/proc/cnn-inte-out", "--epochs", "1"], status: 1,
                 message: "/proc"),
        ]
        XCTAssertEqual(try check(cases), 2)
    }

    /// Running out of disk, on a 1 MB tmpfs: needs root (or a machine that lets us mount
    /// one); skipped, and said so, elsewhere.
    func testDiskFullLeavesNothingHalfWritten() throws {
        let tiny = folder + "/tiny"
        try FileManager.default.createDirectory(atPath: tiny, withIntermediateDirectories: true)
        guard mountTmpfs(at: tiny, size: "1m") else { throw XCTSkip("cannot mount a tmpfs here (not root?): the disk-full case did not run") }
        defer { unmount(tiny) }
        try FileManager.default.copyItem(atPath: out + "/interpretation", toPath: tiny + "/interpretation")
        let full = Case(name: "disk full", arguments: ["report", "--data", data, "--quiet", "--output", tiny], status: 1, message: "space")
        XCTAssertEqual(try check([full], watched: [out, tiny]), 1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tiny).sorted(), ["interpretation"])
    }

    func mountTmpfs(at path: String, size: String) -> Bool {
        (try? CLIProcess.run(["--version"])) != nil && shell("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]) == 0
    }

    func unmount(_ path: String) { _ = shell("/bin/umount", [path]) }

    func shell(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// An image folder of 6x6 PNGs (the toy model's size): two classes, two images each.
    func imageFolder(_ name: String, colour: Bool = false) throws -> String {
        let root = folder + "/" + name
        for split in ["train", "test"] {
            for (c, cls) in ["a", "b"].enumerated() {
                try FileManager.default.createDirectory(atPath: "\(root)/\(split)/\(cls)", withIntermediateDirectories: true)
                for i in 0..<2 {
                    let value = UInt8(60 * c + 20 * i)
                    let pixels = colour ? (0..<36).flatMap { _ in [value, 255 - value, 90] } : [UInt8](repeating: value, count: 36)
                    let png = ImageEncoder.encode(pixels, rows: 6, columns: 6, channels: colour ? 3 : 1, format: .png)!
                    FileManager.default.createFile(atPath: "\(root)/\(split)/\(cls)/\(i).png", contents: Data(png))
                }
            }
        }
        return root
    }

    func testBadImageFolders() throws {
        let good = try imageFolder("images")
        XCTAssertEqual(try CLIProcess.run(["data", "info", "--data", good]).status, 0)
        var cases: [Case] = []
        func add(_ name: String, file: String, _ message: String, _ damage: @escaping (String) throws -> Void) throws {
            let dir = try damagedCopy(of: good, name: "images-" + name.replacingOccurrences(of: " ", with: "-"), damage)
            cases.append(Case(name: name, arguments: ["data", "info", "--data", dir], status: 1, message: dir + file + ": " + message))
        }
        try add("zero-byte file", file: "/train/a/z.png", "empty file, not an image") { dir in
            FileManager.default.createFile(atPath: dir + "/train/a/z.png", contents: Data())
        }
        try add("text named .png", file: "/train/b/notes.png", "not a PNG or JPEG file") { dir in
            try Data("hello".utf8).write(to: URL(fileURLWithPath: dir + "/train/b/notes.png"))
        }
        try add("truncated PNG", file: "/test/a/cut.png", "corrupt or truncated image") { dir in
            let noise = (0..<36).map { UInt8(truncatingIfNeeded: $0 * 97) }
            let png = ImageEncoder.encode(noise, rows: 6, columns: 6, channels: 1, format: .png)!
            try Data(png.prefix(png.count - 20)).write(to: URL(fileURLWithPath: dir + "/test/a/cut.png"))
        }
        // A 48x48 JPEG cut in half: its header reads, so --resize brings it to size first.
        let cutJPEG = try damagedCopy(of: good, name: "images-truncated-JPEG") { dir in
            let noise = (0..<(48 * 48 * 3)).map { UInt8(truncatingIfNeeded: $0 * 97) }
            let jpeg = ImageEncoder.encode(noise, rows: 48, columns: 48, channels: 3, format: .jpeg(quality: 90))!
            try Data(jpeg.prefix(jpeg.count / 2)).write(to: URL(fileURLWithPath: dir + "/test/b/cut.jpg"))
        }
        cases.append(Case(name: "truncated JPEG", arguments: ["data", "info", "--data", cutJPEG, "--resize", "6x6"], status: 1,
                          message: cutJPEG + "/test/b/cut.jpg: corrupt or truncated image ("))
        try add("0 pixels", file: "/test/a/empty.png", "corrupt image header (invalid IHDR data)") { dir in
            // libpng refuses a width of 0 in the header itself.
            let png = HandMadePNG.file(width: 0, height: 6, bitDepth: 8, colourType: 0, rows: [])
            try Data(png).write(to: URL(fileURLWithPath: dir + "/test/a/empty.png"))
        }
        try add("decompression bomb", file: "/train/a/bomb.png", "9000x9000 pixels is more than the limit of 50 megapixels") { dir in
            let bomb = HandMadePNG.file(width: 9_000, height: 9_000, bitDepth: 8, colourType: 2, rows: [])
            try Data(bomb).write(to: URL(fileURLWithPath: dir + "/train/a/bomb.png"))
        }
        let mixed = try damagedCopy(of: good, name: "images-mixed") { dir in
            let png = ImageEncoder.encode([UInt8](repeating: 9, count: 64), rows: 8, columns: 8, channels: 1, format: .png)!
            FileManager.default.createFile(atPath: dir + "/train/b/big.png", contents: Data(png))
        }
        cases.append(Case(name: "mixed sizes", arguments: ["data", "info", "--data", mixed], status: 1,
                          message: "bring them to one size with --resize HxW"))
        for (option, value, message) in [("--resize", "0x5", "--resize takes HEIGHTxWIDTH"), ("--resize", "big", "--resize takes HEIGHTxWIDTH"),
                                         ("--channels", "2", "--channels must be 1 (grey) or 3 (RGB)"),
                                         ("--test-fraction", "1.5", "--test-fraction must be between 0 and 1")] {
            cases.append(Case(name: option + " " + value, arguments: ["data", "info", "--data", good, option, value], status: 64, message: message))
        }
        cases.append(Case(name: "test fraction on a split folder", arguments: ["data", "info", "--data", good, "--test-fraction", "0.3"],
                          status: 64, message: "already has train/ and test/"))
        // A grey model given colour images: refused, saying how to convert.
        let colour = try imageFolder("colour-images", colour: true)
        cases.append(Case(name: "colour data for a grey model",
                          arguments: ["features", "--data", colour, "--output", out, "--layer", "fc", "--npy", folder + "/c.npy", "--quiet"],
                          status: 64, message: "convert it with --channels 1"))
        let count = try check(cases, watched: [out, good])
        XCTAssertEqual(count, 13)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/c.npy"))
        // --skip-bad-images: counted and listed.
        let skipping = try CLIProcess.run(["data", "info", "--data", folder + "/images-zero-byte-file", "--skip-bad-images"])
        XCTAssertEqual(skipping.status, 0, skipping.stderr)
        XCTAssertTrue(skipping.stdout.contains("skipped:    1 file that did not decode (--skip-bad-images):"), skipping.stdout)
        XCTAssertTrue(skipping.stdout.contains(folder + "/images-zero-byte-file/train/a/z.png: empty file"), skipping.stdout)
        // ... and the same colour folder converted to grey is accepted.
        let converted = try CLIProcess.run(["features", "--data", colour, "--channels", "1", "--output", out, "--layer", "fc",
                                            "--npy", folder + "/c.npy", "--quiet"])
        XCTAssertEqual(converted.status, 0, converted.stderr)
    }
}

/// Broken and mismatched ONNX models through the binary: one line, exit 1, nothing written.
extension BadInputTests {
    func testBadONNXModels() throws {
        let fixtures = InspectCommandTests.fixtures
        let good = try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: fixtures + "/tiny-cnn.onnx")))
        let models = folder + "/onnx"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        func write(_ name: String, _ change: (inout Onnx_ModelProto) -> Void) throws -> String {
            var proto = good
            change(&proto)
            let path = models + "/" + name + ".onnx"
            try proto.serializedData().write(to: URL(fileURLWithPath: path))
            return path
        }
        let bytes = try good.serializedData()
        let truncated = models + "/truncated.onnx", corrupt = models + "/corrupt.onnx"
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: truncated))
        try Data(bytes.enumerated().map { $0.offset % 13 == 5 ? ~$0.element : $0.element }).write(to: URL(fileURLWithPath: corrupt))
        let cycle = try write("cycle") { $0.graph.node[0].input[0] = "logits" }
        let missing = try write("missing") { $0.graph.initializer.removeAll { $0.name == "fc.weight" } }
        let rank = try write("rank") { $0.graph.input[0].type.tensorType.shape.dim.removeLast() }
        let absurd = try write("absurd") { $0.graph.input[0].type.tensorType.shape.dim[2].dimValue = 1 << 40 }
        let dynamic = try write("dynamic") { $0.graph.input[0].type.tensorType.shape.dim[3].dimParam = "width" }
        let unsupported = try write("unsupported") { $0.graph.node[1].opType = "Selu" }
        // tiny-cnn takes 6x6 grey images and gives 3 classes, tiny-opset13 8x8 colour ones; the toy data is 6x6 grey with 4.
        let interpret = { (model: String) in ["interpret", "--model", model, "--data", self.data, "--layer", "flat", "--quiet", "--output", self.folder + "/onnx-out"] }
        let cases = [
            Case(name: "truncated", arguments: interpret(truncated), status: 1, message: truncated + ": not an ONNX model"),
            Case(name: "corrupt", arguments: interpret(corrupt), status: 1, message: corrupt + ": "),
            Case(name: "cycle", arguments: interpret(cycle), status: 1, message: "node 'conv' (Conv, opset 13): input 'logits' is made by no earlier node"),
            Case(name: "missing weights", arguments: interpret(missing), status: 1, message: "weights 'fc.weight' must be a float initializer"),
            Case(name: "wrong rank", arguments: interpret(rank), status: 1, message: "input 'image' has shape [N, 1, 6]; cnn-inte needs [N, C, H, W]"),
            Case(name: "absurd size", arguments: interpret(absurd), status: 1, message: "input 'image' has shape [N, 1, 1099511627776, 6]"),
            Case(name: "dynamic size", arguments: interpret(dynamic), status: 1, message: "input 'image' has shape [N, 1, 6, width]"),
            Case(name: "unsupported operator", arguments: interpret(unsupported), status: 1, message: "node 'relu' (Selu, opset 13): operator Selu is not supported yet"),
            Case(name: "images of another size", arguments: interpret(fixtures + "/tiny-opset13.onnx"), status: 64,
                 message: "tiny-opset13.onnx takes 8x8 images but 'data' (\(data)) has 6x6; bring them to the model's size with --resize 8x8"),
            Case(name: "another class count", arguments: interpret(fixtures + "/tiny-cnn.onnx"), status: 64,
                 message: "tiny-cnn.onnx predicts 3 classes but 'data' (\(data)) has 4"),
            Case(name: "declared logits, ends in softmax", arguments: interpret(fixtures + "/tiny-opset13.onnx") + ["--model-output", "logits"], status: 64,
                 message: "--model-output logits: "),
        ]
        XCTAssertEqual(try check(cases, watched: [out, models, data]), 11)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/onnx-out"), "nothing written")
    }
}
