import Numerics
import XCTest
@testable import Network

/// The operations imported models bring (ImportedOperations.swift, new activations), each
/// on tiny shapes against the plain reference (ReferenceImported.swift), at inference, with
/// no primitive on oneDNN's reference code.
final class ImportedOperationTests: XCTestCase {
    static func node(_ name: String, _ op: Network.Operation, _ inputs: [String]) -> Node { Node(name, op, inputs: inputs) }
    static func conv(_ filters: Int, _ activation: Activation = .none) -> Network.Operation {
        .convolution(Convolution(filters: filters, kernel: [3, 3], activation: activation))
    }

    /// Graphs of 2-channel 6x6 images, each ending in a dense layer to 3 logits.
    static let graphs: [(String, [Node])] = [
        ("activations, alone and fused", [
            node("c0", conv(4), [Graph.inputName]),
            node("hs", .activation(.hardSwish), ["c0"]), node("hg", .activation(.hardSigmoid(alpha: 0.2, beta: 0.5)), ["hs"]),
            node("si", .activation(.silu), ["hg"]), node("ge", .activation(.gelu(approximate: false)), ["si"]),
            node("gt", .activation(.gelu(approximate: true)), ["ge"]), node("el", .activation(.elu(alpha: 0.7)), ["gt"]),
            node("mi", .activation(.mish), ["el"]), node("sp", .activation(.softplus), ["mi"]), node("ng", .activation(.negate), ["sp"]),
            node("er", .activation(.erf), ["ng"]), node("ex", .activation(.exp), ["er"]),
            node("c1", conv(4, .hardSigmoid(alpha: 1 / 6, beta: 0.5)), ["ex"]), node("c2", conv(5, .silu), ["c1"]),
            node("c3", conv(5, .gelu(approximate: false)), ["c2"]),
            node("out", .dense(Dense(units: 3)), ["c3"]),
        ]),
        ("binary operations, broadcast", [
            node("c0", conv(4), [Graph.inputName]), node("c1", conv(4, .relu), [Graph.inputName]),
            node("g", .globalAveragePooling, ["c1"]), node("r", .channelReduction(ChannelReduction(.mean)), ["c0"]),
            node("se", .binary(Binary(.mul)), ["c0", "g"]),        // squeeze-and-excitation: [4, 6, 6] x [4]
            node("sw", .binary(Binary(.sub)), ["g", "c1"]),         // the broadcast one first: turned around and negated
            node("dv", .binary(Binary(.div)), ["se", "sw"]),
            node("mx", .binary(Binary(.max)), ["dv", "r"]),         // [4, 6, 6] and [1, 6, 6]
            node("both", .binary(Binary(.sub)), ["g", "r"]),        // [4, 1, 1] - [1, 6, 6]: both broadcast
            node("mn", .binary(Binary(.min)), ["mx", "both"]), node("ad", .binary(Binary(.add)), ["g", "g"]),
            node("out", .dense(Dense(units: 3)), ["mn"]),
        ]),
        ("channel windows, reductions, softmax, layer norm, shuffles", [
            node("c0", conv(12), [Graph.inputName]),
            node("a", .channels(start: 0, end: 3), ["c0"]), node("b", .channels(start: 3, end: 12), ["c0"]),
            node("k", .concat, ["b", "a"]), node("ln", .layerNormalization(epsilon: 1e-6), ["k"]),
            node("sm", .softmax, ["ln"]), node("mx", .channelReduction(ChannelReduction(.max)), ["sm"]),
            node("sum", .channelReduction(ChannelReduction(.sum)), ["ln"]),
            node("g", .globalAveragePooling, ["ln"]), node("gl", .layerNormalization(epsilon: 1e-5), ["g"]),
            node("gs", .softmax, ["gl"]), node("gw", .channels(start: 2, end: 7), ["gs"]),
            node("cat", .concat, ["mx", "sum"]), node("sh", .channelShuffle(groups: 2), ["ln"]), node("sh3", .channelShuffle(groups: 3), ["sh"]),
            // 16 channels fill oneDNN's blocks (its shuffle primitive); 12 do not (plane copies).
            node("c16", conv(16), [Graph.inputName]), node("s16", .channelShuffle(groups: 4), ["c16"]),
            node("j", .concat, ["sh3", "s16"]),
            node("out", .dense(Dense(units: 3)), ["j"]),
        ]),
        ("resizing and padding", [
            node("c0", conv(3), [Graph.inputName]),
            node("up", .resize(Resize(height: 12, width: 12, mode: .nearest, coordinates: .asymmetric, rounding: .floor, scales: [2, 2])), ["c0"]),
            node("bl", .resize(Resize(height: 9, width: 7, mode: .linear, coordinates: .halfPixel)), ["up"]),
            node("pt", .resize(Resize(height: 4, width: 5, mode: .linear, coordinates: .pytorchHalfPixel)), ["bl"]),
            node("ac", .resize(Resize(height: 7, width: 9, mode: .linear, coordinates: .alignCorners)), ["pt"]),
            node("nr", .resize(Resize(height: 10, width: 11, mode: .nearest, coordinates: .halfPixel, rounding: .roundPreferCeil)), ["ac"]),
            node("pc", .pad(Pad(top: 1, left: 2, bottom: 0, right: 3, mode: .constant(-1.5))), ["nr"]),
            node("pr", .pad(Pad(top: 2, left: 1, bottom: 3, right: 2, mode: .reflect)), ["pc"]),
            node("pe", .pad(Pad(top: 0, left: 3, bottom: 2, right: 1, mode: .edge)), ["pr"]),
            // Negative amounts crop (Keras' Cropping2D), also beside padding on another side.
            node("cr", .pad(Pad(top: -2, left: -3, bottom: -1, right: 1, mode: .reflect)), ["pe"]),
            node("cc", .pad(Pad(top: -1, left: 0, bottom: 0, right: -4, mode: .constant(0))), ["cr"]),
            node("mp", .pooling(Pooling(kind: .max, window: [3, 3], stride: [2, 2])), ["cc"]),
            // PyTorch's adaptive pooling: 4x4 to 5x3 (windows of 1 and 2 rows, overlapping
            // columns of 2), then to 3x2; and of 16 channels in oneDNN's blocks.
            node("ap", .adaptiveAveragePooling(AdaptivePooling(height: 5, width: 3)), ["c0"]),
            node("ap2", .adaptiveAveragePooling(AdaptivePooling(height: 3, width: 2)), ["ap"]),
            node("c16", conv(16), [Graph.inputName]), node("ap16", .adaptiveAveragePooling(AdaptivePooling(height: 7, width: 3)), ["c16"]),
            node("out", .dense(Dense(units: 3)), ["mp"]),
        ]),
    ]

