import XCTest
@testable import ONNX

/// ConstantFolding on hand-worked cases: what exporters' constant chains compute.
final class ConstantFoldingTests: XCTestCase {
    static func node(_ op: String, inputs: Int = 1, _ attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = op.lowercased()
        node.input = (0..<inputs).map { "x\($0)" }
        node.output = ["y"]
        node.attribute = attributes
        return node
    }

    func fold(_ node: Onnx_NodeProto, _ inputs: [ONNXTensor?], opset: Int = 18) throws -> ONNXTensor {
        try ConstantFolding.evaluate(node, inputs: inputs, opset: opset) { _ in XCTFail("no tensor attribute here"); throw ConstantFolding.Failure(problem: "") }
    }

    func f(_ dims: [Int], _ values: [Float]) -> ONNXTensor { ONNXTensor(name: "f", dims: dims, floats: values) }
    func i(_ dims: [Int], _ values: [Int64]) -> ONNXTensor { ONNXTensor(name: "i", dims: dims, integers: values) }

    func testBroadcastArithmeticByHand() throws {
        // [2, 3] + [3]: each row plus (10, 20, 30); [2, 1] * [1, 3]: an outer product.
        let sum = try fold(Self.node("Add", inputs: 2), [f([2, 3], [1, 2, 3, 4, 5, 6]), f([3], [10, 20, 30])])
        XCTAssertEqual(sum.dims, [2, 3])
        XCTAssertEqual(sum.floats, [11, 22, 33, 14, 25, 36])
        let outer = try fold(Self.node("Mul", inputs: 2), [f([2, 1], [2, 3]), f([1, 3], [1, 10, 100])])
        XCTAssertEqual(outer.floats, [2, 20, 200, 3, 30, 300])
        // tf2onnx's batch-norm constants: 1 / sqrt(var + eps).
        let variance = try fold(Self.node("Add", inputs: 2), [f([2], [3, 15]), f([], [1])])
        let root = try fold(Self.node("Sqrt"), [variance])
        XCTAssertEqual(try fold(Self.node("Reciprocal"), [root]).floats, [0.5, 0.25])
        XCTAssertThrowsError(try fold(Self.node("Add", inputs: 2), [f([2], [1, 2]), f([3], [1, 2, 3])]))
    }

    func testShapeChainsKeepTheBatchSize() throws {
        // x.view(x.size(0), -1) as the TorchScript exporter writes it, on a [N, 512, 1, 1] shape.
        let shape = i([4], [ConstantFolding.batch, 512, 1, 1])
        let first = try fold(Self.node("Gather", inputs: 2), [shape, i([], [0])])
        XCTAssertEqual(first.dims, [])
        XCTAssertEqual(first.integers, [ConstantFolding.batch])
        let unsqueezed = try fold(Self.node("Unsqueeze", inputs: 2), [first, i([1], [0])])
        XCTAssertEqual(unsqueezed.dims, [1])
        let target = try fold(Self.node("Concat", inputs: 2, [Onnx_AttributeProto.int("axis", 0)]), [unsqueezed, i([1], [-1])])
        XCTAssertEqual(target.integers, [ConstantFolding.batch, -1])
        // Arithmetic on it stays the batch size; its value is never used.
        XCTAssertEqual(try fold(Self.node("Mul", inputs: 2), [first, i([], [3])]).integers, [ConstantFolding.batch])
        XCTAssertThrowsError(try fold(Self.node("Cast", [Onnx_AttributeProto.int("to", 1)]), [first]))
        // Opset 11's Unsqueeze takes its axes as an attribute.
        XCTAssertEqual(try fold(Self.node("Unsqueeze", [Onnx_AttributeProto.ints("axes", [0, 2])]), [i([2], [5, 6])], opset: 11).dims, [1, 2, 1])
    }

