import Foundation
import Network
import Numerics

/// Lowers an ONNX graph onto cnn-inte's engine (`Network.Graph`): one node per ONNX node
/// that computes something, named after the value it makes (so `--layer` takes ONNX value
/// names), weights copied from the initializers in oneDNN's logical layout, which is
/// ONNX's (`[O, I/groups, KH, KW]`, `[O, F]`). Feature maps flatten channels first, as in
/// ONNX.
///
/// Nodes whose inputs are all known at load are evaluated then (`ConstantFolding`); the
/// rest are lowered by the table of operator families (`OperatorLowering`, one file each
/// under `Operators/`), each read in the forms of opsets 9 to 21. Anything else is
/// refused with one line naming the operator, the node and the opset; `blockers` lists
/// every node that stops a model, not only the first.
public enum ONNXImporter {
    public struct Lowered {
        public var graph: Graph
        /// Parameter name (`<node>.weight`, ...) -> values in the logical layout.
        public var weights: [String: [Float]]
        /// The ONNX value each graph node stands for, and the graph node of each ONNX value.
        public var nodeOfValue: [String: String]
        /// The model's own normalisation of its input (`a[c] * x + b[c]` on each channel of
        /// what it is given), when only that reads the input: for `InputTransform`.
        public var inputNormalisation: (a: [Float], b: [Float])?
        /// Values the nodes make that were evaluated at load (constants and shapes).
        public var folded: Set<String> = []
        /// The framework's module names (`layer4`, `avgpool`) -> the ONNX value each
        /// outputs, where the file records them (`ModuleNames`).
        public var moduleOutputs: [String: String] = [:]
    }

    /// One operator (or pattern) that stops a model from running: how many nodes, the
    /// first of them, and its problem as one line.
    public struct Blocker: Codable, Equatable, Sendable {
        public var op: String
        public var count: Int
        public var firstNode: String
        public var problem: String
    }

    /// The metadata key cnn-inte's export records the graph's flatten order under.
    public static let flattenOrderKey = "cnn-inte.flatten_order"

    /// What the importer reads, family by family (the error messages, `inspect` and the
    /// README's list come from here).
    public static var supported: [String] {
        OperatorLowering.table.map(\.summary) + ["any node whose inputs are all constants or shapes (\(ConstantFolding.operators.sorted().joined(separator: ", ")))"]
    }

    /// The model as a cnn-inte network with the file's weights.
    public static func model(_ onnx: ONNXModel) throws -> Model { try model(try lower(onnx), path: onnx.path) }

    /// The model of a lowered graph; its input is prepared by `preprocessing` (pixel bytes
    /// to what the file's input takes), then the file's own normalisation.
    static func model(_ lowered: Lowered, path: String, preprocessing: InputTransform? = nil) throws -> Model {
        let model: Model
        do { model = try Model(graph: lowered.graph, seed: 0) } catch {
            throw ONNXError(path: path, problem: "cannot run on cnn-inte's engine: \(error)")
        }
        let given = preprocessing ?? .standard(channels: lowered.graph.input.channels)
        model.inputTransform = lowered.inputNormalisation.map { given.followed(byScale: $0.a, shift: $0.b) } ?? given
        for parameter in model.parameters {
            guard let values = lowered.weights[parameter.name] else {
                throw ONNXError(path: path, problem: "no weights for \(parameter.name)")
            }
            do { try parameter.setLogicalValues(values) } catch { throw ONNXError(path: path, problem: "\(error)") }
        }
        return model
    }

    /// A node `name` computing `a[c] * x + b[c]` on each channel of `input`: an inference
    /// batch normalization with mean 0 and variance 1 - epsilon, so that it divides by
    /// exactly 1. (It keeps its input's layout, so the next primitive takes it as fast as
    /// it would the input.)
    static func channelAffine(_ name: String, a: [Float], b: [Float], input: String) -> (node: Node, weights: [String: [Float]]) {
        let epsilon: Float = 1e-5
        let node = Node(name, .batchNormalization(BatchNormalization(epsilon: epsilon)), inputs: [input])
        return (node, [name + ".scale": a, name + ".shift": b, name + ".running_mean": [Float](repeating: 0, count: b.count),
                       name + ".running_var": [Float](repeating: 1 - epsilon, count: b.count)])
    }

    public static func lower(_ onnx: ONNXModel) throws -> Lowered {
        var lowering = Lowering(onnx: onnx)
        try lowering.run()
        return lowering.lowered()
    }

    /// Every operator and pattern that stops `onnx` from being lowered, grouped by
    /// operator in the order first met (empty when it lowers). A node reading a value that
    /// a blocked node makes is not counted again.
    public static func blockers(_ onnx: ONNXModel) -> [Blocker] {
        var lowering = Lowering(onnx: onnx, collecting: true)
        do { try lowering.run() } catch let error as ONNXError {
            lowering.problems.append((op: "", node: "", problem: error.problem))
        } catch {
            lowering.problems.append((op: "", node: "", problem: "\(error)"))
        }
        var blockers: [Blocker] = []
        for (op, node, problem) in lowering.problems {
            if let i = blockers.firstIndex(where: { $0.op == op }) { blockers[i].count += 1; continue }
            blockers.append(Blocker(op: op, count: 1, firstNode: node, problem: problem))
        }
        return blockers
    }
}
