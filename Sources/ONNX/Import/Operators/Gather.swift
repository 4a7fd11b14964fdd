import Network

extension Lowering {
    static let gather = OperatorLowering(
        operators: ["Gather"],
        summary: "Gather of a batch flattened by Reshape [-1] at the indices that restore it (PyTorch's as_strided view, as torch.export writes ConvNeXt's pooled features), or of adaptive pooling's window positions",
        lower: { try $0.lowerGather() })

    /// PyTorch's `as_strided` as the torch.export-based exporter writes it: the batch
    /// flattened, then gathered at `Range(0, N) * stride + offsets`. When those indices put
    /// every value back where it was (checked for batches of 1 and 2 images), the result is
    /// the value itself.
    mutating func lowerGather() throws {
        let data = try operand(0), indices = try operand(1)
        if try lowerAdaptiveSelect(data) { return }
        guard let (node, shape) = batchFlattened[data], int("axis", default: 0) == 0,
              constants[indices] != nil || batchDependent[indices] != nil else {
            throw nodeFail("a Gather of computed values is supported only as PyTorch's as_strided view of a whole batch "
                           + "(a Reshape to [-1], then a Gather at the indices that restore it)")
        }
        let count = shape.reduce(1, *)
        for n in [1, 2] as [Int64] {
            let t = try evaluate(indices, batch: n)
            let perImage = Array(t.dims.dropFirst())
            let sameShape = perImage == shape || (shape.count == 1 && perImage == [count, 1, 1])
            guard t.dims.first == Int(n), sameShape, t.integers == Array(0..<(n * Int64(count))) else {
                throw nodeFail("gathers a batch flattened by Reshape [-1] into another order or shape; only the view that restores it is supported")
            }
        }
        nodeOf[try result()] = node
    }
}
