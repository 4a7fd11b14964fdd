import Datasets
import Foundation
import Numerics

/// A tiny data set the tests share: 6x6 grey images, class k has a bright 2x2 blob in
/// quadrant k (north-west, north-east, south-west, south-east) over faint noise.
public enum ToyData {
    public static let classNames = ["north-west", "north-east", "south-west", "south-east"]

    /// `count` images, labels cycling 0, 1, 2, 3; the same for the same seed.
    public static func split(count: Int, seed: UInt64) -> (images: ImageSet, labels: [UInt8]) {
        var state = seed
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        var pixels = [UInt8](repeating: 0, count: count * 36)
        var labels = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let label = i % 4
            labels[i] = UInt8(label)
            for p in 0..<36 { pixels[i * 36 + p] = UInt8(next(50)) }
            let (oy, ox) = (label / 2 * 3 + next(2), label % 2 * 3 + next(2))
            for dy in 0..<2 { for dx in 0..<2 { pixels[i * 36 + (oy + dy) * 6 + ox + dx] = 255 } }
        }
        return (ImageSet(count: count, rows: 6, columns: 6, pixels: pixels), labels)
    }

    /// The data set in memory, as `Dataset.load` would give it from `writeFolder`.
    public static func dataset(train: Int = 120, test: Int = 24, folder: String = "toy") -> Dataset {
        let (trainImages, trainLabels) = split(count: train, seed: 1)
        let (testImages, testLabels) = split(count: test, seed: 2)
        return Dataset(name: (folder as NSString).lastPathComponent, source: .folder(folder),
                       train: Split(images: trainImages, labels: trainLabels), test: Split(images: testImages, labels: testLabels),
                       classNames: classNames)
    }

    /// The four IDX files (gzip) and classes.txt in `folder`.
    public static func writeFolder(_ folder: String, train: Int = 80, test: Int = 20) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (trainImages, trainLabels) = split(count: train, seed: 1)
        let (testImages, testLabels) = split(count: test, seed: 2)
        try GzipFile.write(IDX.encode(images: trainImages), to: folder + "/train-images-idx3-ubyte.gz")
        try GzipFile.write(IDX.encode(labels: trainLabels), to: folder + "/train-labels-idx1-ubyte.gz")
        try GzipFile.write(IDX.encode(images: testImages), to: folder + "/t10k-images-idx3-ubyte.gz")
        try GzipFile.write(IDX.encode(labels: testLabels), to: folder + "/t10k-labels-idx1-ubyte.gz")
        try (classNames.joined(separator: "\n") + "\n").write(toFile: folder + "/classes.txt", atomically: true, encoding: .utf8)
    }
}

/// A labeller for the toy images that needs no training: its one layer, `quadrants`, is
/// the summed brightness of each quadrant, and its probabilities a softmax of those sums.
/// It stands in for a CNN where a test is about the interpretation, not the network.
public final class QuadrantLabeller: ImageLabeller {
    public let classCount = 4
    public let layerNames = ["quadrants"]
    /// Quadrant sums are divided by this before the softmax: larger is less sure.
    public let temperature: Float

    public init(temperature: Float = 200) { self.temperature = temperature }

    public func featuresAndProbabilities(layer: String, images: ImageSet, progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix) {
        defer { progress?.advance(by: images.count) }
        guard layer == "quadrants" else { throw UsageError("--layer: unknown layer '\(layer)'; the model has quadrants") }
        guard images.rows == 6, images.columns == 6 else { throw UsageError("the model takes 6x6x1 images") }
        var features = [Float](repeating: 0, count: images.count * 4)
        var probabilities = [Float](repeating: 0, count: images.count * 4)
        for i in 0..<images.count {
            let image = images.image(i)
            for y in 0..<6 {
                for x in 0..<6 { features[i * 4 + (y / 3) * 2 + x / 3] += Float(image[image.startIndex + y * 6 + x]) }
            }
            let top = (0..<4).map { features[i * 4 + $0] }.max()!
            let e = (0..<4).map { expf((features[i * 4 + $0] - top) / temperature) }
            let sum = e.reduce(0, +)
            for c in 0..<4 { probabilities[i * 4 + c] = e[c] / sum }
        }
        return (Matrix(rows: images.count, columns: 4, values: features), Matrix(rows: images.count, columns: 4, values: probabilities))
    }
}
