import Foundation
import Network
import SwiftProtobuf

/// Writes a cnn-inte network as ONNX (opset 13), so a model trained here can go into
/// onnxruntime, Netron or other explainers. Values are named after the graph's nodes, so
/// layer names survive the trip; a fused activation becomes its own node after the layer
/// (`<node>.act`, the node's name going to the activation's output, as cnn-inte reads
/// it). Feature maps flattened channels last (cnn-inte's own networks, like TensorFlow's)
/// get a Transpose to NHWC before the Flatten.
public enum ONNXExporter {
    public static func export(_ model: Model, producerVersion: String) throws -> Data {
        var exporter = Exporter(model: model)
        try exporter.run()
        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        proto.producerName = "cnn-inte"
        proto.producerVersion = producerVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 13
        proto.opsetImport = [opset]
        proto.graph = exporter.graph
        // The order features are read in, for graphs where no Flatten says it (cnn-inte's
        // own import reads it back; other tools ignore it).
        var order = Onnx_StringStringEntryProto()
        order.key = ONNXImporter.flattenOrderKey
        order.value = model.graph.flattenOrder.rawValue
        proto.metadataProps = [order]
        return try proto.serializedData()
    }
}

private struct Exporter {
    let model: Model
    var graph = Onnx_GraphProto()
    var shapes: [String: [Int]] = [:]

    init(model: Model) { self.model = model }

