import Numerics

/// Max-pooling, window = stride = `size`, 'valid' (a trailing odd row or column is
/// dropped, as TensorFlow's 'valid' does; 28 -> 14 -> 7 have none).
///
/// Shapes: input `[N, H, W, C]`, output `[N, H/size, W/size, C]` (NHWC). Forward records
/// which input won each window; backward routes the gradient there.
public final class MaxPool2D: Layer {
    public let name: String
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let size: Int
    public var parameters: [Parameter] { [] }

    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private var winners: UnsafeMutablePointer<Int32> = .allocate(capacity: 1)
    private var winnersCapacity = 1

    public init(name: String, inputShape: [Int], size: Int = 2) {
        precondition(inputShape.count == 3, "MaxPool2D takes [height, width, channels] input")
        self.name = name
        self.inputShape = inputShape
        self.size = size
        outputShape = [inputShape[0] / size, inputShape[1] / size, inputShape[2]]
    }

    deinit { winners.deallocate() }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let n = input.batch
        let (h, w, c) = (inputShape[0], inputShape[1], inputShape[2])
        let (oh, ow) = (outputShape[0], outputShape[1])
        output.resize([n] + outputShape)
        if output.count > winnersCapacity {
            winners.deallocate()
            winnersCapacity = output.count
            winners = .allocate(capacity: winnersCapacity)
        }
        let (source, target, best, s) = (UnsafePointer(input.pointer), output.pointer, winners, size)
        Parallel.forRanges(n) { images in
            for image in images {
                let imageBase = image * h * w * c
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        let out = ((image * oh + oy) * ow + ox) * c
                        for ch in 0..<c {
                            var bestIndex = imageBase + ((oy * s) * w + ox * s) * c + ch
                            var bestValue = source[bestIndex]
                            for dy in 0..<s {
                                for dx in 0..<s {
                                    let index = imageBase + ((oy * s + dy) * w + ox * s + dx) * c + ch
                                    if source[index] > bestValue {
                                        bestValue = source[index]
                                        bestIndex = index
                                    }
                                }
                            }
                            target[out + ch] = bestValue
                            best[out + ch] = Int32(bestIndex)
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor? {
        guard needInputGradient else { return nil }
        let n = gradOutput.batch
        gradInput.resize([n] + inputShape)
        let perImageOut = outputShape.reduce(1, *), perImageIn = inputShape.reduce(1, *)
        let (source, target, best) = (UnsafePointer(gradOutput.pointer), gradInput.pointer, UnsafePointer(winners))
        Parallel.forRanges(n) { images in
            for image in images {
                (target + image * perImageIn).update(repeating: 0, count: perImageIn)
                for i in (image * perImageOut)..<((image + 1) * perImageOut) {
                    target[Int(best[i])] += source[i]
                }
            }
        }
        return gradInput
    }
}
