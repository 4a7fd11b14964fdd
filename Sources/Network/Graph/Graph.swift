import Foundation

/// A network as a graph: named nodes, each an operation on the outputs of the nodes it
/// names (or on the graph's input, named `input`), listed so that every node comes after
/// its inputs. The last node gives the logits, one per class.
///
/// Shapes are per sample, channels first: `[channels, height, width]` for images and
/// feature maps, `[features]` after a dense layer or a flatten. In memory the engine lets
/// oneDNN choose layouts; what leaves the engine (features, saved weights) is converted.
public struct Graph: Codable, Equatable, Sendable {
    /// The images the graph takes: channels, height, width.
    public var input: InputShape
    public var nodes: [Node]
    /// The order a feature map is flattened in, for a `flatten` node, a dense layer after a
    /// feature map, and the features `features`/`interpret` read: height, width, then
    /// channels (`channelsLast`, TensorFlow's and cnn-inte's) or channels, height, width
    /// (`channelsFirst`, PyTorch's and ONNX's).
    public var flattenOrder: FlattenOrder

    public enum FlattenOrder: String, Codable, Sendable { case channelsLast, channelsFirst }

    public struct InputShape: Codable, Equatable, Sendable {
        public var channels: Int
        public var height: Int
        public var width: Int
        public init(channels: Int, height: Int, width: Int) {
            self.channels = channels
            self.height = height
            self.width = width
        }
        public var shape: [Int] { [channels, height, width] }
    }

    public init(input: InputShape, nodes: [Node], flattenOrder: FlattenOrder = .channelsLast) {
        self.input = input
        self.nodes = nodes
        self.flattenOrder = flattenOrder
    }

    public static let inputName = "input"

    public var names: [String] { nodes.map(\.name) }
    public func node(_ name: String) -> Node? { nodes.first { $0.name == name } }
    public var logits: Node { nodes.last! }
}

/// One operation of a graph.
public struct Node: Codable, Equatable, Sendable {
    public var name: String
    public var op: Operation
    /// The nodes whose outputs it takes, in order; `input` is the graph's input.
    public var inputs: [String]

    public init(_ name: String, _ op: Operation, inputs: [String]) {
        self.name = name
        self.op = op
        self.inputs = inputs
    }
}

/// How a convolution or pooling pads its input: as TensorFlow's 'same' (the output has
/// ceil(input / stride) positions, any odd extra zero after), 'valid' (none), or
/// explicit zeros before and after each axis.
public enum Padding: Codable, Equatable, Sendable {
    case same
    case valid
    case explicit(top: Int, left: Int, bottom: Int, right: Int)
}

/// The operations a node can be. Each is documented with its parameters; `Graph.shapes`
/// computes what each gives.
public enum Operation: Codable, Equatable, Sendable {
    /// A 2-D convolution.
    case convolution(Convolution)
    /// Max or average pooling.
    case pooling(Pooling)
    /// Average over all positions of each channel: `[C, H, W]` -> `[C]`.
    case globalAveragePooling
    /// A fully connected layer (a feature map is flattened in the graph's order).
    case dense(Dense)
    /// Batch normalization with a learned scale and shift, and running statistics for
    /// inference.
    case batchNormalization(BatchNormalization)
    /// An element-wise function.
    case activation(Activation)
    /// Inverted dropout while training; nothing at inference.
    case dropout(rate: Float)
    /// The element-wise sum of two or more inputs of one shape (a residual connection).
    case add
    /// The inputs side by side along the channels (all other dimensions equal).
    case concat
    /// A feature map as a vector, in the graph's flatten order.
    case flatten
    /// The softmax over the channels of a feature map or the values of a vector. As the
    /// last node, the model's probabilities (imported models end with one); inside a
    /// network, at inference only.
    case softmax
    // Inference only, from imported models (see ImportedOperations.swift):
    /// Two computed tensors combined element by element, broadcast.
    case binary(Binary)
    /// Channels `start..<end` of a feature map or values of a vector (ONNX Split or Slice).
    case channels(start: Int, end: Int)
    /// A feature map resized.
    case resize(Resize)
    /// A feature map padded.
    case pad(Pad)
    /// Layer normalization over the channels at each position (or over a vector), with a
    /// learned scale and shift.
    case layerNormalization(epsilon: Float)
    /// A reduction over the channels at each position.
    case channelReduction(ChannelReduction)
    /// ShuffleNet's channel shuffle in `groups` groups: output channel j * groups + i is
    /// input channel i * (C / groups) + j.
    case channelShuffle(groups: Int)
    /// PyTorch's adaptive average pooling to a given height and width.
    case adaptiveAveragePooling(AdaptivePooling)

    public var kind: String {
        switch self {
        case .convolution: return "conv"
        case let .pooling(p): return p.kind == .max ? "maxpool" : "avgpool"
        case .globalAveragePooling: return "gap"
        case .dense: return "dense"
        case .batchNormalization: return "bn"
        case let .activation(a): return a.name
        case .dropout: return "dropout"
        case .add: return "add"
        case .concat: return "concat"
        case .flatten: return "flatten"
        case .softmax: return "softmax"
        case let .binary(b): return b.kind.rawValue
        case .channels: return "channels"
        case .resize: return "resize"
        case .pad: return "pad"
        case .layerNormalization: return "layernorm"
        case let .channelReduction(r): return "reduce" + r.kind.rawValue
        case .channelShuffle: return "shuffle"
        case .adaptiveAveragePooling: return "adaptiveavgpool"
        }
    }

