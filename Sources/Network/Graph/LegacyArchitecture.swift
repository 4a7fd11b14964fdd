import Foundation

/// The network description of cnn-inte 0.1.0 (format `cnn-inte-model-1`): a list of four
/// layer kinds on `[height, width, channels]` input, kept only to read those models. Each
/// becomes the graph that computes the same thing.
struct LegacyArchitecture: Codable, Equatable {
    struct Layer: Codable, Equatable {
        enum Kind: String, Codable { case conv, maxpool, dense, dropout }
        enum Activation: String, Codable { case relu, none }
        var name: String
        var kind: Kind
        var units: Int?
        var size: Int?
        var activation: Activation?
        var rate: Float?
    }

    var input: [Int]
    var layers: [Layer]

    /// The same network as a graph: stride-1 'same' convolutions, square max pooling with
    /// stride = window, dense layers, dropout, each taking the previous layer's output.
    func graph() throws -> Graph {
        guard input.count == 3 else { throw GraphError("the input shape \(input) is not [height, width, channels]") }
        var nodes: [Node] = []
        var previous = Graph.inputName
        for layer in layers {
            let relu: Network.Activation = layer.activation == .relu ? .relu : .none
            func value(_ v: Int?, _ what: String) throws -> Int {
                guard let v, v > 0 else { throw GraphError("layer '\(layer.name)' has no \(what)") }
                return v
            }
            let op: Operation
            switch layer.kind {
            case .conv:
                let k = try value(layer.size, "kernel size")
                op = .convolution(Convolution(filters: try value(layer.units, "filter count"), kernel: [k, k], activation: relu))
            case .maxpool:
                let s = try value(layer.size, "window")
                op = .pooling(Pooling(kind: .max, window: [s, s], stride: [s, s]))
            case .dense:
                op = .dense(Dense(units: try value(layer.units, "output count"), activation: relu))
            case .dropout:
                guard let rate = layer.rate else { throw GraphError("layer '\(layer.name)' has no rate") }
                op = .dropout(rate: rate)
            }
            nodes.append(Node(layer.name, op, inputs: [previous]))
            previous = layer.name
        }
        let graph = Graph(input: .init(channels: input[2], height: input[0], width: input[1]), nodes: nodes)
        try graph.validate(classes: nil)
        return graph
    }
}
