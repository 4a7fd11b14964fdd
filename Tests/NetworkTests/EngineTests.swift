import Foundation
import Numerics
import XCTest
@testable import Network

extension Parameter {
    /// The values in oneDNN's logical order, row-major (whatever their layout).
    func plainValues() throws -> [Float] { try plain(value) }
    func plainGradient() throws -> [Float] { try plain(gradient!) }

    private func plain(_ memory: DNNLMemory) throws -> [Float] {
        var out = [Float](repeating: 0, count: spec.count)
        try out.withUnsafeMutableBytes { try Primitive.reorder(memory, into: try DNNLMemory(MemoryDescriptor(dims: spec.dims), handle: $0.baseAddress)) }
        return out
    }

    func setPlain(_ values: [Float]) throws {
        var copy = values
        try copy.withUnsafeMutableBytes { try Primitive.reorder(try DNNLMemory(MemoryDescriptor(dims: spec.dims), handle: $0.baseAddress), into: value) }
        touched()
    }
}

/// Every kind of node, on tiny shapes: the engine's forward against the plain reference
/// (`ReferenceGraph`, in Double), and its gradients against finite differences of the
/// reference's loss. Each graph starts with a convolution `c0`, so the gradient the node
/// under test passes back shows in `c0`'s weights.
final class EngineTests: XCTestCase {
    struct Case {
        var name: String
        var layers: String
        var input = Graph.InputShape(channels: 2, height: 6, width: 6)
        var order = Graph.FlattenOrder.channelsLast
        /// Its point is an inference path (training runs the kernels the other cases check):
        /// no finite differences, which on 64 filters take minutes in a debug build.
        var inferencePath = false
    }

