import Foundation

/// Constant folding: how values are moved (gather, slice, concat, reshape, transpose).
extension ConstantFolding {
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
            let known = dims.enumerated().filter { $0.0 != free }.map(\.1).checkedProduct ?? 0
            guard known > 0, count % known == 0 else { throw Failure(problem: "\(count) values do not reshape to \(describe(shape))") }
            dims[free] = count / known
        }
        guard dims.checkedProduct == count else { throw Failure(problem: "\(count) values do not reshape to \(describe(shape))") }
        return dims
    }

    static func transpose(_ x: ONNXTensor, perm: [Int]) throws -> ONNXTensor {
        guard perm.sorted() == Array(0..<x.dims.count) else { throw Failure(problem: "perm \(perm) for \(x.dims.count) axes") }
        let st = strides(x.dims)
        let dims = perm.map { x.dims[$0] }
        let flat = walk(dims) { index in zip(perm, index).reduce(0) { $0 + $1.1 * st[$1.0] } }
        return gathered(x, dims: dims, indices: flat, name: x.name)
    }
}
