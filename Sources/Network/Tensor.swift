/// A Float32 buffer with a shape. Activations are NHWC: `[batch, height, width, channels]`
/// for images, `[batch, features]` after flattening (NHWC flattens row by row, channels
/// fastest, as TensorFlow does).
///
/// Layers keep their output and gradient tensors between steps and only reallocate when a
/// batch grows, so the training loop allocates nothing once warm.
public final class Tensor {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public private(set) var pointer: UnsafeMutablePointer<Float>
    private var capacity: Int

    public init(shape: [Int]) {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.count = count
        self.capacity = max(count, 1)
        self.pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "Tensor: \(values.count) values for shape \(shape)")
        self.init(shape: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    /// Gives the tensor a new shape; the content is undefined unless the size is unchanged.
    public func resize(_ newShape: [Int]) {
        let newCount = newShape.reduce(1, *)
        if newCount > capacity {
            pointer.deallocate()
            capacity = newCount
            pointer = .allocate(capacity: capacity)
            pointer.initialize(repeating: 0, count: capacity)
        }
        shape = newShape
        count = newCount
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func copy(from values: [Float]) {
        precondition(values.count == count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) }
    }

    public subscript(index: Int) -> Float {
        get { pointer[index] }
        set { pointer[index] = newValue }
    }

    /// The batch size (first dimension).
    public var batch: Int { shape[0] }
    /// Elements per sample.
    public var sampleSize: Int { count / max(shape[0], 1) }
}

/// A trainable tensor with its gradient, under the name it has in a safetensors file.
public final class Parameter {
    public let name: String
    public let value: Tensor
    public let gradient: Tensor

    public init(name: String, shape: [Int]) {
        self.name = name
        value = Tensor(shape: shape)
        gradient = Tensor(shape: shape)
    }
}