    static let cases: [Case] = [
        Case(name: "conv same relu", layers: "c0:conv(3,3,relu),c1:conv(4,3,relu),out:dense(3)"),
        Case(name: "conv strided valid dilated grouped", layers: "c0:conv(4,3),c1:conv(4,3,leakyrelu=0.1,stride=2,padding=valid,dilation=2,groups=2,bias=no),out:dense(3)",
             input: .init(channels: 2, height: 9, width: 9)),
        Case(name: "conv explicit padding, depthwise", layers: "c0:conv(3,1),c1:conv(3,3,padding=1:0:2:1,groups=3,stride=2x1),out:dense(3)"),
        Case(name: "max pooling same", layers: "c0:conv(3,3),p:maxpool(3,stride=2,padding=same),out:dense(3)", input: .init(channels: 1, height: 7, width: 7)),
        Case(name: "average pooling ceil, padding counted", layers: "c0:conv(2,3),p:avgpool(3,stride=2,padding=1,ceil=yes,countpadding=yes),out:dense(3)"),
        Case(name: "average pooling", layers: "c0:conv(2,3),p:avgpool(2),out:dense(3)"),
        Case(name: "global average pooling", layers: "c0:conv(3,3),g:gap(),out:dense(3)"),
        Case(name: "batch normalization on maps and vectors", layers: "c0:conv(3,3),n:bn(),r:relu(),d:dense(5),n2:bn(),out:dense(3)"),
        Case(name: "activations", layers: "c0:conv(3,3),a:relu6(),b:sigmoid(),c:tanh(),d:leakyrelu(0.2),e:clip(-0.5,0.7),out:dense(3)"),
        Case(name: "residual add", layers: "c0:conv(3,3),c1:conv(3,3,relu),c2:conv(3,1),s:add(c2,c0),out:dense(3)"),
        // Fused at inference (`ResidualFusion`): with the ReLU after, the residual read again
        // later (copied, not overwritten), and a convolution of the residual itself.
        Case(name: "residual add, ReLU, residual read later",
             layers: "c0:conv(3,3),c1:conv(3,3,relu),c2:conv(3,1),s:add(c2,c0),r:relu(),c3:conv(3,1),t:add(c3,c0),u:relu6(),out:dense(3)"),
        // At inference, convolutions of 64 filters or more on planes of at most 64 pixels run
        // as GEMMs (`GemmConvolution`), with a fused residual; the smaller ones above and
        // the same past that plane on oneDNN's direct kernels.
        Case(name: "GEMM convolutions, residual fused, strided and dilated",
             layers: "c0:conv(64,3),c1:conv(64,3,relu),c2:conv(64,3),s:add(c2,c0),r:relu(),c3:conv(64,3,stride=2,dilation=2,bias=no),out:dense(3)",
             inferencePath: true),
        // At inference, 3x3 convolutions of stride 1 may run as Winograd's F(4x4, 3x3) where
        // the CPU has that kernel (AVX-512; see testWinogradAtInference), weights filled
        // through a plain layout from the blocked one training leaves.
        Case(name: "3x3 convolutions on 16x16 planes, Winograd's candidates",
             layers: "c0:conv(16,3),c1:conv(16,3,relu),c2:conv(16,3),s:add(c2,c1),out:dense(3)",
             input: .init(channels: 3, height: 16, width: 16), inferencePath: true),
        Case(name: "convolutions and residual adds on 9x9 planes",
             layers: "c0:conv(3,3),c1:conv(3,3,relu),c2:conv(3,1),s:add(c2,c0),r:relu(),c3:conv(3,1),t:add(c3,c0),u:relu6(),c4:conv(4,3,stride=2,dilation=2),out:dense(3)",
             input: .init(channels: 2, height: 9, width: 9)),
        Case(name: "residual add of the convolution's own input", layers: "c0:conv(4,3),c2:conv(4,3),s:add(c0,c2),r:relu(),out:dense(3)"),
        Case(name: "concat", layers: "c0:conv(2,3),c1:conv(3,1,relu),k:concat(c0,c1),out:dense(3)"),
        // At inference a concatenation read only by a batch norm is one pass from its inputs
        // (`ConcatNormalization`, where they fill whole channel blocks), and a batch norm read
        // only by a ReLU applies it (`NormalizationFusion`): DenseNet's layer, with and
        // without the ReLU, and with a batch norm read by more than its ReLU.
        Case(name: "concat, batch norm and ReLU fused (DenseNet's layer)",
             layers: "c0:conv(16,3),c1:conv(32,3),k:concat(c0,c1),n:bn(),r:relu(),c2:conv(16,1),k2:concat(c0,c1,c2),n2:bn(),c3:conv(16,1),n3:bn(),r3:relu(),s:add(n3,r3),out:dense(3)",
             inferencePath: true),
        Case(name: "flatten, channels last", layers: "c0:conv(3,3),f:flatten(),out:dense(3)"),
        Case(name: "flatten, channels first", layers: "c0:conv(3,3),f:flatten(),out:dense(3)", order: .channelsFirst),
        Case(name: "dense on a map, channels first", layers: "c0:conv(3,3,relu),h:dense(4,tanh),out:dense(3)", order: .channelsFirst),
    ]

    /// The model with random values everywhere (statistics too), and its reference.
    static func make(_ c: Case, seed: UInt64) throws -> (Model, ReferenceGraph) {
        var graph = try LayerList.parse(c.layers, input: c.input)
        graph.flattenOrder = c.order
        let model = try Model(graph: graph, seed: seed)
        var rng = SplitMix64(seed: seed &+ 99)
        var reference = ReferenceGraph(graph: graph, parameters: [:])
        for p in model.parameters {
            let values: [Float] = (0..<p.spec.count).map { _ in
                switch p.spec.role {
                case .runningVariance: return Float(0.5 + rng.nextUnit())
                case .scale: return Float(0.5 + rng.nextUnit())
                default: return Float(rng.nextUnit() - 0.5)
                }
            }
            try p.setPlain(values)
            reference.parameters[p.name] = values.map(Double.init)
        }
        return (model, reference)
    }

