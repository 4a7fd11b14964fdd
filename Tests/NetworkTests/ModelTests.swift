import Datasets
import Numerics
import XCTest
@testable import Network

/// A tiny network for tests: 6x6 input, 4 classes.
let tinyArchitecture = try! Architecture.parse(
    "c1:conv(3,3,relu),p1:maxpool(2),fc:dense(8,relu),drop:dropout(0.25),out:dense(4)", input: [6, 6, 1])

/// Toy images: class k has a bright 2x2 blob in quadrant k, plus noise.
func toySplit(count: Int, seed: UInt64) -> Split {
    var rng = SplitMix64(seed: seed)
    var pixels = [UInt8](repeating: 0, count: count * 36)
    var labels = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        let label = i % 4
        labels[i] = UInt8(label)
        for p in 0..<36 { pixels[i * 36 + p] = UInt8(rng.nextInt(below: 60)) }
        let (qy, qx) = (label / 2 * 3, label % 2 * 3)
        let (oy, ox) = (qy + rng.nextInt(below: 2), qx + rng.nextInt(below: 2))
        for dy in 0..<2 { for dx in 0..<2 { pixels[i * 36 + (oy + dy) * 6 + ox + dx] = 255 } }
    }
    return Split(images: ImageSet(count: count, rows: 6, columns: 6, pixels: pixels), labels: labels)
}

final class ModelTests: XCTestCase {
    override func setUp() { _ = try! BLAS.load() }

    func testDefaultNetworkHasThePapersParameterCount() throws {
        let model = try Model(architecture: .deepMNIST(), seed: 1)
        XCTAssertEqual(model.parameterCount, 3_274_634)
        XCTAssertEqual(model.layerNames, ["conv1", "pool1", "conv2", "pool2", "fc1", "dropout", "logits"])
        XCTAssertEqual(model.layers.map(\.outputShape), [[28, 28, 32], [14, 14, 32], [14, 14, 64], [7, 7, 64], [1024], [1024], [10]])
    }

    func testArchitectureCompactFormRoundTripsAndRejectsNonsense() throws {
        XCTAssertEqual(try Architecture.parse(Architecture.deepMNIST().compact, input: [28, 28, 1]), .deepMNIST())
        XCTAssertThrowsError(try Architecture.parse("a:conv(3,3),b:wobble(2),c:dense(2)", input: [4, 4, 1])) {
            XCTAssertTrue("\($0)".contains("unknown kind 'wobble'"), "\($0)")
        }
        XCTAssertThrowsError(try Architecture.parse("a:dense(3,relu),a:dense(2)", input: [4, 4, 1])) {
            XCTAssertTrue("\($0)".contains("appears twice"), "\($0)")
        }
        XCTAssertThrowsError(try Architecture.parse("a:dense(3,relu)", input: [4, 4, 1])) {
            XCTAssertTrue("\($0)".contains("last layer must be dense with no activation"), "\($0)")
        }
        XCTAssertThrowsError(try Architecture.deepMNIST().validate(classes: 3)) {
            XCTAssertTrue("\($0)".contains("10 outputs but the data has 3 classes"), "\($0)")
        }
    }

