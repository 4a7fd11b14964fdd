import Network

extension Lowering {
    static let pooling = OperatorLowering(
        operators: ["MaxPool", "AveragePool"],
        summary: "MaxPool, AveragePool (2-D, ceil_mode, count_include_pad, auto_pad; a Pad just before it becomes its padding)",
        lower: { try $0.lowerPooling() })

    mutating func lowerPooling() throws {
        let kernel = ints("kernel_shape", default: [])
        guard kernel.count == 2 else { throw nodeFail("kernel_shape \(kernel): only 2-D pooling is supported") }
        guard ints("dilations", default: [1, 1]) == [1, 1] else { throw nodeFail("dilated pooling is not supported") }
        // A Pad just before an AveragePool adds zeros that count: count_include_pad.
        let padded = pendingPads[try operand(0)] != nil && current.opType == "AveragePool"
        var countPadding = int("count_include_pad", default: 0) != 0
        if padded {
            guard countPadding || string("auto_pad", default: "NOTSET") == "NOTSET" && ints("pads", default: [0, 0, 0, 0]).allSatisfy({ $0 == 0 }) else {
                throw nodeFail("a Pad before an AveragePool with pads of its own and count_include_pad 0 is not supported")
            }
            countPadding = true
        }
        let pooling = Pooling(kind: current.opType == "MaxPool" ? .max : .average, window: kernel, stride: ints("strides", default: [1, 1]),
                              padding: try padding(kernel: kernel), ceil: int("ceil_mode", default: 0) != 0,
                              countPadding: countPadding)
        try add(.pooling(pooling), inputs: [try source(try operand(0))])
    }
}