    static func tensorType(_ dims: [Int?]) -> Onnx_TypeProto {
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = 1
        tensor.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            return dim
        }
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        return type
    }

    mutating func initializer(_ name: String, _ values: [Float], dims: [Int]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 1
        t.dims = dims.map(Int64.init)
        t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }  // little-endian on every machine cnn-inte runs on
        graph.initializer.append(t)
    }

    mutating func node(_ op: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto] = []) {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = [output]
        n.name = output
        n.attribute = attributes
        graph.node.append(n)
    }

    func weights(_ node: String, _ suffix: String) throws -> [Float] {
        guard let parameter = model.parameter(node + "." + suffix) else { throw GraphError("no parameter \(node).\(suffix)") }
        return try parameter.logicalValues()
    }

    static func padding(_ padding: Padding) -> [Onnx_AttributeProto] {
        switch padding {
        case .same: return [Onnx_AttributeProto.string("auto_pad", "SAME_UPPER")]
        case .valid: return []
        case let .explicit(top, left, bottom, right): return [Onnx_AttributeProto.ints("pads", [top, left, bottom, right])]
        }
    }

    /// The element-wise function `activation` from `input` to `output`.
    mutating func activation(_ activation: Activation, _ input: String, _ output: String) throws {
        switch activation {
        case .none: node("Identity", [input], output)
        case .relu: node("Relu", [input], output)
        case let .leakyRelu(slope): node("LeakyRelu", [input], output, [Onnx_AttributeProto.float("alpha", slope)])
        case let .clip(lower, upper):
            initializer(output + ".min", [lower], dims: [])
            initializer(output + ".max", [upper], dims: [])
            node("Clip", [input, output + ".min", output + ".max"], output)
        case .sigmoid: node("Sigmoid", [input], output)
        case .tanh: node("Tanh", [input], output)
        default: throw GraphError("\(activation.name) comes only from imported models; cnn-inte exports the networks it trains")
        }
    }

    /// `input` as one row per image, in the graph's flatten order.
    mutating func flattened(_ input: String, name: String) -> String {
        guard shapes[input].map({ $0.count == 3 }) ?? (input == Graph.inputName) else { return input }
        var source = input
        if model.graph.flattenOrder == .channelsLast {
            node("Transpose", [input], name + ".nhwc", [Onnx_AttributeProto.ints("perm", [0, 2, 3, 1])])
            source = name + ".nhwc"
        }
        node("Flatten", [source], name + ".flat", [Onnx_AttributeProto.int("axis", 1)])
        return name + ".flat"
    }

    mutating func run() throws {
        let g = model.graph
        shapes = try g.shapes()
        shapes[Graph.inputName] = g.input.shape
        graph.name = "cnn-inte"
        var input = Onnx_ValueInfoProto()
        input.name = Graph.inputName
        input.type = Self.tensorType([nil, g.input.channels, g.input.height, g.input.width])
        graph.input = [input]
        for n in g.nodes {
            let name = n.name, x = n.inputs.first ?? Graph.inputName
            switch n.op {
            case let .convolution(c):
                let w = try weights(name, "weight")
                initializer(name + ".weight", w, dims: [c.filters, (shapes[x]?[0] ?? 1) / c.groups] + c.kernel)
                var inputs = [x, name + ".weight"]
                if c.bias { initializer(name + ".bias", try weights(name, "bias"), dims: [c.filters]); inputs.append(name + ".bias") }
                let attributes = [Onnx_AttributeProto.ints("kernel_shape", c.kernel), Onnx_AttributeProto.ints("strides", c.stride), Onnx_AttributeProto.ints("dilations", c.dilation),
                                  Onnx_AttributeProto.int("group", c.groups)] + Self.padding(c.padding)
                let out = c.activation == .none ? name : name + ".pre"
                node("Conv", inputs, out, attributes)
                if c.activation != .none { try activation(c.activation, out, name) }
            case let .pooling(p):
                var attributes = [Onnx_AttributeProto.ints("kernel_shape", p.window), Onnx_AttributeProto.ints("strides", p.stride), Onnx_AttributeProto.int("ceil_mode", p.ceil ? 1 : 0)]
                    + Self.padding(p.padding)
                if p.kind == .average { attributes.append(Onnx_AttributeProto.int("count_include_pad", p.countPadding ? 1 : 0)) }
                node(p.kind == .max ? "MaxPool" : "AveragePool", [x], name, attributes)
            case .globalAveragePooling:
                node("GlobalAveragePool", [x], name + ".map")
                node("Flatten", [name + ".map"], name, [Onnx_AttributeProto.int("axis", 1)])
            case let .dense(d):
                let source = flattened(x, name: name)
                let w = try weights(name, "weight")
                initializer(name + ".weight", w, dims: [d.units, w.count / d.units])
                var inputs = [source, name + ".weight"]
                if d.bias { initializer(name + ".bias", try weights(name, "bias"), dims: [d.units]); inputs.append(name + ".bias") }
                let out = d.activation == .none ? name : name + ".pre"
                node("Gemm", inputs, out, [Onnx_AttributeProto.int("transB", 1)])
                if d.activation != .none { try activation(d.activation, out, name) }
            case let .batchNormalization(b):
                let channels = shapes[x]?[0] ?? 0
                var inputs = [x]
                for suffix in ["scale", "shift", "running_mean", "running_var"] {
                    initializer(name + "." + suffix, try weights(name, suffix), dims: [channels])
                    inputs.append(name + "." + suffix)
                }
                node("BatchNormalization", inputs, name, [Onnx_AttributeProto.float("epsilon", b.epsilon)])
            case let .activation(a): try activation(a, x, name)
            case .dropout: node("Identity", [x], name)
            case .add: node("Add", n.inputs, name)
            case .concat: node("Concat", n.inputs, name, [Onnx_AttributeProto.int("axis", 1)])
            case .flatten:
                let flat = flattened(x, name: name)
                node("Identity", [flat], name)
            case .softmax: node("Softmax", [x], name, [Onnx_AttributeProto.int("axis", 1)])
            case .binary, .channels, .resize, .pad, .layerNormalization, .channelReduction, .channelShuffle, .adaptiveAveragePooling:
                throw GraphError("node '\(name)' (\(n.op.kind)) comes only from imported models; cnn-inte exports the networks it trains")
            }
        }
        var output = Onnx_ValueInfoProto()
        output.name = g.nodes.last!.name
        output.type = Self.tensorType([nil, shapes[output.name]?[0] ?? 0])
        graph.output = [output]
    }
}
