import Datasets
import Numerics
import XCTest
@testable import Network

/// A tiny network for tests: 6x6 input, 4 classes.
let tinyGraph = try! LayerList.parse("c1:conv(3,3,relu),p1:maxpool(2),fc:dense(8,relu),drop:dropout(0.25),out:dense(4)",
                                     input: .init(channels: 1, height: 6, width: 6))

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
    static let mnist = Graph.InputShape(channels: 1, height: 28, width: 28)

    func testDefaultNetworkHasThePapersParameterCount() throws {
        let model = try Model(graph: Builtins.deepMNIST(input: Self.mnist, classes: 10), seed: 1)
        XCTAssertEqual(model.parameterCount, 3_274_634)
        XCTAssertEqual(model.layerNames, ["conv1", "pool1", "conv2", "pool2", "fc1", "dropout", "logits"])
        let shapes = try model.graph.shapes()
        XCTAssertEqual(model.layerNames.map { shapes[$0]! }, [[32, 28, 28], [32, 14, 14], [64, 14, 14], [64, 7, 7], [1024], [1024], [10]])
    }

    /// ResNet-20 sized to 28x28x1 and 10 classes: He et al.'s three stages of three blocks,
    /// 272,186 trainable values (plus 1,568 running statistics of its batch norms: the
    /// 273,754 Keras counts for the same network in Tests/reference/tf_bench.py).
    func testResNet20() throws {
        let graph = Builtins.resnet20(input: Self.mnist, classes: 10)
        let model = try Model(graph: graph, seed: 1)
        XCTAssertEqual(model.parameterCount, 272_186)
        XCTAssertEqual(model.parameters.reduce(0) { $0 + $1.spec.count }, 273_754)
        let shapes = try graph.shapes()
        XCTAssertEqual(shapes["stem"], [16, 28, 28])
        XCTAssertEqual(shapes["s1b3"], [16, 28, 28])
        XCTAssertEqual(shapes["s2b1"], [32, 14, 14])
        XCTAssertEqual(shapes["s3b3"], [64, 7, 7])
        XCTAssertEqual(shapes["gap"], [64])
        XCTAssertEqual(graph.nodes.filter { $0.op == .add }.count, 9)
        XCTAssertEqual(try LayerList.parse(LayerList.compact(graph), input: Self.mnist), graph)
    }

    func testLayerListRoundTripsAndRejectsNonsense() throws {
        let deep = Builtins.deepMNIST(input: Self.mnist, classes: 10)
        XCTAssertEqual(LayerList.compact(deep),
                       "conv1:conv(32,5,relu),pool1:maxpool(2),conv2:conv(64,5,relu),pool2:maxpool(2),fc1:dense(1024,relu),dropout:dropout(0.5),logits:dense(10)")
        XCTAssertEqual(try LayerList.parse(LayerList.compact(deep), input: Self.mnist), deep)
        let varied = "a:conv(8,3x5,relu6,stride=2,padding=1:0:2:1,dilation=2,bias=no),b:bn(epsilon=0.001),c:leakyrelu(0.1),"
            + "d:conv(8,1)<a,e:add(c,d),f:avgpool(3,stride=1,padding=same),g:gap(),h:dense(10)"
        XCTAssertEqual(LayerList.compact(try LayerList.parse(varied, input: Self.mnist)), varied)
        for (text, words) in [
            ("a:conv(3,3),b:wobble(2),c:dense(2)", "unknown kind 'wobble'"),
            ("a:dense(3,relu),a:dense(2)", "appears twice"),
            ("a:dense(3,relu)", "last layer must be dense with no activation"),
            ("a:conv(3,3,stride=0),b:dense(2)", "stride must be a positive whole number"),
            ("a:conv(3,3,colour=red),b:dense(2)", "unknown option 'colour='"),
            ("a:conv(3,3),b:add(a,zz),c:dense(2)", "its input 'zz' is not an earlier node"),
            ("a:conv(3,3),b:conv(4,3)<a,c:add(a,b),d:dense(2)", "its inputs have different shapes"),
            ("a:maxpool(64),b:dense(2)", "window does not fit 28x28"),
            ("a:conv(3,3,groups=2),b:dense(2)", "2 groups do not divide its 1 input channels"),
        ] {
            XCTAssertThrowsError(try LayerList.parse(text, input: Self.mnist), text) {
                XCTAssertTrue("\($0)".contains(words), "\(text): \($0)")
            }
        }
        XCTAssertThrowsError(try deep.validate(classes: 3)) {
            XCTAssertTrue("\($0)".contains("10 outputs but the data has 3 classes"), "\($0)")
        }
    }

    /// 'same' padding as TensorFlow: the odd extra zero after; ceil pooling as ONNX.
    func testPaddingAndOutputSizes() throws {
        let fail = { (p: String) in GraphError(p) }
        let same = try Graph.window(input: [28, 28], extent: [3, 3], stride: [2, 2], padding: .same, ceil: false, fail: fail)
        XCTAssertEqual(same.size, [14, 14])
        XCTAssertEqual(same.padding, ResolvedPadding(begin: [0, 0], end: [1, 1]))
        let valid = try Graph.window(input: [7, 7], extent: [2, 2], stride: [2, 2], padding: .valid, ceil: false, fail: fail)
        XCTAssertEqual(valid.size, [3, 3])
        let ceil = try Graph.window(input: [7, 7], extent: [2, 2], stride: [2, 2], padding: .valid, ceil: true, fail: fail)
        XCTAssertEqual(ceil.size, [4, 4])
        XCTAssertEqual(ceil.padding.end, [1, 1], "the last window reads one padded cell")
    }

    func testTinyNetworkLearnsToyProblemPerfectly() throws {
        let data = toySplit(count: 200, seed: 1)
        let model = try Model(graph: tinyGraph, seed: 2)
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
            let model = try Model(graph: tinyGraph, seed: 5)
            var configuration = TrainingConfiguration()
            configuration.epochs = 2
            configuration.batchSize = 16
            _ = try Trainer(model: model, configuration: configuration).train(toySplit(count: 64, seed: 3))
            return try model.parameters.flatMap { try $0.plainValues() }
        }
        XCTAssertEqual(try trained(), try trained())
        XCTAssertNotEqual(try Model(graph: tinyGraph, seed: 5).parameters[0].plainValues(),
                          try Model(graph: tinyGraph, seed: 6).parameters[0].plainValues())
    }

    func testFeaturesOfANamedLayer() throws {
        let model = try Model(graph: tinyGraph, seed: 1)
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
