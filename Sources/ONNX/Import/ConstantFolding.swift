import Foundation

/// Evaluates at load an ONNX node whose inputs are all known then: initializers, Constant
/// nodes, shapes (`Shape` of any value: the sizes of an image's feature maps are fixed) and
/// what is computed from them. Exporters write chains of these (PyTorch's TorchScript
/// exporter shares equal initializers through `Identity` nodes; `view(x.size(0), -1)`
/// becomes Shape, Gather, Unsqueeze, Concat; tf2onnx computes weights with Mul and Sqrt),
/// and none of it should reach the engine.
///
/// Integer tensors may hold `batch`, the batch size, which is not known until images
/// come: arithmetic on it gives it again, and anything that would need its value fails.
enum ConstantFolding {
    /// The batch size in an integer tensor (from `Shape` of a computed value).
    static let batch = Int64.min
    /// Largest tensor made at load (128 MiB of floats): a ConstantOfShape or Expand asked
    /// for more is refused, not allocated.
    static let maximumElements = 1 << 25

    /// A node's problem while folding, made one line naming the node by the caller.
    struct Failure: Error { let problem: String }

    /// Operators folded when every input is known.
    static let operators: Set<String> = [
        "Identity", "Cast", "Size", "Gather", "Slice", "Concat", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Transpose", "Expand",
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sum", "Mean", "Equal", "Less", "Greater", "LessOrEqual",
        "GreaterOrEqual", "And", "Or", "Not", "Where", "Neg", "Sqrt", "Reciprocal", "Exp", "Log", "Abs", "Floor", "Ceil", "Relu",
        "Sigmoid", "Tanh", "ConstantOfShape", "Range", "Constant", "Shape", "Dropout",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "BatchNormalization",
    ]

    /// `node`'s (first) output from its inputs (nil where an optional input is absent).
    /// `decode` reads a tensor attribute (Constant's `value`, ConstantOfShape's).
    static func evaluate(_ node: Onnx_NodeProto, inputs: [ONNXTensor?], opset: Int,
                         decode: (Onnx_TensorProto) throws -> ONNXTensor) throws -> ONNXTensor {
        let a = NodeAttributes(node: node)
        func input(_ i: Int) throws -> ONNXTensor {
            guard i < inputs.count, let t = inputs[i] else { throw Failure(problem: "needs at least \(i + 1) inputs") }
            return t
        }
        func optional(_ i: Int) -> ONNXTensor? { i < inputs.count ? inputs[i] : nil }
        let name = node.output.first ?? ""
        switch node.opType {
        case "Identity", "Dropout": return try input(0)
        case "Constant": return try constant(a, name: name, decode: decode)
        case "Cast": return try cast(try input(0), to: a.int("to", default: 1))
        case "Shape":
            let dims = try input(0).dims.map(Int64.init)
            return try shapeSlice(dims, start: a.int("start", default: 0), end: a.attribute("end").map { Int($0.i) }, name: name)
        case "Size": return ONNXTensor(name: name, dims: [], integers: [Int64(try input(0).count)])
        case "Gather": return try gather(try input(0), indices: try integers(try input(1), "indices"), indexDims: try input(1).dims,
                                         axis: a.int("axis", default: 0))
        case "Slice" where opset < 10:
            return try slice(try input(0), starts: a.ints("starts", default: []).map(Int64.init), ends: a.ints("ends", default: []).map(Int64.init),
                             axes: a.attribute("axes").map { $0.ints }, steps: nil)
        case "Slice":
            return try slice(try input(0), starts: try integers(try input(1), "starts"), ends: try integers(try input(2), "ends"),
                             axes: try optional(3).map { try integers($0, "axes") }, steps: try optional(4).map { try integers($0, "steps") })
        case "Concat":
            let parts = inputs.compactMap { $0 }
            guard !parts.isEmpty else { throw Failure(problem: "has no inputs") }
            return try concat(parts, axis: a.int("axis", default: 0))
        case "Unsqueeze":
            let axes = try opset < 13 ? a.ints("axes", default: []).map(Int64.init) : integers(try input(1), "axes")
            return try unsqueeze(try input(0), axes: axes)
        case "Squeeze":
            let axes = try opset < 13 ? a.attribute("axes").map { $0.ints } : optional(1).map { try integers($0, "axes") }
            return try squeeze(try input(0), axes: axes)
        case "Reshape":
            let shape = try opset < 5 ? a.ints("shape", default: []).map(Int64.init) : integers(try input(1), "shape")
            let x = try input(0)
            return try x.reshaped(try reshapeDims(x.dims, shape, allowZero: a.int("allowzero", default: 0) != 0))
        case "Flatten":
            let x = try input(0)
            let axis = try normalised(a.int("axis", default: 1), rank: x.dims.count + 1)
            return try x.reshaped([x.dims[..<axis].reduce(1, *), x.dims[axis...].reduce(1, *)])
        case "Transpose":
            let x = try input(0)
            return try transpose(x, perm: a.ints("perm", default: Array((0..<x.dims.count).reversed())))
        case "Expand": return try expand(try input(0), shape: try integers(try input(1), "shape"), name: name)
        case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sum", "Mean":
            let parts = inputs.compactMap { $0 }
            guard parts.count >= (["Max", "Min", "Sum", "Mean"].contains(node.opType) ? 1 : 2) else { throw Failure(problem: "needs two inputs") }
            return try arithmetic(node.opType, parts, fmod: a.int("fmod", default: 0) != 0, name: name)
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or":
            return try compare(node.opType, try input(0), try input(1), name: name)
        case "Not":
            let x = try input(0)
            return ONNXTensor(name: name, dims: x.dims, integers: try integers(x, "input").map { $0 == 0 ? 1 : 0 })
        case "Where": return try select(try input(0), try input(1), try input(2), name: name)
        case "Neg", "Sqrt", "Reciprocal", "Exp", "Log", "Abs", "Floor", "Ceil", "Relu", "Sigmoid", "Tanh":
            return try unary(node.opType, try input(0), name: name)
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd":
            // Axes: an attribute before opset 18 (13 for ReduceSum), an input after.
            let inputAxes = opset >= (node.opType == "ReduceSum" ? 13 : 18)
            let axes = try inputAxes ? optional(1).map { try integers($0, "axes") } : a.attribute("axes").map(\.ints)
            return try reduce(node.opType, try input(0), axes: axes, keepDims: a.int("keepdims", default: 1) != 0,
                              noopWithEmptyAxes: a.int("noop_with_empty_axes", default: 0) != 0, name: name)
        case "BatchNormalization":
            return try batchNormalization(try input(0), scale: try floats(try input(1), "scale"), bias: try floats(try input(2), "bias"),
                                          mean: try floats(try input(3), "mean"), variance: try floats(try input(4), "variance"),
                                          epsilon: a.float("epsilon", default: 1e-5), training: a.int("training_mode", default: 0) != 0,
                                          name: name)
        case "ConstantOfShape":
            return try constantOfShape(try integers(try input(0), "shape"), fill: try a.attribute("value").map { try decode($0.t) }, name: name)
        case "Range": return try range(try input(0), try input(1), try input(2), name: name)
        default:
            throw Failure(problem: "cannot be folded")
        }
    }