    /// The whole tiny network, softmax cross-entropy included, against central differences.
    func testWholeNetworkGradient() throws {
        let model = try Model(architecture: tinyArchitecture, seed: 4)
        let data = toySplit(count: 3, seed: 9)
        let input = Tensor(shape: [0])
        Model.fill(input, from: data.images, indices: ArraySlice(0..<3))
        let labels: [Int32] = data.labels.map(Int32.init)
        let gradient = Tensor(shape: [0])
        let seed = SplitMix64(seed: 77).state
        func loss() -> Double {
            model.reseedDropout(seed)  // the same dropout mask for every evaluation
            let logits = model.forward(input, training: true)
            return labels.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.lossAndGradient(logits: logits, labels: $0.baseAddress!, gradient: gradient).loss
            }
        }
        _ = loss()
        model.backward(gradient)
        let analytic = model.parameters.map { $0.gradient.array }
        var checked = 0
        for (p, parameter) in model.parameters.enumerated() {
            for i in stride(from: 0, to: parameter.value.count, by: max(1, parameter.value.count / 25)) {
                let saved = parameter.value[i]
                parameter.value[i] = saved + 1e-3
                let plus = loss()
                parameter.value[i] = saved - 1e-3
                let minus = loss()
                parameter.value[i] = saved
                let numeric = (plus - minus) / 2e-3
                XCTAssertEqual(Double(analytic[p][i]), numeric, accuracy: 2e-3 + 2e-2 * abs(numeric), "\(parameter.name)[\(i)]")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
    }

    func testTinyNetworkLearnsToyProblemPerfectly() throws {
        let data = toySplit(count: 200, seed: 1)
        let model = try Model(architecture: tinyArchitecture, seed: 2)
        var configuration = TrainingConfiguration()
        configuration.epochs = 30
        configuration.batchSize = 20
        configuration.learningRate = 0.01
        configuration.augmentation = nil
        let history = try Trainer(model: model, configuration: configuration).train(data)
        XCTAssertEqual(history.count, 30)
        XCTAssertLessThan(history.last!.loss, history.first!.loss)
        XCTAssertEqual(try Evaluation(model: model, split: data).accuracy, 1.0)
        XCTAssertEqual(try Evaluation(model: model, split: toySplit(count: 100, seed: 2)).accuracy, 1.0)
    }

    func testSameSeedSameModel() throws {
        func trained() throws -> [Float] {
            let model = try Model(architecture: tinyArchitecture, seed: 5)
            var configuration = TrainingConfiguration()
            configuration.epochs = 2
            configuration.batchSize = 16
            _ = try Trainer(model: model, configuration: configuration).train(toySplit(count: 64, seed: 3))
            return model.parameters.flatMap { $0.value.array }
        }
        XCTAssertEqual(try trained(), try trained())
        XCTAssertNotEqual(try Model(architecture: tinyArchitecture, seed: 5).parameters[0].value.array,
                          try Model(architecture: tinyArchitecture, seed: 6).parameters[0].value.array)
    }

    func testFeaturesOfANamedLayer() throws {
        let model = try Model(architecture: tinyArchitecture, seed: 1)
        let data = toySplit(count: 7, seed: 4)
        let pooled = try model.features(layer: "p1", images: data.images, batchSize: 3)
        XCTAssertEqual(pooled.rows, 7)
        XCTAssertEqual(pooled.columns, 3 * 3 * 3)
        // Batched in threes or all at once: the same numbers.
        XCTAssertEqual(pooled, try model.features(layer: "p1", images: data.images, batchSize: 7))
        XCTAssertTrue(pooled.values.allSatisfy { $0 >= 0 }, "after ReLU and max-pooling")
        XCTAssertThrowsError(try model.features(layer: "fc2", images: data.images)) {
            XCTAssertEqual("\($0)", "--layer: unknown layer 'fc2'; the model has c1, p1, fc, drop, out")
        }
        let probabilities = try model.probabilities(images: data.images)
        for row in 0..<7 { XCTAssertEqual(Double(probabilities.row(row).reduce(0, +)), 1, accuracy: 1e-5) }
    }

    func testIdentityAugmentationReproducesTheImage() {
        let data = toySplit(count: 1, seed: 8)
        let target = UnsafeMutablePointer<Float>.allocate(capacity: 36)
        defer { target.deallocate() }
        Augmentation.apply(.identity, images: data.images, index: 0, into: target)
        for p in 0..<36 { XCTAssertEqual(target[p], Float(data.images.pixels[p]) / 255, accuracy: 1e-6) }
        var rng = SplitMix64(seed: 1)
        let none = Augmentation(rotationDegrees: 0, scale: 0, shiftPixels: 0).draw(&rng)
        Augmentation.apply(none, images: data.images, index: 0, into: target)
        for p in 0..<36 { XCTAssertEqual(target[p], Float(data.images.pixels[p]) / 255, accuracy: 1e-5) }
    }
}