    static func input(_ c: Case, batch: Int, seed: UInt64) -> ReferenceGraph.Tensor {
        var rng = SplitMix64(seed: seed)
        let dims = [batch, c.input.channels, c.input.height, c.input.width]
        return .init(dims: dims, values: (0..<dims.reduce(1, *)).map { _ in rng.nextUnit() * 2 - 1 })
    }

    /// Runs `executor` forward on `input` and checks `nodes` and the logits against the
    /// reference, within 1e-4 of each value's scale.
    static func assertForwardMatches(_ executor: Executor, model: Model, reference: ReferenceGraph, input x: ReferenceGraph.Tensor,
                                     mode: Executor.Mode, nodes: [String], _ what: String,
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        for (i, v) in x.values.enumerated() { executor.input.floats[i] = Float(v) }
        executor.forward()
        let expected = try reference.evaluate(x, training: mode == .training)
        for name in nodes + [model.graph.logitsNode.name] {
            let want = ReferenceGraph.flatten(expected[name]!, order: model.graph.flattenOrder)
            var got = [Float](repeating: 0, count: want.count)
            try got.withUnsafeMutableBufferPointer { try executor.read(name, into: $0.baseAddress!) }
            let scale = max(1, want.map(abs).max()!)
            let worst = zip(got, want).map { abs(Double($0) - $1) }.max()!
            XCTAssertLessThan(worst, 1e-4 * scale, "\(what), node \(name)", file: file, line: line)
        }
    }

