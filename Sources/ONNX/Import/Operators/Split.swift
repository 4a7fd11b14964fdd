import Network

extension Lowering {
    static let split = OperatorLowering(
        operators: ["Split", "Slice"],
        summary: "Split along the channels; Slice of the channels, height and width (step 1)",
        lower: { try $0.lowerSplit() })

    mutating func lowerSplit() throws {
        let x = try operand(0)
        let shape = try perImageShape(x)
        let channels = shape.first ?? 0
        if current.opType == "Slice" { return try lowerSlice(x, shape: shape) }
        let axis = int("axis", default: 0)
        guard axis == 1 || axis == -shape.count else { throw nodeFail("axis \(axis): only a split of the channels (axis 1) is supported") }
        let outputs = current.output
        var sizes: [Int]
        if current.input.count > 1, !current.input[1].isEmpty {
            guard let values = constants[current.input[1]]?.integers else { throw nodeFail("its sizes must be known at load") }
            sizes = values.map(Int.init)
        } else if let attribute = attribute("split") {
            sizes = attribute.ints.map(Int.init)
        } else {
            // Equal parts (the last smaller when they do not divide, as opset 18 says).
            let part = (channels + outputs.count - 1) / max(outputs.count, 1)
            sizes = (0..<outputs.count).map { min(part, max(0, channels - $0 * part)) }
        }
        guard sizes.count == outputs.count, sizes.allSatisfy({ $0 > 0 }), sizes.reduce(0, +) == channels else {
            throw nodeFail("sizes \(sizes) do not split \(channels) channels into \(outputs.count) parts")
        }
        let from = try source(x)
        var start = 0
        for (size, output) in zip(sizes, outputs) {
            try add(.channels(start: start, end: start + size), inputs: [from], output: output)
            start += size
        }
    }

    /// A slice with step 1 of the channels (axis 1), of height and width (axes 2, 3: a crop,
    /// as Keras' Cropping2D), or both; the batch axis whole.
    mutating func lowerSlice(_ x: String, shape: [Int]) throws {
        let (starts, ends, axes, steps) = try sliceBounds()
        let rank = shape.count + 1
        var kept = [(0, 0)] + shape.map { (0, $0) }  // [start, end) along each axis
        for (k, raw) in axes.enumerated() {
            let axis = raw < 0 ? raw + rank : raw
            guard (0..<rank).contains(axis), steps[k] == 1 else {
                throw nodeFail("only slices with step 1 of the channels (axis 1), height and width (axes 2, 3) are supported")
            }
            if axis == 0 {
                guard starts[k] == 0 || starts[k] <= -Int64(Int32.max), ends[k] >= Int64(Int32.max) else {
                    throw nodeFail("a slice of the batch is not supported")
                }
                continue
            }
            let n = Int64(shape[axis - 1])
            func clamp(_ v: Int64) -> Int { Int(max(0, min(n, v < 0 ? v + n : v))) }
            let (start, end) = (clamp(starts[k]), clamp(ends[k]))
            guard start < end else { throw nodeFail("an empty slice \(starts[k])..<\(ends[k]) of axis \(axis)") }
            kept[axis] = (start, end)
        }
        var from = try source(x)
        let out = try result()
        let cropped = kept.count == 4 && (kept[2] != (0, shape[1]) || kept[3] != (0, shape[2]))
        if kept[1] != (0, shape[0]) {
            let name = cropped ? out + ".channels" : out
            try add(.channels(start: kept[1].0, end: kept[1].1), inputs: [from], output: name)
            from = name
        }
        guard cropped else {
            if nodeOf[out] == nil { nodeOf[out] = from }
            return
        }
        // Negative padding: rows and columns left out.
        let crop = Pad(top: -kept[2].0, left: -kept[3].0, bottom: kept[2].1 - shape[1], right: kept[3].1 - shape[2], mode: .constant(0))
        try add(.pad(crop), inputs: [from], output: out)
    }

    /// Slice's starts, ends, axes and steps: inputs from opset 10, attributes before.
    func sliceBounds() throws -> (starts: [Int64], ends: [Int64], axes: [Int], steps: [Int64]) {
        func known(_ index: Int) throws -> [Int64]? {
            guard index < current.input.count, !current.input[index].isEmpty else { return nil }
            guard let values = constants[current.input[index]]?.integers else { throw nodeFail("its bounds must be known at load") }
            return values
        }
        let starts = try onnx.opset < 10 ? ints("starts", default: []).map(Int64.init) : known(1) ?? []
        let ends = try onnx.opset < 10 ? ints("ends", default: []).map(Int64.init) : known(2) ?? []
        let axes = try onnx.opset < 10 ? ints("axes", default: Array(0..<starts.count)) : (known(3)?.map { Int($0) } ?? Array(0..<starts.count))
        let steps = try (onnx.opset < 10 ? nil : known(4)) ?? [Int64](repeating: 1, count: starts.count)
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw nodeFail("starts, ends, axes and steps of different lengths")
        }
        return (starts, ends, axes, steps)
    }
}