    // MARK: - Values

    static func integers(_ t: ONNXTensor, _ what: String) throws -> [Int64] {
        if let values = t.integers { return values }
        throw Failure(problem: "\(what) '\(t.name)' must be integers")
    }

    static func floats(_ t: ONNXTensor, _ what: String) throws -> [Float] {
        if let values = t.floats { return values }
        guard let values = t.integers, !values.contains(batch) else { throw Failure(problem: "\(what) '\(t.name)' depends on the batch size") }
        return values.map(Float.init)
    }

    static func describe(_ values: [Int64]) -> String { "[" + values.map { $0 == batch ? "N" : String($0) }.joined(separator: ", ") + "]" }

    static func checkSize(_ dims: [Int]) throws {
        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(d, 0))
            guard !overflow, product <= maximumElements else {
                throw Failure(problem: "would make a constant of shape \(dims), more than \(maximumElements) values")
            }
            count = product
        }
    }

    static func normalised(_ axis: Int, rank: Int) throws -> Int {
        let a = axis < 0 ? axis + rank : axis
        guard a >= 0, a < max(rank, 1) else { throw Failure(problem: "axis \(axis) outside \(rank) axes") }
        return a
    }

    static func constant(_ a: NodeAttributes, name: String, decode: (Onnx_TensorProto) throws -> ONNXTensor) throws -> ONNXTensor {
        if let value = a.attribute("value"), value.type == .tensor {
            var tensor = value.t
            tensor.name = name
            return try decode(tensor)
        }
        if let f = a.attribute("value_float") { return ONNXTensor(name: name, dims: [], floats: [f.f]) }
        if let f = a.attribute("value_floats") { return ONNXTensor(name: name, dims: [f.floats.count], floats: f.floats) }
        if let i = a.attribute("value_int") { return ONNXTensor(name: name, dims: [], integers: [i.i]) }
        if let i = a.attribute("value_ints") { return ONNXTensor(name: name, dims: [i.ints.count], integers: i.ints) }
        throw Failure(problem: "only a tensor, float(s) or int(s) value is supported")
    }

    /// ONNX's element types: floating point (float16, float, double, bfloat16) as floats,
    /// the rest (integers, bool) as integers.
    static func cast(_ x: ONNXTensor, to type: Int) throws -> ONNXTensor {
        let floating: Set<Int> = [1, 10, 11, 16]
        if floating.contains(type) { return ONNXTensor(name: x.name, dims: x.dims, floats: try floats(x, "input")) }
        if type == 9 { // bool
            if let f = x.floats { return ONNXTensor(name: x.name, dims: x.dims, integers: f.map { $0 != 0 ? 1 : 0 }) }
            return ONNXTensor(name: x.name, dims: x.dims, integers: try integers(x, "input").map { $0 != 0 ? 1 : 0 })
        }
        if let i = x.integers { return ONNXTensor(name: x.name, dims: x.dims, integers: i) }
        return ONNXTensor(name: x.name, dims: x.dims, integers: try x.floats!.map { v in
            guard v.isFinite, abs(v) < 9.2e18 else { throw Failure(problem: "cannot cast \(v) to an integer") }
            return Int64(v.rounded(.towardZero))
        })
    }

    static func shapeSlice(_ dims: [Int64], start: Int, end: Int?, name: String) throws -> ONNXTensor {
        let n = dims.count
        func clamp(_ i: Int) -> Int { max(0, min(n, i < 0 ? i + n : i)) }
        let (lo, hi) = (clamp(start), clamp(end ?? n))
        let values = lo < hi ? Array(dims[lo..<hi]) : []
        return ONNXTensor(name: name, dims: [values.count], integers: values)
    }
}

extension Sequence where Element: FixedWidthInteger {
    /// The product of the values; nil when it overflows (a file's shapes can hold anything).
    var checkedProduct: Element? {
        var total: Element = 1
        for value in self {
            let (product, overflow) = total.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            total = product
        }
        return total
    }
}