    func testForwardMatchesTheReferenceInBothModes() throws {
        for c in Self.cases {
            let (model, reference) = try Self.make(c, seed: 3)
            let x = Self.input(c, batch: 3, seed: 4)
            // Every node kept in one executor; and at inference each node kept alone, so the
            // others may be fused away around it. Training last: its pass moves the batch
            // norms' running statistics.
            let all = Set(model.graph.names)
            var runs: [(Executor.Mode, Set<String>, [String])] = [(.inference, all, model.graph.names)]
            runs += model.graph.names.map { (.inference, [$0], [$0]) }
            runs.append((.training, all, model.graph.names))
            for (mode, keep, read) in runs {
                let executor = try model.executor(mode, batch: 3, keep: keep)
                try Self.assertForwardMatches(executor, model: model, reference: reference, input: x, mode: mode, nodes: read,
                                              "\(c.name), \(mode), keeping \(keep.sorted())")
            }
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        for c in Self.cases where !c.inferencePath {
            let (model, reference) = try Self.make(c, seed: 5)
            let x = Self.input(c, batch: 2, seed: 6)
            let labels = [1, 2]
            let executor = try model.executor(.training, batch: 2)
            for (i, v) in x.values.enumerated() { executor.input.floats[i] = Float(v) }
            executor.forward()
            let logits = try executor.logits()
            try executor.setLogitsGradient { g in
                let l = labels.map(Int32.init)
                _ = l.withUnsafeBufferPointer {
                    SoftmaxCrossEntropy.lossAndGradient(logits: logits, rows: 2, classes: 3, labels: $0.baseAddress!, gradient: g)
                }
            }
            executor.backward()
            for p in model.trainableParameters {
                let analytic = try p.plainGradient()
                // A handful of elements of every parameter, spread over it.
                for i in Set(stride(from: 0, to: p.spec.count, by: max(1, p.spec.count / 6))).sorted() {
                    var plus = reference, minus = reference
                    let h = 1e-5
                    plus.parameters[p.name]![i] += h
                    minus.parameters[p.name]![i] -= h
                    let numeric = (try plus.loss(x, labels: labels, training: true) - minus.loss(x, labels: labels, training: true)) / (2 * h)
                    XCTAssertEqual(Double(analytic[i]), numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "\(c.name): \(p.name)[\(i)]")
                }
            }
        }
    }

    /// Dropout keeps each value with probability 1 - rate, scaled, and passes the gradient
    /// through the same mask; at inference it is the identity.
    func testDropoutMasksTheValuesAndTheirGradients() throws {
        let graph = try LayerList.parse("c0:conv(4,3,relu),d:dropout(0.5),out:dense(3)", input: .init(channels: 1, height: 5, width: 5))
        let model = try Model(graph: graph, seed: 1)
        let executor = try model.executor(.training, batch: 4)
        for i in 0..<100 { executor.input.floats[i] = Float(i % 7) / 7 }
        executor.forward()
        let (before, after) = (executor.outputs["c0"]!, executor.outputs["d"]!)
        var kept = 0, zero = 0
        for i in 0..<before.floatCount where before.floats[i] != 0 {
            if after.floats[i] == 0 { zero += 1 } else { kept += 1; XCTAssertEqual(after.floats[i], 2 * before.floats[i], accuracy: 1e-6) }
        }
        XCTAssertGreaterThan(kept, 20)
        XCTAssertGreaterThan(zero, 20)
        let inference = try model.executor(.inference, batch: 4)
        XCTAssertTrue(inference.outputs["d"]! === inference.outputs["c0"]!, "the identity at inference")
    }

    /// Where oneDNN has Winograd's kernel (AVX-512), a 3x3 convolution of 16 filters at
    /// inference takes it, after training steps have left the weights blocked, and its
    /// output stays the reference's (testForwardMatchesTheReferenceInBothModes); where it
    /// has none, the direct kernel.
    func testWinogradAtInference() throws {
        let c = Self.cases.first { $0.name.hasPrefix("3x3 convolutions on 16x16") }!
        let (model, reference) = try Self.make(c, seed: 5)
        _ = try model.kernelImplementations(batch: 50, training: true)
        // The weights reach the inference kernel from the training layout: still the reference's.
        // (oneDNN takes Winograd's kernel for batches of some size, not for 3 images.)
        let x = Self.input(c, batch: 32, seed: 6)
        let executor = try model.executor(.inference, batch: 32, keep: ["c1", "s"])
        let implementations = executor.kernelImplementations.map { (node: $0.0, implementations: $0.1) }
        try Self.assertForwardMatches(executor, model: model, reference: reference, input: x, mode: .inference, nodes: ["c1", "s"],
                                      "Winograd after training")
        let c1 = try XCTUnwrap(implementations.first { $0.node == "c1" }).implementations
        let avx512 = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains(" avx512f") == true
        if avx512 && ProcessInfo.processInfo.environment["ONEDNN_MAX_CPU_ISA"] == nil {
            XCTAssertTrue(c1.contains { $0.hasPrefix("jit_wino") }, "\(c1)")
        } else {
            XCTAssertFalse(c1.contains { $0.hasPrefix("ref") }, "\(c1)")
        }
    }

    /// The fast kernels, not oneDNN's reference code, for the builtin networks on grey and
    /// colour images, training and inference (a layout oneDNN has no kernel for fell back
    /// to it, 200 times slower; on AVX2 the first layer's weight gradient did).
    func testNoReferenceImplementations() throws {
        for input in [Graph.InputShape(channels: 1, height: 28, width: 28), .init(channels: 3, height: 32, width: 32)] {
            for graph in [Builtins.deepMNIST(input: input, classes: 10), Builtins.resnet20(input: input, classes: 10)] {
                let model = try Model(graph: graph, seed: 1)
                for (training, batch) in [(true, 50), (false, 100), (false, 7)] {
                    let slow = try model.kernelImplementations(batch: batch, training: training).filter { $0.implementations.contains { $0.hasPrefix("ref") } }
                    XCTAssertTrue(slow.isEmpty, "\(graph.nodes.count) nodes on \(input.shape), training \(training), batch \(batch): \(slow)")
                }
                XCTAssertEqual(model.referenceKernels, [:])
            }
        }
    }
}