    /// Whether the engine can train through it (what cnn-inte's own networks use).
    public var trainable: Bool {
        switch self {
        case .binary, .channels, .resize, .pad, .layerNormalization, .channelReduction, .channelShuffle, .adaptiveAveragePooling: return false
        case let .activation(a): return a.trainable
        default: return true
        }
    }
}

/// The element-wise functions a node can apply, on its own or fused into a convolution
/// or dense layer.
public enum Activation: Codable, Equatable, Sendable {
    case none
    case relu
    /// `x` for x > 0, `slope * x` otherwise.
    case leakyRelu(slope: Float)
    /// `min(max(x, lower), upper)`; ReLU6 is `clip(0, 6)`.
    case clip(lower: Float, upper: Float)
    case sigmoid
    case tanh
    // The functions below come from imported models and run at inference only.
    /// `x * relu6(x + 3) / 6` (MobileNetV3).
    case hardSwish
    /// `clip(alpha * x + beta, 0, 1)` (ONNX HardSigmoid; PyTorch's has alpha 1/6, beta 0.5).
    case hardSigmoid(alpha: Float, beta: Float)
    /// `x * sigmoid(x)`, SiLU or Swish (EfficientNet).
    case silu
    /// `x * Phi(x)`, exactly or by the tanh approximation (ConvNeXt).
    case gelu(approximate: Bool)
    /// `x` for x > 0, `alpha * (exp(x) - 1)` otherwise.
    case elu(alpha: Float)
    /// `x * tanh(log(1 + exp(x)))`.
    case mish
    /// `log(1 + exp(x))`.
    case softplus
    case exp
    case negate
    /// The error function (no oneDNN primitive: computed element by element).
    case erf

    public var name: String {
        switch self {
        case .none: return "none"
        case .relu: return "relu"
        case .leakyRelu: return "leakyrelu"
        case let .clip(lower, upper): return lower == 0 && upper == 6 ? "relu6" : "clip"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .hardSwish: return "hardswish"
        case .hardSigmoid: return "hardsigmoid"
        case .silu: return "silu"
        case let .gelu(approximate): return approximate ? "gelu-tanh" : "gelu"
        case .elu: return "elu"
        case .mish: return "mish"
        case .softplus: return "softplus"
        case .exp: return "exp"
        case .negate: return "neg"
        case .erf: return "erf"
        }
    }

    /// Whether oneDNN applies it as a post-op of a convolution or dense layer (all but erf).
    public var fusable: Bool {
        if case .erf = self { return false }
        return true
    }

    /// Whether the engine can train through it (the functions cnn-inte's own networks use).
    public var trainable: Bool {
        switch self {
        case .none, .relu, .leakyRelu, .clip, .sigmoid, .tanh: return true
        default: return false
        }
    }
}

public struct Convolution: Codable, Equatable, Sendable {
    /// Output channels.
    public var filters: Int
    /// Kernel height and width.
    public var kernel: [Int]
    /// Steps between applications, along height and width.
    public var stride: [Int] = [1, 1]
    public var padding: Padding = .same
    /// Spacing of the kernel's taps (1: adjacent).
    public var dilation: [Int] = [1, 1]
    /// Channel groups: each group of `filters / groups` outputs sees `channels / groups`
    /// inputs; `groups == channels == filters` is a depthwise convolution.
    public var groups = 1
    public var bias = true
    /// Fused after the convolution (and the bias).
    public var activation: Activation = .none

    public init(filters: Int, kernel: [Int], stride: [Int] = [1, 1], padding: Padding = .same, dilation: [Int] = [1, 1],
                groups: Int = 1, bias: Bool = true, activation: Activation = .none) {
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.bias = bias
        self.activation = activation
    }
}

public struct Pooling: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case max, average }
    public var kind: Kind
    public var window: [Int]
    public var stride: [Int]
    public var padding: Padding = .valid
    /// Round the output size up (ONNX's `ceil_mode`): a last, partial window counts.
    public var ceil = false
    /// For averages: whether padded zeros count in the divisor (ONNX's `count_include_pad`).
    public var countPadding = false

    public init(kind: Kind, window: [Int], stride: [Int], padding: Padding = .valid, ceil: Bool = false, countPadding: Bool = false) {
        self.kind = kind
        self.window = window
        self.stride = stride
        self.padding = padding
        self.ceil = ceil
        self.countPadding = countPadding
    }
}

public struct Dense: Codable, Equatable, Sendable {
    public var units: Int
    public var bias = true
    public var activation: Activation = .none

    public init(units: Int, bias: Bool = true, activation: Activation = .none) {
        self.units = units
        self.bias = bias
        self.activation = activation
    }
}

public struct BatchNormalization: Codable, Equatable, Sendable {
    public var epsilon: Float = 1e-5
    /// Running statistics follow each batch's as `running = momentum * running +
    /// (1 - momentum) * batch`.
    public var momentum: Float = 0.9

    public init(epsilon: Float = 1e-5, momentum: Float = 0.9) {
        self.epsilon = epsilon
        self.momentum = momentum
    }
}

public struct GraphError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
