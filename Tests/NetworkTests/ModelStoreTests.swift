import Numerics
import XCTest
@testable import Network

final class ModelStoreTests: XCTestCase {
    func testSafeTensorsLayoutByHand() throws {
        let bytes = SafeTensors.encode(["b": .init(shape: [2], values: [1, -2]), "a": .init(shape: [1, 1], values: [0.5])],
                                       metadata: ["k": "v"])
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual(Array(bytes[2..<8]), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(headerLength % 8, 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces),
                       #"{"__metadata__":{"k":"v"},"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1,1]},"b":{"data_offsets":[4,12],"dtype":"F32","shape":[2]}}"#)
        // 0.5, 1, -2 as little-endian Float32.
        XCTAssertEqual(Array(bytes[(8 + headerLength)...]), [0, 0, 0, 0x3F, 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0])
        let decoded = try SafeTensors.decode(bytes, path: "x")
        XCTAssertEqual(decoded.tensors["b"], .init(shape: [2], values: [1, -2]))
        XCTAssertEqual(decoded.metadata, ["k": "v"])
    }

    func testSaveLoadGivesIdenticalPredictions() throws {
        let model = try Model(graph: tinyGraph, seed: 3)
        var configuration = TrainingConfiguration()
        configuration.epochs = 1
        _ = try Trainer(model: model, configuration: configuration).train(toySplit(count: 40, seed: 1))
        let loaded = try ModelStore.decode(try ModelStore.encode(model), path: "m", expected: tinyGraph)
        let images = toySplit(count: 20, seed: 2).images
        XCTAssertEqual(try model.probabilities(images: images), try loaded.probabilities(images: images))
    }

    func assertRejected(_ bytes: [UInt8], saying words: String, expected: Graph? = nil, line: UInt = #line) {
        XCTAssertThrowsError(try ModelStore.decode(bytes, path: "/m/model.safetensors", expected: expected), line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix("/m/model.safetensors: "), message, line: line)
            XCTAssertTrue(message.contains(words), message, line: line)
        }
    }

    func testCorruptAndMismatchedFilesAreRejected() throws {
        let model = try Model(graph: tinyGraph, seed: 3)
        let good = try ModelStore.encode(model)
        assertRejected([], saying: "empty file")
        assertRejected(Array(good.prefix(5)), saying: "too short")
        assertRejected(Array(good.dropLast(7)), saying: "truncated")
        assertRejected(good + [0, 0, 0, 0], saying: "bytes after the last tensor")
        var garbage = good
        garbage[8] = UInt8(ascii: "!")  // the header's opening brace
        assertRejected(garbage, saying: "not valid JSON")
        assertRejected(Array(repeating: 0xFF, count: 64), saying: "header length")
        // Valid safetensors, but not from cnn-inte.
        assertRejected(SafeTensors.encode(["w": .init(shape: [1], values: [1])], metadata: [:]), saying: "without cnn-inte's model metadata (format none; this cnn-inte")
        // Another network than the one asked for.
        assertRejected(good, saying: "expected", expected: Builtins.deepMNIST(input: .init(channels: 1, height: 6, width: 6), classes: 4))
        // Right metadata, a tensor of the wrong shape, a missing one, an extra one.
        var tensors = try SafeTensors.decode(good, path: "x")
        let metadata = tensors.metadata
        tensors.tensors["c1.bias"] = .init(shape: [4], values: [0, 0, 0, 0])
        assertRejected(SafeTensors.encode(tensors.tensors, metadata: metadata), saying: "tensor 'c1.bias' has shape [4], expected [3]")
        tensors.tensors["c1.bias"] = nil
        // Too few values overall is caught before the model is allocated...
        assertRejected(SafeTensors.encode(tensors.tensors, metadata: metadata), saying: "holds 287 values but its network needs 290 parameters")
        // ...and a missing tensor by name.
        tensors.tensors["spare"] = .init(shape: [3], values: [0, 0, 0])
        assertRejected(SafeTensors.encode(tensors.tensors, metadata: metadata), saying: "tensor 'c1.bias' is missing")
        tensors = try SafeTensors.decode(good, path: "x")
        tensors.tensors["zz.weight"] = .init(shape: [1], values: [0])
        assertRejected(SafeTensors.encode(tensors.tensors, metadata: metadata), saying: "unexpected tensor 'zz.weight'")
        // Wrong dtype.
        var bytes = good
        if let range = findBytes(bytes, Array("\"F32\"".utf8)) { bytes.replaceSubrange(range, with: Array("\"F16\"".utf8)) }
        assertRejected(bytes, saying: "dtype F16")
        // A network too large to allocate (found by the fuzzer: sizes in metadata are untrusted).
        var huge = try SafeTensors.decode(good, path: "x")
        huge.metadata["format"] = ModelStore.legacyFormatTag
        huge.metadata["architecture"] = #"{"input":[6,6,1],"layers":[{"name":"fc","kind":"dense","units":16777216,"activation":"relu"},{"name":"out","kind":"dense","units":16777216}]}"#
        assertRejected(SafeTensors.encode(huge.tensors, metadata: huge.metadata), saying: "more than 1073741824 parameters")
        huge.metadata["architecture"] = #"{"input":[6,6,1],"layers":[{"name":"out","kind":"dense"}]}"#
        assertRejected(SafeTensors.encode(huge.tensors, metadata: huge.metadata), saying: "layer 'out' has no output count")
        huge.metadata["format"] = ModelStore.formatTag
        huge.metadata["graph"] = #"{"input":{"channels":1,"height":6,"width":6},"flattenOrder":"channelsLast","nodes":[{"name":"out","inputs":["input"],"op":{"dense":{"_0":{"units":99999999,"bias":true,"activation":{"none":{}}}}}}]}"#
        assertRejected(SafeTensors.encode(huge.tensors, metadata: huge.metadata), saying: "needs 1-16777216 outputs")
    }

    private func findBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Range<Int>? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<(i + needle.count)]) == needle {
            return i..<(i + needle.count)
        }
        return nil
    }
}
