import Network

extension Lowering {
    static let split = OperatorLowering(
        operators: ["Split", "Slice"],
        summary: "Split, Slice along the channels (step 1)",
        lower: { try $0.lowerSplit() })

    mutating func lowerSplit() throws {
        let x = try operand(0)
        let shape = try perImageShape(x)
        let channels = shape.first ?? 0
        if current.opType == "Slice" {
            let (starts, ends, axes, steps) = try sliceBounds()
            guard starts.count == 1, [1, -shape.count].contains(axes[0]), steps == [1] else {
                throw nodeFail("only a slice of the channels (axis 1) with step 1 is supported")
            }
            let n = Int64(channels)
            func clamp(_ v: Int64) -> Int { Int(max(0, min(n, v < 0 ? v + n : v))) }
            let (start, end) = (clamp(starts[0]), clamp(ends[0]))
            guard start < end else { throw nodeFail("an empty slice of channels \(starts[0])..<\(ends[0])") }
            if (start, end) == (0, channels) { return try alias() }
            return try add(.channels(start: start, end: end), inputs: [try source(x)])
        }
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
