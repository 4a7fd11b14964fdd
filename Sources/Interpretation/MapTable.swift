import Foundation

/// `map.csv`: every training and test point's place on the layer map (`LayerMap`), one row
/// each: `split` (train or test), `index` in that split, `x`, `y`, and `level1`, the
/// level-1 cluster it belongs (training) or is routed (test) to.
public struct LayerMapPoints: Equatable, Sendable {
    public static let fileName = Artifacts.mapName
    static let header = "split,index,x,y,level1"

    /// `[x0, y0, x1, y1, ...]` of the training and of the test points.
    public var train: [Float]
    public var test: [Float]
    /// The level-1 cluster of each training and test point.
    public var trainLevel1: [Int]
    public var testLevel1: [Int]

    public init(train: [Float], test: [Float], trainLevel1: [Int], testLevel1: [Int]) {
        self.train = train
        self.test = test
        self.trainLevel1 = trainLevel1
        self.testLevel1 = testLevel1
    }

    public func encode() -> String {
        var lines = [Self.header]
        lines.reserveCapacity((train.count + test.count) / 2 + 1)
        for (split, xy, level1) in [("train", train, trainLevel1), ("test", test, testLevel1)] {
            for i in 0..<(xy.count / 2) {
                lines.append("\(split),\(i),\(InstancesTable.number(Double(xy[2 * i]))),\(InstancesTable.number(Double(xy[2 * i + 1]))),\(level1[i])")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads the map of `trainCount` training and `testCount` test points, in order.
    public static func decode(_ text: String, path: String, trainCount: Int, testCount: Int, k1: Int) throws -> LayerMapPoints {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == Substring(header) else { throw InterpretationError.badArtifact(path: path, problem: "does not start with the header \(header)") }
        lines.removeFirst()
        var train: [Float] = [], test: [Float] = [], trainLevel1: [Int] = [], testLevel1: [Int] = []
        train.reserveCapacity(2 * trainCount)
        test.reserveCapacity(2 * testCount)
        for (n, line) in lines.enumerated() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 5, let i = Int(f[1]), let x = Float(f[2]), let y = Float(f[3]), x.isFinite, y.isFinite,
                  let c = Int(f[4]), (0..<k1).contains(c) else {
                throw InterpretationError.badArtifact(path: path, problem: "line \(n + 2): not a split, an index, two coordinates and a level-1 cluster below \(k1)")
            }
            switch f[0] {
            case "train" where i == train.count / 2 && test.isEmpty: train += [x, y]; trainLevel1.append(c)
            case "test" where i == test.count / 2: test += [x, y]; testLevel1.append(c)
            default: throw InterpretationError.badArtifact(path: path, problem: "line \(n + 2): '\(f[0]),\(i)' out of order (training points first, then test points, by index)")
            }
        }
        guard train.count == 2 * trainCount, test.count == 2 * testCount else {
            throw InterpretationError.badArtifact(path: path, problem: "has \(train.count / 2) training and \(test.count / 2) test points; the interpretation has \(trainCount) and \(testCount)")
        }
        return LayerMapPoints(train: train, test: test, trainLevel1: trainLevel1, testLevel1: testLevel1)
    }
}