    func testEveryOperationMatchesTheReference() throws {
        for (name, nodes) in Self.graphs {
            let graph = Graph(input: .init(channels: 2, height: 6, width: 6), nodes: nodes, flattenOrder: .channelsFirst)
            let model = try Model(graph: graph, seed: 7)
            var reference = ReferenceGraph(graph: graph, parameters: [:])
            var rng = SplitMix64(seed: 11)
            for p in model.parameters {
                let values: [Float] = (0..<p.spec.count).map { _ in
                    p.spec.role == .scale || p.spec.role == .runningVariance ? Float(0.5 + rng.nextUnit()) : Float(rng.nextUnit() - 0.5)
                }
                try p.setPlain(values)
                reference.parameters[p.name] = values.map(Double.init)
            }
            var inputRng = SplitMix64(seed: 3)
            let x = ReferenceGraph.Tensor(dims: [3, 2, 6, 6], values: (0..<216).map { _ in inputRng.nextUnit() * 2 - 1 })
            let expected = try reference.evaluate(x, training: false)
            let executor = try model.executor(.inference, batch: 3, keep: Set(graph.names))
            for (i, v) in x.values.enumerated() { executor.input.floats[i] = Float(v) }
            executor.forward()
            for node in graph.nodes {
                let want = expected[node.name]!.values
                var got = [Float](repeating: 0, count: want.count)
                try got.withUnsafeMutableBufferPointer { try executor.read(node.name, into: $0.baseAddress!) }
                let scale = max(1, want.map(abs).max()!)
                let worst = zip(got, want).map { abs(Double($0) - $1) }.max()!
                XCTAssertLessThan(worst, 1e-4 * scale, "\(name): node \(node.name)")
            }
            // Nor oneDNN's plain-layout pooling (a pooling after a pad node reads plain NCHW).
            let slow = executor.kernelImplementations.filter { $0.1.contains { $0.hasPrefix("ref") || $0.hasPrefix("simple_nchw") } }
            XCTAssertTrue(slow.isEmpty, "\(name): \(slow)")
            XCTAssertThrowsError(try model.executor(.training, batch: 3), name) { error in
                XCTAssertTrue("\(error)".contains("inference only"), "\(error)")
            }
        }
    }