    func testLayoutOperatorsByHand() throws {
        let x = f([2, 3], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try fold(Self.node("Transpose", [Onnx_AttributeProto.ints("perm", [1, 0])]), [x]).floats, [1, 4, 2, 5, 3, 6])
        // Slice columns 2, 1 (step -1) of both rows.
        let slice = try fold(Self.node("Slice", inputs: 5), [x, i([1], [2]), i([1], [0]), i([1], [1]), i([1], [-1])])
        XCTAssertEqual(slice.dims, [2, 2])
        XCTAssertEqual(slice.floats, [3, 2, 6, 5])
        // Ends past the end are clamped (INT64_MAX, as exporters write "to the end").
        let tail = try fold(Self.node("Slice", inputs: 4), [x, i([1], [1]), i([1], [Int64.max]), i([1], [1])])
        XCTAssertEqual(tail.floats, [2, 3, 5, 6])
        let gathered = try fold(Self.node("Gather", inputs: 2, [Onnx_AttributeProto.int("axis", 1)]), [x, i([2], [2, -3])])
        XCTAssertEqual(gathered.floats, [3, 1, 6, 4])
        let reshaped = try fold(Self.node("Reshape", inputs: 2), [x, i([2], [0, -1])])
        XCTAssertEqual(reshaped.dims, [2, 3])
        XCTAssertEqual(try fold(Self.node("Reshape", inputs: 2), [x, i([1], [-1])]).dims, [6])
        XCTAssertThrowsError(try fold(Self.node("Reshape", inputs: 2), [x, i([2], [4, -1])]))
        let squeezed = try fold(Self.node("Squeeze", inputs: 1), [f([1, 3, 1], [7, 8, 9])])
        XCTAssertEqual(squeezed.dims, [3])
        let joined = try fold(Self.node("Concat", inputs: 2, [Onnx_AttributeProto.int("axis", 1)]), [x, f([2, 1], [7, 8])])
        XCTAssertEqual(joined.floats, [1, 2, 3, 7, 4, 5, 6, 8])
    }

    func testIdentityCastWhereAndRange() throws {
        let w = f([2], [0.5, -1.5])
        XCTAssertEqual(try fold(Self.node("Identity"), [w]).floats, [0.5, -1.5])
        XCTAssertEqual(try fold(Self.node("Cast", [Onnx_AttributeProto.int("to", 7)]), [w]).integers, [0, -1])
        let picked = try fold(Self.node("Where", inputs: 3), [i([2], [1, 0]), i([2], [10, 20]), i([], [-1])])
        XCTAssertEqual(picked.integers, [10, -1])
        XCTAssertEqual(try fold(Self.node("Equal", inputs: 2), [i([2], [-1, 4]), i([], [-1])]).integers, [1, 0])
        XCTAssertEqual(try fold(Self.node("Range", inputs: 3), [i([], [1]), i([], [8]), i([], [3])]).integers, [1, 4, 7])
    }

    func testHugeConstantsAreRefusedNotAllocated() throws {
        XCTAssertThrowsError(try fold(Self.node("ConstantOfShape"), [i([3], [100_000, 100_000, 3])])) { error in
            XCTAssertTrue((error as? ConstantFolding.Failure)?.problem.contains("more than") == true, "\(error)")
        }
        XCTAssertThrowsError(try fold(Self.node("Expand", inputs: 2), [f([1], [1]), i([2], [1 << 20, 1 << 20])]))
    }

    func testReductionsByHand() throws {
        // Weight standardisation (timm's ScaledStdConv2d): the mean of each filter's weights.
        let w = f([2, 3], [1, 2, 3, 4, 6, 8])
        let mean = try fold(Self.node("ReduceMean", inputs: 2), [w, i([1], [1])])
        XCTAssertEqual(mean.dims, [2, 1])
        XCTAssertEqual(mean.floats, [2, 6])
        XCTAssertEqual(try fold(Self.node("ReduceSum", inputs: 2, [Onnx_AttributeProto.int("keepdims", 0)]), [w, i([1], [0])]).floats, [5, 8, 11])
        XCTAssertEqual(try fold(Self.node("ReduceMax", [Onnx_AttributeProto.ints("axes", [0, 1])]), [w], opset: 13).floats, [8])
        XCTAssertEqual(try fold(Self.node("ReduceMin", inputs: 1), [w]).dims, [1, 1])
    }

    func testTrainingModeBatchNormOfWeightsByHand() throws {
        // Channel 0 holds (1, 3): mean 2, variance 1; channel 1 (2, 6): mean 4, variance 4.
        let x = f([1, 2, 2], [1, 3, 2, 6])
        let ones = f([2], [1, 1]), zeros = f([2], [0, 0])
        let out = try fold(Self.node("BatchNormalization", inputs: 5, [Onnx_AttributeProto.int("training_mode", 1)]), [x, ones, zeros, zeros, ones])
        for (a, b) in zip(out.floats!, [-1, 1, -1, 1] as [Float]) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        // In inference mode the given statistics (mean 0, variance 1) leave it as it is.
        let same = try fold(Self.node("BatchNormalization", inputs: 5), [x, ones, zeros, zeros, ones])
        for (a, b) in zip(same.floats!, x.floats!) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }
}
