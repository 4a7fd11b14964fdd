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
        case "Slice":
            let x = try input(0)
            if opset < 10 {
                return try slice(x, starts: a.ints("starts", default: []).map(Int64.init), ends: a.ints("ends", default: []).map(Int64.init),
                                 axes: a.attribute("axes").map { $0.ints }, steps: nil)
            }
            return try slice(x, starts: try integers(try input(1), "starts"), ends: try integers(try input(2), "ends"),
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
        case "Expand":
            let x = try input(0), shape = try integers(try input(1), "shape")
            guard !shape.contains(where: { $0 < 0 }) else { throw Failure(problem: "shape \(describe(shape)) is not known at load") }
            let dims = try broadcastDims([x.dims, shape.map(Int.init)])
            return try map([x], dims: dims, name: name, float: { $0[0] }, integer: { $0[0] })
        case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sum", "Mean":
            let parts = inputs.compactMap { $0 }
            guard parts.count >= (["Max", "Min", "Sum", "Mean"].contains(node.opType) ? 1 : 2) else { throw Failure(problem: "needs two inputs") }
            return try arithmetic(node.opType, parts, fmod: a.int("fmod", default: 0) != 0, name: name)
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or":
            return try compare(node.opType, try input(0), try input(1), name: name)
        case "Not":
            let x = try input(0)
            return ONNXTensor(name: name, dims: x.dims, integers: try integers(x, "input").map { $0 == 0 ? 1 : 0 })
        case "Where":
            let condition = try input(0), x = try input(1), y = try input(2)
            let dims = try broadcastDims([condition.dims, x.dims, y.dims])
            _ = try integers(condition, "condition")
            return try map([condition, x, y], dims: dims, name: name,
                           float: { $0[0] != 0 ? $0[1] : $0[2] }, integer: { $0[0] != 0 ? $0[1] : $0[2] }, conditionFirst: true)
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
            let shape = try integers(try input(0), "shape")
            guard shape.allSatisfy({ $0 >= 0 }) else { throw Failure(problem: "shape \(describe(shape)) is not known at load") }
            let dims = shape.map(Int.init)
            try checkSize(dims)
            let fill = try a.attribute("value").map { try decode($0.t) } ?? ONNXTensor(name: "", dims: [1], floats: [0])
            let count = dims.reduce(1, *)
            if let f = fill.floats?.first { return ONNXTensor(name: name, dims: dims, floats: [Float](repeating: f, count: count)) }
            return ONNXTensor(name: name, dims: dims, integers: [Int64](repeating: fill.integers?.first ?? 0, count: count))
        case "Range":
            let (start, limit, delta) = (try input(0), try input(1), try input(2))
            if let s = start.integers?.first, let l = limit.integers?.first, let d = delta.integers?.first {
                guard d != 0, ![s, l, d].contains(batch) else { throw Failure(problem: "a range of step 0 or of the batch size") }
                let span = ((Double(l) - Double(s)) / Double(d)).rounded(.up)
                guard span < Double(maximumElements) else { throw Failure(problem: "a range of more than \(maximumElements) values") }
                let count = max(0, Int(span))
                return ONNXTensor(name: name, dims: [count], integers: (0..<count).map { s + Int64($0) * d })
            }
            let (s, l, d) = (try floats(start, "start")[0], try floats(limit, "limit")[0], try floats(delta, "delta")[0])
            guard d != 0, d.isFinite, s.isFinite, l.isFinite else { throw Failure(problem: "a range of step 0 or not finite") }
            let span = (Double(l - s) / Double(d)).rounded(.up)
            guard span < Double(maximumElements) else { throw Failure(problem: "a range of more than \(maximumElements) values") }
            let count = max(0, Int(span))
            return ONNXTensor(name: name, dims: [count], floats: (0..<count).map { s + Float($0) * d })
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

    // MARK: - Layout

    /// The flat index of each element of a tensor of `dims` after `perm` or a slice: the
    /// source index of every output element, walked in order.
    static func gathered(_ x: ONNXTensor, dims: [Int], indices: [Int], name: String) -> ONNXTensor {
        if let f = x.floats { return ONNXTensor(name: name, dims: dims, floats: indices.map { f[$0] }) }
        let i = x.integers!
        return ONNXTensor(name: name, dims: dims, integers: indices.map { i[$0] })
    }

    static func strides(_ dims: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: dims.count)
        for k in stride(from: dims.count - 2, through: 0, by: -1) { s[k] = s[k + 1] * dims[k + 1] }
        return s
    }

    /// Every index of a tensor of `dims`, in row-major order, as `offset(index)`.
    static func walk(_ dims: [Int], _ offset: ([Int]) -> Int) -> [Int] {
        let count = dims.reduce(1, *)
        guard count > 0 else { return [] }
        var index = [Int](repeating: 0, count: dims.count), out: [Int] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            out.append(offset(index))
            var k = dims.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < dims[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return out
    }

    static func gather(_ data: ONNXTensor, indices: [Int64], indexDims: [Int], axis: Int) throws -> ONNXTensor {
        let rank = data.dims.count
        let axis = try normalised(axis, rank: rank)
        let size = data.dims[axis]
        let resolved = try indices.map { i -> Int in
            let j = i < 0 ? Int(i) + size : Int(i)
            guard i != batch, j >= 0, j < size else { throw Failure(problem: "index \(i) outside \(size) values") }
            return j
        }
        let outer = data.dims[..<axis].reduce(1, *), inner = data.dims[(axis + 1)...].reduce(1, *)
        var flat: [Int] = []
        flat.reserveCapacity(outer * resolved.count * inner)
        for o in 0..<outer { for j in resolved { for k in 0..<inner { flat.append((o * size + j) * inner + k) } } }
        return gathered(data, dims: Array(data.dims[..<axis]) + indexDims + Array(data.dims[(axis + 1)...]), indices: flat, name: data.name)
    }

    static func slice(_ x: ONNXTensor, starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?) throws -> ONNXTensor {
        let rank = x.dims.count
        let axes = try (axes ?? (0..<starts.count).map(Int64.init)).map { try normalised(Int($0), rank: rank) }
        let steps = steps ?? [Int64](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, Set(axes).count == axes.count else {
            throw Failure(problem: "starts, ends, axes and steps of different lengths")
        }
        var begin = [Int](repeating: 0, count: rank), step = [Int](repeating: 1, count: rank), dims = x.dims
        for (k, axis) in axes.enumerated() {
            let n = Int64(x.dims[axis])
            // A step past the axis's size takes one element, as the size + 1 does (and
            // keeps the arithmetic below from overflowing).
            let s = max(-(n + 1), min(n + 1, steps[k]))
            // (INT64_MIN and INT64_MAX, which exporters write for "from the end" and "to the
            // end", clamp like any other number; `batch` is INT64_MIN too, and a slice
            // bound is never the batch size.)
            guard s != 0, s != batch else { throw Failure(problem: "a slice of step 0 or of the batch size") }
            func clamp(_ v: Int64, _ lo: Int64, _ hi: Int64) -> Int64 { max(lo, min(hi, v < 0 ? v + n : v)) }
            let (first, last) = s > 0 ? (clamp(starts[k], 0, n), clamp(ends[k], 0, n)) : (clamp(starts[k], -1, n - 1), clamp(ends[k], -1, n - 1))
            let count = s > 0 ? max(0, (last - first + s - 1) / s) : max(0, (first - last - s - 1) / -s)
            (begin[axis], step[axis], dims[axis]) = (Int(first), Int(s), Int(count))
        }
        let st = strides(x.dims)
        let flat = walk(dims) { index in zip(index.indices, index).reduce(0) { $0 + (begin[$1.0] + $1.1 * step[$1.0]) * st[$1.0] } }
        return gathered(x, dims: dims, indices: flat, name: x.name)
    }

    static func concat(_ parts: [ONNXTensor], axis: Int) throws -> ONNXTensor {
        let rank = parts[0].dims.count
        let axis = try normalised(axis, rank: rank)
        for p in parts where p.dims.count != rank || (0..<rank).contains(where: { $0 != axis && p.dims[$0] != parts[0].dims[$0] }) {
            throw Failure(problem: "inputs of shapes \(parts.map(\.dims)) do not concatenate along axis \(axis)")
        }
        let outer = parts[0].dims[..<axis].reduce(1, *)
        var dims = parts[0].dims
        dims[axis] = parts.reduce(0) { $0 + $1.dims[axis] }
        let chunks = parts.map { $0.dims[axis...].reduce(1, *) }
        if parts.allSatisfy({ $0.integers != nil }) {
            var out: [Int64] = []
            for o in 0..<outer { for (p, c) in zip(parts, chunks) { out += p.integers![(o * c)..<((o + 1) * c)] } }
            return ONNXTensor(name: parts[0].name, dims: dims, integers: out)
        }
        let values = try parts.map { try floats($0, "input") }
        var out: [Float] = []
        for o in 0..<outer { for (v, c) in zip(values, chunks) { out += v[(o * c)..<((o + 1) * c)] } }
        return ONNXTensor(name: parts[0].name, dims: dims, floats: out)
    }

    static func unsqueeze(_ x: ONNXTensor, axes: [Int64]) throws -> ONNXTensor {
        let rank = x.dims.count + axes.count
        let positions = Set(try axes.map { try normalised(Int($0), rank: rank) })
        guard positions.count == axes.count else { throw Failure(problem: "axes \(axes) repeat") }
        var dims: [Int] = [], rest = x.dims.makeIterator()
        for k in 0..<rank { dims.append(positions.contains(k) ? 1 : rest.next()!) }
        return try x.reshaped(dims)
    }

    static func squeeze(_ x: ONNXTensor, axes: [Int64]?) throws -> ONNXTensor {
        let rank = x.dims.count
        let positions = try axes.map { Set(try $0.map { try normalised(Int($0), rank: rank) }) } ?? Set(x.dims.indices.filter { x.dims[$0] == 1 })
        guard positions.allSatisfy({ x.dims[$0] == 1 }) else { throw Failure(problem: "squeezes an axis of size other than 1 in \(x.dims)") }
        return try x.reshaped(x.dims.indices.filter { !positions.contains($0) }.map { x.dims[$0] })
    }

    /// Reshape's target: 0 copies the input's size (unless `allowZero`), one -1 takes the rest.
    static func reshapeDims(_ from: [Int], _ shape: [Int64], allowZero: Bool) throws -> [Int] {
        guard !shape.contains(batch) else { throw Failure(problem: "reshapes a constant by the batch size") }
        var dims = try shape.enumerated().map { k, v -> Int in
            if v == 0 && !allowZero {
                guard k < from.count else { throw Failure(problem: "shape \(describe(shape)) copies an axis \(from) lacks") }
                return from[k]
            }
            guard v >= -1 else { throw Failure(problem: "shape \(describe(shape)) has a negative size") }
            return Int(v)
        }
        let count = from.reduce(1, *)
        if let free = dims.firstIndex(of: -1) {
            guard dims.filter({ $0 == -1 }).count == 1 else { throw Failure(problem: "shape \(describe(shape)) has two -1") }
            let known = dims.enumerated().reduce(1) { $1.0 == free ? $0 : $0 * $1.1 }
            guard known > 0, count % known == 0 else { throw Failure(problem: "\(count) values do not reshape to \(describe(shape))") }
            dims[free] = count / known
        }
        guard dims.reduce(1, *) == count else { throw Failure(problem: "\(count) values do not reshape to \(describe(shape))") }
        return dims
    }

    static func transpose(_ x: ONNXTensor, perm: [Int]) throws -> ONNXTensor {
        guard perm.sorted() == Array(0..<x.dims.count) else { throw Failure(problem: "perm \(perm) for \(x.dims.count) axes") }
        let st = strides(x.dims)
        let dims = perm.map { x.dims[$0] }
        let flat = walk(dims) { index in zip(perm, index).reduce(0) { $0 + $1.1 * st[$1.0] } }
        return gathered(x, dims: dims, indices: flat, name: x.name)
    }

    // MARK: - Arithmetic

    /// numpy's broadcasting of several shapes.
    static func broadcastDims(_ shapes: [[Int]]) throws -> [Int] {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for shape in shapes {
            for (k, d) in shape.enumerated() {
                let j = rank - shape.count + k
                if out[j] == 1 { out[j] = d } else if d != 1 && d != out[j] {
                    throw Failure(problem: "shapes \(shapes) do not broadcast")
                }
            }
        }
        try checkSize(out)
        return out
    }

    /// Element-wise over broadcast inputs: integers when all are integers (unless
    /// `conditionFirst`, where only the values after the first decide).
    static func map(_ inputs: [ONNXTensor], dims: [Int], name: String, float: ([Float]) throws -> Float,
                    integer: ([Int64]) throws -> Int64, conditionFirst: Bool = false) throws -> ONNXTensor {
        let rank = dims.count, count = dims.reduce(1, *)
        // Each input's step along each output axis: 0 where it is broadcast.
        let steps = inputs.map { t -> [Int] in
            let st = strides(t.dims), shift = rank - t.dims.count
            return (0..<rank).map { k in k < shift || t.dims[k - shift] == 1 ? 0 : st[k - shift] }
        }
        func elements<T>(_ values: [[T]], _ f: ([T]) throws -> T) rethrows -> [T] {
            var out: [T] = []
            out.reserveCapacity(count)
            var index = [Int](repeating: 0, count: rank), offsets = [Int](repeating: 0, count: values.count)
            var operands = values.map { $0[0] }
            for _ in 0..<count {
                for j in values.indices { operands[j] = values[j][offsets[j]] }
                out.append(try f(operands))
                var k = rank - 1
                while k >= 0 {
                    index[k] += 1
                    for j in values.indices { offsets[j] += steps[j][k] }
                    if index[k] < dims[k] { break }
                    for j in values.indices { offsets[j] -= steps[j][k] * dims[k] }
                    index[k] = 0
                    k -= 1
                }
            }
            return out
        }
        guard count > 0, inputs.allSatisfy({ $0.count > 0 }) else {
            return ONNXTensor(name: name, dims: dims, floats: inputs.allSatisfy { $0.floats != nil } ? [] : nil,
                              integers: inputs.allSatisfy { $0.floats != nil } ? nil : [])
        }
        let decides = conditionFirst ? Array(inputs.dropFirst()) : inputs
        if decides.allSatisfy({ $0.integers != nil }) {
            return ONNXTensor(name: name, dims: dims, integers: try elements(try inputs.map { try integers($0, "input") }, integer))
        }
        return ONNXTensor(name: name, dims: dims, floats: try elements(try inputs.map { try floats($0, "input") }, float))
    }

    static func arithmetic(_ op: String, _ parts: [ONNXTensor], fmod: Bool, name: String) throws -> ONNXTensor {
        let dims = try broadcastDims(parts.map(\.dims))
        return try map(parts, dims: dims, name: name, float: { v in
            switch op {
            case "Add", "Sum": return v.reduce(0, +)
            case "Mean": return v.reduce(0, +) / Float(v.count)
            case "Sub": return v[0] - v[1]
            case "Mul": return v[0] * v[1]
            case "Div": return v[0] / v[1]
            case "Pow": return Float(pow(Double(v[0]), Double(v[1])))
            case "Max": return v.max()!
            case "Min": return v.min()!
            default:  // Mod
                let r = Float(Foundation.fmod(Double(v[0]), Double(v[1])))
                return fmod || r == 0 || (r < 0) == (v[1] < 0) ? r : r + v[1]
            }
        }, integer: { v in
            // Arithmetic on the batch size is the batch size (a model's `x.size(0) * 1`).
            if v.contains(batch) {
                guard ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum"].contains(op) else { throw Failure(problem: "\(op) of the batch size") }
                return batch
            }
            switch op {
            case "Add", "Sum": return v.reduce(0, &+)
            case "Mean": return v.reduce(0, &+) / Int64(v.count)
            case "Sub": return v[0] &- v[1]
            case "Mul": return v[0] &* v[1]
            case "Div", "Mod":
                guard v[1] != 0 else { throw Failure(problem: "division by 0") }
                if op == "Div" { return v[0] / v[1] }
                let r = v[0] % v[1]
                return fmod || r == 0 || (r < 0) == (v[1] < 0) ? r : r + v[1]
            case "Pow":
                guard v[1] >= 0, v[1] < 64 else { throw Failure(problem: "integer power \(v[1])") }
                return (0..<v[1]).reduce(Int64(1)) { p, _ in p &* v[0] }
            case "Max": return v.max()!
            default: return v.min()!
            }
        })
    }

    static func compare(_ op: String, _ x: ONNXTensor, _ y: ONNXTensor, name: String) throws -> ONNXTensor {
        let dims = try broadcastDims([x.dims, y.dims])
        func decide(_ a: Double, _ b: Double) -> Bool {
            switch op {
            case "Equal": return a == b
            case "Less": return a < b
            case "Greater": return a > b
            case "LessOrEqual": return a <= b
            case "GreaterOrEqual": return a >= b
            case "And": return a != 0 && b != 0
            default: return a != 0 || b != 0
            }
        }
        let result = try map([x, y], dims: dims, name: name, float: { v in decide(Double(v[0]), Double(v[1])) ? 1 : 0 }, integer: { v in
            if v.contains(batch) {
                // The batch size equals only itself (and is never -1 or 0, what exporters test).
                guard op == "Equal" else { throw Failure(problem: "\(op) of the batch size") }
                return v[0] == v[1] ? 1 : 0
            }
            return decide(Double(v[0]), Double(v[1])) ? 1 : 0
        })
        return ONNXTensor(name: name, dims: dims, integers: result.integers ?? result.floats!.map { Int64($0) })
    }

    /// A reduction over `axes` (nil or empty: all, unless `noopWithEmptyAxes`), in floats.
    static func reduce(_ op: String, _ x: ONNXTensor, axes: [Int64]?, keepDims: Bool, noopWithEmptyAxes: Bool, name: String) throws -> ONNXTensor {
        let rank = x.dims.count
        if (axes ?? []).isEmpty && noopWithEmptyAxes { return x }
        let reduced = Set(try (axes.flatMap { $0.isEmpty ? nil : $0 } ?? (0..<rank).map(Int64.init)).map { try normalised(Int($0), rank: rank) })
        let values = try floats(x, "input")
        let outDims = x.dims.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
        let st = strides(outDims)
        var out = [Float](repeating: op == "ReduceMax" ? -.infinity : op == "ReduceMin" ? .infinity : op == "ReduceProd" ? 1 : 0,
                          count: outDims.reduce(1, *))
        let sources = walk(x.dims) { index in zip(index.indices, index).reduce(0) { $0 + (reduced.contains($1.0) ? 0 : $1.1 * st[$1.0]) } }
        for (k, target) in sources.enumerated() {
            let v = values[k]
            switch op {
            case "ReduceMax": out[target] = max(out[target], v)
            case "ReduceMin": out[target] = min(out[target], v)
            case "ReduceProd": out[target] *= v
            default: out[target] += v
            }
        }
        if op == "ReduceMean" {
            let n = Float(x.dims.enumerated().filter { reduced.contains($0.offset) }.reduce(1) { $0 * $1.element })
            out = out.map { $0 / max(n, 1) }
        }
        let dims = keepDims ? outDims : x.dims.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
        return ONNXTensor(name: name, dims: dims, floats: out)
    }

    /// A batch normalization of a constant over its axis 1: with the given statistics, or,
    /// in training mode, the tensor's own (timm's weight-standardised convolutions
    /// normalise their weights so, as `F.batch_norm(w.reshape(1, O, -1), training=True)`).
    static func batchNormalization(_ x: ONNXTensor, scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float,
                                   training: Bool, name: String) throws -> ONNXTensor {
        let values = try floats(x, "input")
        guard x.dims.count >= 2 else { throw Failure(problem: "needs at least 2 axes") }
        let channels = x.dims[1], outer = x.dims[0], inner = x.dims[2...].reduce(1, *)
        guard [scale, bias, mean, variance].allSatisfy({ $0.count == channels }) else {
            throw Failure(problem: "scale, bias, mean and variance must have \(channels) values")
        }
        var m = mean, v = variance
        if training {
            let n = Double(outer * inner)
            for c in 0..<channels {
                var sum = 0.0, squares = 0.0
                for o in 0..<outer { for k in 0..<inner { let e = Double(values[(o * channels + c) * inner + k]); sum += e; squares += e * e } }
                let mu = sum / max(n, 1)
                (m[c], v[c]) = (Float(mu), Float(max(squares / max(n, 1) - mu * mu, 0)))
            }
        }
        var out = values
        for o in 0..<outer {
            for c in 0..<channels {
                let g = scale[c] / (v[c] + epsilon).squareRoot()
                for k in 0..<inner { let i = (o * channels + c) * inner + k; out[i] = (values[i] - m[c]) * g + bias[c] }
            }
        }
        return ONNXTensor(name: name, dims: x.dims, floats: out)
    }

    static func unary(_ op: String, _ x: ONNXTensor, name: String) throws -> ONNXTensor {
        if let i = x.integers, ["Neg", "Abs", "Relu"].contains(op) {
            guard !i.contains(batch) else { throw Failure(problem: "\(op) of the batch size") }
            return ONNXTensor(name: name, dims: x.dims, integers: i.map { op == "Neg" ? -$0 : op == "Abs" ? abs($0) : max($0, 0) })
        }
        let v = try floats(x, "input")
        let f: (Float) -> Float
        switch op {
        case "Neg": f = { -$0 }
        case "Sqrt": f = { $0.squareRoot() }
        case "Reciprocal": f = { 1 / $0 }
        case "Exp": f = { Float(exp(Double($0))) }
        case "Log": f = { Float(log(Double($0))) }
        case "Abs": f = { abs($0) }
        case "Floor": f = { $0.rounded(.down) }
        case "Ceil": f = { $0.rounded(.up) }
        case "Relu": f = { max($0, 0) }
        case "Sigmoid": f = { 1 / (1 + Float(exp(-Double($0)))) }
        default: f = { Float(tanh(Double($0))) }
        }
        return ONNXTensor(name: name, dims: x.dims, floats: v.map(f))
    }
}

extension ONNXTensor {
    /// The same values under other dims (as many elements).
    func reshaped(_ newDims: [Int]) throws -> ONNXTensor {
        guard newDims.reduce(1, *) == count, newDims.allSatisfy({ $0 >= 0 }) else {
            throw ConstantFolding.Failure(problem: "\(count) values do not reshape to \(newDims)")
        }
        return ONNXTensor(name: name, dims: newDims, floats: floats, integers: floats == nil ? integers : nil)
    }
}
