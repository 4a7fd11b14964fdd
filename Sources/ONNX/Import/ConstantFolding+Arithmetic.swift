import Foundation

/// Constant folding: arithmetic, comparisons, reductions and the other element-wise operators.
extension ConstantFolding {
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

    /// `x` broadcast to `shape` (ONNX Expand).
    static func expand(_ x: ONNXTensor, shape: [Int64], name: String) throws -> ONNXTensor {
        guard !shape.contains(where: { $0 < 0 }) else { throw Failure(problem: "shape \(describe(shape)) is not known at load") }
        let dims = try broadcastDims([x.dims, shape.map(Int.init)])
        return try map([x], dims: dims, name: name, float: { $0[0] }, integer: { $0[0] })
    }

    /// `x` where `condition` holds, else `y`, broadcast (ONNX Where).
    static func select(_ condition: ONNXTensor, _ x: ONNXTensor, _ y: ONNXTensor, name: String) throws -> ONNXTensor {
        let dims = try broadcastDims([condition.dims, x.dims, y.dims])
        _ = try integers(condition, "condition")
        return try map([condition, x, y], dims: dims, name: name,
                       float: { $0[0] != 0 ? $0[1] : $0[2] }, integer: { $0[0] != 0 ? $0[1] : $0[2] }, conditionFirst: true)
    }

    /// A tensor of `shape` filled with `fill`'s first value (0.0 by default; ONNX ConstantOfShape).
    static func constantOfShape(_ shape: [Int64], fill: ONNXTensor?, name: String) throws -> ONNXTensor {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw Failure(problem: "shape \(describe(shape)) is not known at load") }
        let dims = shape.map(Int.init)
        try checkSize(dims)
        let fill = fill ?? ONNXTensor(name: "", dims: [1], floats: [0])
        let count = dims.reduce(1, *)
        if let f = fill.floats?.first { return ONNXTensor(name: name, dims: dims, floats: [Float](repeating: f, count: count)) }
        return ONNXTensor(name: name, dims: dims, integers: [Int64](repeating: fill.integers?.first ?? 0, count: count))
    }

    /// `start, start + delta, ...` up to `limit` excluded, integers or floats (ONNX Range).
    static func range(_ start: ONNXTensor, _ limit: ONNXTensor, _ delta: ONNXTensor, name: String) throws -> ONNXTensor {
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
    }
}

extension ONNXTensor {
    /// The same values under other dims (as many elements).
    func reshaped(_ newDims: [Int]) throws -> ONNXTensor {
        guard newDims.checkedProduct == count, newDims.allSatisfy({ $0 >= 0 }) else {
            throw ConstantFolding.Failure(problem: "\(count) values do not reshape to \(newDims)")
        }
        return ONNXTensor(name: name, dims: newDims, floats: floats, integers: floats == nil ? integers : nil)
    }
}
