import Numerics

// The operations that come from imported models (torchvision, timm and Keras networks):
// the engine runs them at inference only; cnn-inte's own networks do not use them.

/// An element-wise operation of two computed tensors, broadcast as NumPy does over the
/// per-image shapes (a vector `[C]` beside a feature map stands for `[C, 1, 1]`: one
/// value per channel, as a squeeze-and-excitation scale is).
public struct Binary: Codable, Equatable, Sendable {
    public typealias Kind = PrimitiveDescriptor.BinaryAlgorithm
    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }
}

/// Resizing a feature map's height and width, as ONNX's Resize.
public struct Resize: Codable, Equatable, Sendable {
    public enum Mode: String, Codable, Sendable { case nearest, linear }
    /// How an output coordinate maps back onto the input (ONNX's
    /// `coordinate_transformation_mode`).
    public enum Coordinates: String, Codable, Sendable {
        case halfPixel = "half_pixel", pytorchHalfPixel = "pytorch_half_pixel", alignCorners = "align_corners", asymmetric
    }
    /// Which input pixel a nearest resize takes for a fractional coordinate (ONNX's `nearest_mode`).
    public enum Rounding: String, Codable, Sendable {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
    }

    public var height: Int
    public var width: Int
    public var mode: Mode
    public var coordinates: Coordinates
    public var rounding: Rounding
    /// The scales the coordinates are mapped with (output / input), as the model gave them;
    /// nil where it gave sizes (then the ratio of the sizes).
    public var scales: [Float]?

    public init(height: Int, width: Int, mode: Mode, coordinates: Coordinates = .halfPixel, rounding: Rounding = .roundPreferFloor,
                scales: [Float]? = nil) {
        self.height = height
        self.width = width
        self.mode = mode
        self.coordinates = coordinates
        self.rounding = rounding
        self.scales = scales
    }
}

/// PyTorch's adaptive average pooling to `height` x `width` (`AdaptiveAvgPool2d`): output
/// row i averages input rows floor(i H / Ho) ..< ceil((i + 1) H / Ho), and columns alike.
/// Where a side does not divide the other the windows differ in size and may overlap (VGG's
/// 7x7 pooling of a 3x3 map below 224 px: windows of 1 and 2 rows), which one oneDNN
/// pooling cannot express.
public struct AdaptivePooling: Codable, Equatable, Sendable {
    public var height: Int, width: Int

    public init(height: Int, width: Int) { (self.height, self.width) = (height, width) }

    /// The input rows (or columns), of `input`, that each of `output` cells averages.
    public static func windows(input: Int, output: Int) -> [Range<Int>] {
        (0..<output).map { i in (i * input / output)..<(((i + 1) * input + output - 1) / output) }
    }
}

/// Padding a feature map's height and width: with a constant, by reflection (without
/// repeating the edge) or by repeating the edge, as ONNX's Pad. A negative amount crops
/// (leaves out that many rows or columns), as ONNX's Pad and a Slice of height and width.
public struct Pad: Codable, Equatable, Sendable {
    public enum Mode: Codable, Equatable, Sendable {
        case constant(Float)
        case reflect
        case edge
    }
    public var top: Int, left: Int, bottom: Int, right: Int
    public var mode: Mode

    public init(top: Int, left: Int, bottom: Int, right: Int, mode: Mode) {
        (self.top, self.left, self.bottom, self.right, self.mode) = (top, left, bottom, right, mode)
    }
}

/// A mean, maximum, minimum or sum over the channels at each position: `[C, H, W]` to
/// `[1, H, W]`, or a vector to one value.
public struct ChannelReduction: Codable, Equatable, Sendable {
    public typealias Kind = PrimitiveDescriptor.ReductionAlgorithm
    public var kind: Kind
    public init(_ kind: Kind) { self.kind = kind }
}
