import Numerics
import XCTest
@testable import Network

final class LayerTests: XCTestCase {
    override func setUp() { _ = try! BLAS.load() }

    let grid = Tensor(shape: [1, 4, 4, 1], values: (1...16).map(Float.init))

    func testConvAllOnes3x3SumsEachNeighbourhood() {
        let conv = Conv2D(name: "c", inputShape: [4, 4, 1], outputChannels: 1, kernelSize: 3, activation: .none)
        for i in 0..<9 { conv.weight.value[i] = 1 }
        XCTAssertEqual(conv(grid).array, [14, 24, 30, 22, 33, 54, 63, 45, 57, 90, 99, 69, 46, 72, 78, 54])
    }

    func testConvIsCorrelationWithSamePadding() {
        // Only the top-left tap set: output(y, x) = input(y-1, x-1), zero outside.
        let conv = Conv2D(name: "c", inputShape: [4, 4, 1], outputChannels: 2, kernelSize: 3, activation: .relu)
        conv.weight.value[0 * 2 + 0] = 1      // tap (0,0) -> channel 0
        conv.weight.value[8 * 2 + 1] = -1     // tap (2,2) -> channel 1, negated then ReLU'd
        conv.bias.value[1] = 20
        let out = conv(grid).array
        let channel0 = stride(from: 0, to: 32, by: 2).map { out[$0] }
        let channel1 = stride(from: 1, to: 32, by: 2).map { out[$0] }
        XCTAssertEqual(channel0, [0, 0, 0, 0, 0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11])
        // 20 - input(y+1, x+1), or 20 where that is outside the image.
        XCTAssertEqual(channel1, [14, 13, 12, 20, 10, 9, 8, 20, 6, 5, 4, 20, 20, 20, 20, 20])
    }

    func testMaxPoolForwardAndBackward() {
        let pool = MaxPool2D(name: "p", inputShape: [4, 4, 1])
        XCTAssertEqual(pool(grid).array, [6, 8, 14, 16])
        let back = pool.backward(Tensor(shape: [1, 2, 2, 1], values: [1, 2, 3, 4]), needInputGradient: true)!.array
        XCTAssertEqual(back, [0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4])
    }

    func testDenseByHand() {
        let dense = Dense(name: "d", inputShape: [3], outputs: 2, activation: .none)
        dense.weight.value.copy(from: [1, 2, 3, 4, 5, 6])  // [3, 2]
        dense.bias.value.copy(from: [0.5, -0.5])
        let expected: [Float] = [14.5, 17.5]  // [1+3+10+0.5, 2+4+12-0.5]
        XCTAssertEqual(dense(Tensor(shape: [1, 3], values: [1, 1, 2])).array, expected)
    }

    func testSoftmaxCrossEntropyByHand() {
        let logits = Tensor(shape: [2, 2], values: [0, 0, 2, 0])
        let gradient = Tensor(shape: [0])
        let labels: [Int32] = [0, 1]
        let (loss, correct) = labels.withUnsafeBufferPointer {
            SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: $0.baseAddress!, gradient: gradient)
        }
        let p = 1 / (1 + exp(-2.0))  // softmax([2, 0])[0]
        XCTAssertEqual(loss, (log(2.0) + -log(1 - p)) / 2, accuracy: 1e-6)
        XCTAssertEqual(correct, 1)  // row 1 ties, argmax takes class 0 = its label; row 2 is wrong
        let g = gradient.array.map(Double.init)
        XCTAssertEqual(g[0], (0.5 - 1) / 2, accuracy: 1e-6)
        XCTAssertEqual(g[1], 0.5 / 2, accuracy: 1e-6)
        XCTAssertEqual(g[2], p / 2, accuracy: 1e-6)
        XCTAssertEqual(g[3], (1 - p - 1) / 2, accuracy: 1e-6)
    }

    func testDropoutKeepsExpectationAndPassesThroughAtInference() {
        let dropout = Dropout(name: "drop", inputShape: [10_000], rate: 0.5, seed: 1)
        let ones = Tensor(shape: [1, 10_000], values: [Float](repeating: 1, count: 10_000))
        let trained = dropout.forward(ones, training: true).array
        XCTAssertTrue(trained.allSatisfy { $0 == 0 || $0 == 2 })
        XCTAssertEqual(Double(trained.reduce(0, +)) / 10_000, 1, accuracy: 0.05)
        XCTAssertTrue(dropout(ones) === ones)
    }

    // Gradient checks, one per layer family, on tiny shapes.

    func testConvGradient() {
        let conv = Conv2D(name: "conv", inputShape: [5, 4, 2], outputChannels: 3, kernelSize: 3, activation: .none)
        conv.weight.value.copy(from: GradientCheck.random(conv.weight.value.shape, seed: 11).array)
        conv.bias.value.copy(from: [0.1, -0.1, 0.2])
        GradientCheck.check(conv, input: GradientCheck.random([2, 5, 4, 2], seed: 12))
    }

    func testConvGradientWithReLU() {
        let conv = Conv2D(name: "conv", inputShape: [5, 4, 2], outputChannels: 3, kernelSize: 3, activation: .relu)
        conv.weight.value.copy(from: GradientCheck.random(conv.weight.value.shape, seed: 11).array)
        conv.bias.value.copy(from: [0.1, -0.1, 0.2])
        GradientCheck.check(conv, input: GradientCheck.random([2, 5, 4, 2], seed: 15))
    }

    func testConvGradientEvenKernel() {
        let conv = Conv2D(name: "conv", inputShape: [4, 4, 1], outputChannels: 2, kernelSize: 2, activation: .none)
        conv.weight.value.copy(from: GradientCheck.random(conv.weight.value.shape, seed: 13).array)
        GradientCheck.check(conv, input: GradientCheck.random([1, 4, 4, 1], seed: 14))
    }

    func testMaxPoolGradient() {
        // Distinct values, well apart, so no window has a near-tie.
        var values = (0..<(2 * 4 * 6 * 3)).map { Float($0) * 0.37 }
        var rng = SplitMix64(seed: 5)
        values.shuffle(using: &rng)
        GradientCheck.check(MaxPool2D(name: "pool", inputShape: [4, 6, 3]), input: Tensor(shape: [2, 4, 6, 3], values: values))
    }

    func testDenseGradient() {
        let dense = Dense(name: "fc", inputShape: [2, 2, 3], outputs: 4, activation: .relu)
        dense.weight.value.copy(from: GradientCheck.random(dense.weight.value.shape, seed: 21).array)
        dense.bias.value.copy(from: [0.05, 0.1, -0.05, 0.2])
        GradientCheck.check(dense, input: GradientCheck.random([3, 2, 2, 3], seed: 22))
    }

    func testDropoutGradient() {
        GradientCheck.check(Dropout(name: "drop", inputShape: [7], rate: 0.4, seed: 9),
                            input: GradientCheck.random([3, 7], seed: 23))
    }
}