    /// PyTorch's windows worked by hand, and the plane kernel on them: 3x3 to 2x2 (windows
    /// of 2 that overlap), 2x2 to 3x3 (windows of 1 and 2 pixels).
    func testAdaptivePoolingByHand() throws {
        XCTAssertEqual(AdaptivePooling.windows(input: 3, output: 2), [0..<2, 1..<3])
        XCTAssertEqual(AdaptivePooling.windows(input: 2, output: 3), [0..<1, 0..<2, 1..<2])
        XCTAssertEqual(AdaptivePooling.windows(input: 3, output: 7), [0..<1, 0..<1, 0..<2, 1..<2, 1..<3, 2..<3, 2..<3])
        XCTAssertEqual(AdaptivePooling.windows(input: 10, output: 4), [0..<3, 2..<5, 5..<8, 7..<10])
        func pool(_ x: [Float], width: Int, height: Int, to out: (Int, Int)) -> [Float] {
            var y = [Float](repeating: .nan, count: out.0 * out.1)
            adaptiveAveragePool(x, width: width, rows: AdaptivePooling.windows(input: height, output: out.0),
                                columns: AdaptivePooling.windows(input: width, output: out.1), into: &y)
            return y
        }
        XCTAssertEqual(pool([1, 2, 3, 4, 5, 6, 7, 8, 9], width: 3, height: 3, to: (2, 2)), [3, 4, 6, 7])
        XCTAssertEqual(pool([1, 2, 3, 4], width: 2, height: 2, to: (3, 3)), [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4])
    }

    func testShapesAndRefusals() throws {
        func shape(_ op: Network.Operation, _ inputs: [[Int]]) throws -> [Int] {
            try Graph.outputShape(of: Node("n", op, inputs: inputs.indices.map { "i\($0)" }), inputs: inputs, isLast: false)
        }
        XCTAssertEqual(try shape(.binary(Binary(.mul)), [[8, 5, 5], [8]]), [8, 5, 5])
        XCTAssertEqual(try shape(.binary(Binary(.add)), [[8, 1, 1], [1, 5, 4]]), [8, 5, 4])
        XCTAssertThrowsError(try shape(.binary(Binary(.add)), [[8, 5, 5], [4]]))
        XCTAssertThrowsError(try shape(.binary(Binary(.add)), [[8, 5, 5]]))
        XCTAssertEqual(try shape(.channels(start: 2, end: 5), [[8, 5, 5]]), [3, 5, 5])
        XCTAssertThrowsError(try shape(.channels(start: 5, end: 9), [[8, 5, 5]]))
        XCTAssertEqual(try shape(.resize(Resize(height: 10, width: 3, mode: .linear)), [[8, 5, 5]]), [8, 10, 3])
        XCTAssertThrowsError(try shape(.resize(Resize(height: 0, width: 3, mode: .linear)), [[8, 5, 5]]))
        XCTAssertThrowsError(try shape(.resize(Resize(height: 100_000, width: 100_000, mode: .linear)), [[8, 5, 5]]))
        XCTAssertEqual(try shape(.pad(Pad(top: 1, left: 2, bottom: 3, right: 4, mode: .edge)), [[8, 5, 5]]), [8, 9, 11])
        XCTAssertEqual(try shape(.adaptiveAveragePooling(AdaptivePooling(height: 7, width: 3)), [[8, 3, 5]]), [8, 7, 3])
        XCTAssertThrowsError(try shape(.adaptiveAveragePooling(AdaptivePooling(height: 0, width: 3)), [[8, 3, 5]]))
        XCTAssertThrowsError(try shape(.adaptiveAveragePooling(AdaptivePooling(height: 7, width: 3)), [[8]]))
        XCTAssertEqual(try shape(.pad(Pad(top: -1, left: 2, bottom: -3, right: 0, mode: .edge)), [[8, 5, 5]]), [8, 1, 7])
        XCTAssertThrowsError(try shape(.pad(Pad(top: -2, left: 0, bottom: -3, right: 0, mode: .constant(0))), [[8, 5, 5]]))
        XCTAssertThrowsError(try shape(.pad(Pad(top: 5, left: 0, bottom: 0, right: 0, mode: .reflect)), [[8, 5, 5]]))
        XCTAssertEqual(try shape(.channelReduction(ChannelReduction(.mean)), [[8, 5, 5]]), [1, 5, 5])
    }
}
