import CSupport
import Numerics
import XCTest
@testable import Network

/// Which batch norms absorb the ReLU after them and which concatenations absorb the batch
/// norm after them, at inference. (The values are checked against the reference graph in
/// EngineTests, every node kept alone in turn so the others fuse around it.)
final class NormalizationFusionTests: XCTestCase {
    static let layers = "c0:conv(16,3),c1:conv(16,3),k:concat(c0,c1),n:bn(),r:relu(),c2:conv(16,1),k2:concat(c0,c1,c2),n2:bn(),c3:conv(16,1),n3:bn(),r3:relu(),s:add(n3,r3),out:dense(3)"
    static let input = Graph.InputShape(channels: 3, height: 6, width: 6)

    func testPlans() throws {
        let graph = try LayerList.parse(Self.layers, input: Self.input)
        // n3 is read by its ReLU and by the addition: not fused.
        XCTAssertEqual(NormalizationFusion.plans(graph: graph, keep: [], absorbedElsewhere: []), ["n": "r"])
        XCTAssertEqual(NormalizationFusion.plans(graph: graph, keep: ["n"], absorbedElsewhere: []), [:])
        XCTAssertEqual(NormalizationFusion.plans(graph: graph, keep: [], absorbedElsewhere: ["r"]), [:])
        XCTAssertEqual(ConcatNormalization.candidates(graph: graph, keep: []), ["k": "n", "k2": "n2"])
        XCTAssertEqual(ConcatNormalization.candidates(graph: graph, keep: ["k", "n2"]), [:])
        // A concatenation read by a convolution as well is a concatenation.
        let shared = try LayerList.parse("c0:conv(16,3),c1:conv(16,3),k:concat(c0,c1),n:bn(),c2:conv(32,1)<k,s:add(n,c2),out:dense(3)", input: Self.input)
        XCTAssertEqual(ConcatNormalization.candidates(graph: shared, keep: []), [:])
    }

    func testBlocks() {
        XCTAssertEqual(ConcatNormalization.block(of: .nChw16c, channels: [64, 32]), 16)
        XCTAssertNil(ConcatNormalization.block(of: .nChw16c, channels: [64, 8]))
        XCTAssertEqual(ConcatNormalization.block(of: .nChw8c, channels: [8, 24]), 8)
        XCTAssertEqual(ConcatNormalization.block(of: .nchw, channels: [3, 5]), 1)
        XCTAssertNil(ConcatNormalization.block(of: .nhwc, channels: [16]))
        XCTAssertNil(ConcatNormalization.block(of: nil, channels: [16]))
    }

    /// The fused loop by hand: one channel's plane (plain NCHW), and two positions of a
    /// block of 8 channels, with and without the ReLU.
    func testChannelAffineByHand() {
        var out = [Float](repeating: 9, count: 16)
        cnninte_channel_affine([1, -2, 3], &out, 3, 1, [2], [0.5], 1)
        XCTAssertEqual(Array(out.prefix(4)), [2.5, 0, 6.5, 9])
        cnninte_channel_affine([1, -2, 3], &out, 3, 1, [2], [0.5], 0)
        XCTAssertEqual(Array(out.prefix(3)), [2.5, -3.5, 6.5])
        let x: [Float] = (0..<16).map { Float($0) - 4 }
        let a: [Float] = (0..<8).map { Float($0 + 1) }, b: [Float] = (0..<8).map { -Float($0) }
        cnninte_channel_affine(x, &out, 2, 8, a, b, 0)
        XCTAssertEqual(out, (0..<16).map { x[$0] * a[$0 % 8] + b[$0 % 8] })
        cnninte_channel_affine(x, &out, 2, 8, a, b, 1)
        XCTAssertEqual(out, (0..<16).map { max(0, x[$0] * a[$0 % 8] + b[$0 % 8]) })
    }

    /// On either CPU the 16-filter convolutions leave blocks of 8 or 16 channels, which the
    /// fused kernel takes.
    func testExecutorRunsTheFusedKernels() throws {
        let model = try Model(graph: try LayerList.parse(Self.layers, input: Self.input), seed: 1)
        let executor = try model.executor(.inference, batch: 2, keep: [])
        let kinds = Dictionary(uniqueKeysWithValues: executor.kernels.map { ($0.0, String(describing: type(of: $0.1))) })
        XCTAssertEqual(executor.kernels.map(\.0), ["c0", "c1", "k", "n", "r", "c2", "k2", "n2", "c3", "n3", "r3", "s", "out"])
        XCTAssertEqual(kinds["k"], "ConcatNormalizationKernel")
        XCTAssertEqual(kinds["n"], "AbsorbedKernel")
        XCTAssertEqual(kinds["r"], "AbsorbedKernel")
        XCTAssertEqual(kinds["k2"], "ConcatNormalizationKernel")
        XCTAssertEqual(kinds["n2"], "AbsorbedKernel")
        XCTAssertEqual(kinds["n3"], "BatchNormalizationKernel")
        XCTAssertEqual(kinds["r3"], "ActivationKernel")
        // The fused pass gives the unfused one's logits (every node kept: nothing fused).
        var rng = SplitMix64(seed: 3)
        let unfused = try model.executor(.inference, batch: 2, keep: Set(model.graph.names))
        XCTAssertFalse(unfused.kernels.contains { $0.1 is ConcatNormalizationKernel || $0.1 is AbsorbedKernel })
        for i in 0..<(2 * 3 * 6 * 6) {
            let v = Float(rng.nextUnit() * 2 - 1)
            executor.input.floats[i] = v
            unfused.input.floats[i] = v
        }
        executor.forward()
        unfused.forward()
        var (fused, plain) = ([Float](repeating: 0, count: 6), [Float](repeating: 0, count: 6))
        try fused.withUnsafeMutableBufferPointer { try executor.read("out", into: $0.baseAddress!) }
        try plain.withUnsafeMutableBufferPointer { try unfused.read("out", into: $0.baseAddress!) }
        for (a, b) in zip(fused, plain) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b))) }
        // Training runs every node on its own.
        let training = try model.executor(.training, batch: 2, keep: [])
        XCTAssertFalse(training.kernels.contains { $0.1 is ConcatNormalizationKernel || $0.1 is AbsorbedKernel })
    }
}
