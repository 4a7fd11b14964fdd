// cnn-inte-fuzz: a seeded mutation fuzzer for the file readers that take bytes from the
// outside world: IDX (raw and gzip), safetensors, the model loader, the
// interpretation loader, the image decoders (PNG through libpng, JPEG through libjpeg-turbo),
// CIFAR records and the ONNX reader. Every input must end in a value or a thrown error: a crash
// kills this process (the last input is kept on disk to replay), and an input that takes
// longer than the time limit is reported as a hang.
//
//   swift build -c release --product cnn-inte-fuzz
//   .build/release/cnn-inte-fuzz [--runs N] [--seed S] [--only idx,gzip,safetensors,model,interpretation,png,jpeg,cifar,onnx]
//
// Not part of CI (it runs for minutes); see the README's "Fuzzing" section.
import Datasets
import Foundation
import Interpretation
import Network
import Numerics
import ONNX

struct Options {
    var runs = 100_000
    var seed: UInt64 = 1
    var only: Set<String>? = nil
    var limitSeconds = 1.0
}

setvbuf(stdout, nil, _IOLBF, 0)  // each target's line survives a later crash
var options = Options()
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--runs": options.runs = Int(arguments.next() ?? "") ?? options.runs
    case "--seed": options.seed = UInt64(arguments.next() ?? "") ?? options.seed
    case "--only": options.only = Set((arguments.next() ?? "").split(separator: ",").map(String.init))
    case "--limit": options.limitSeconds = Double(arguments.next() ?? "") ?? options.limitSeconds
    default:
        FileHandle.standardError.write(Data("usage: cnn-inte-fuzz [--runs N] [--seed S] [--only idx,gzip,safetensors,model,interpretation,png,jpeg,cifar,onnx] [--limit SECONDS]\n".utf8))
        exit(64)
    }
}

/// Mutations of the kind that break parsers: bit flips, interesting bytes and integers
/// written over length fields, truncation, extension, and duplicated or deleted chunks.
struct Mutator {
    var rng: SplitMix64

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(rng.next() % UInt64(n)) }

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + below(4)) {
            switch below(8) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let i = below(bytes.count)
                bytes[i] ^= UInt8(1 << below(8))
            case 1 where !bytes.isEmpty:  // an interesting byte
                bytes[below(bytes.count)] = [0, 1, 0x7F, 0x80, 0xFF, UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "9")][below(8)]
            case 2 where bytes.count >= 4:  // an interesting 32-bit integer, either byte order
                let values: [UInt32] = [0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0x0100_0000, 60_000, 28]
                var v = values[below(values.count)]
                if below(2) == 0 { v = v.byteSwapped }
                let at = below(bytes.count - 3)
                for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
            case 3 where bytes.count >= 8:  // an interesting 64-bit integer (safetensors' header length)
                let values: [UInt64] = [0, 1, UInt64.max, UInt64(Int64.max), 1 << 40, UInt64(bytes.count), UInt64(bytes.count + 1)]
                let v = values[below(values.count)]
                let at = below(bytes.count - 7)
                for k in 0..<8 { bytes[at + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
            case 4 where !bytes.isEmpty:  // truncate
                bytes.removeSubrange(below(bytes.count)...)
            case 5:  // extend
                bytes += (0..<(1 + below(64))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 6 where bytes.count > 2:  // delete a chunk
                let from = below(bytes.count), length = 1 + below(min(64, bytes.count - from))
                bytes.removeSubrange(from..<min(bytes.count, from + length))
            case 7 where bytes.count > 2:  // duplicate a chunk
                let from = below(bytes.count), length = 1 + below(min(64, bytes.count - from))
                bytes.insert(contentsOf: bytes[from..<min(bytes.count, from + length)], at: below(bytes.count))
            default:
                bytes.append(UInt8(truncatingIfNeeded: rng.next()))
            }
        }
        return bytes
    }
}

// Seed inputs: small valid files of each kind.
let images = ImageSet(count: 3, rows: 6, columns: 6, pixels: (0..<108).map { UInt8($0 * 2) })
let idxImages = IDX.encode(images: images)
let idxLabels = IDX.encode(labels: [0, 1, 2])
// A graph with every kind of node that has parameters, so the fuzzer reaches each reader.
let graph = try LayerList.parse("c1:conv(2,3,relu),n1:bn(),p1:maxpool(2),fc:dense(4,relu),out:dense(3)",
                                input: .init(channels: 1, height: 6, width: 6))
let model = try Model(graph: graph, seed: 1)
let modelBytes = try ModelStore.encode(model)
let plainSafetensors = SafeTensors.encode(["a": .init(shape: [2, 2], values: [1, 2, 3, 4]), "b": .init(shape: [3], integers: [1, 2, 3])],
                                          metadata: ["k": "v"])
let interpretationBytes: [UInt8] = try {
    // A tiny fitted interpretation: 12 points in 4 features, 3 classes.
    let features = Matrix(rows: 12, columns: 4, values: (0..<48).map { Float(($0 * 7) % 11) })
    let predictions = (0..<12).map { $0 % 3 }
    var clustering = ClusterTree.Configuration()
    clustering.k1 = 2
    clustering.k2 = 2
    clustering.minClusterSize = 2
    var meta = MetaConfiguration()
    meta.forest.trees = 3
    let inputs = Interpreter.Inputs(trainFeatures: features, trainPredictions: predictions, trainLabels: predictions,
                                    testFeatures: features, testPredictions: predictions,
                                    testProbabilities: [Double](repeating: 1, count: 12), testLabels: predictions, classes: 3)
    let (fitted, _, _) = try Interpreter.fit(inputs, clustering: clustering, meta: meta, extraPool: { _, _ in })
    return try InterpretationStore.encode(fitted, classes: 3)
}()

let scratch = NSTemporaryDirectory() + "cnn-inte-fuzz-\(getpid())"
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
let gzipPath = scratch + "/input.gz"
let onnxPath = scratch + "/model.onnx"
let gzipSeed: [UInt8] = try {
    try GzipFile.write(idxLabels, to: gzipPath)
    return [UInt8](try Data(contentsOf: URL(fileURLWithPath: gzipPath)))
}()

// Image seeds: small PNGs and JPEGs in grey and colour, and two CIFAR-10 records.
let noise = (0..<(16 * 12 * 3)).map { UInt8(truncatingIfNeeded: ($0 * 37) ^ ($0 >> 3)) }
let pngSeeds = [ImageEncoder.encode(Array(noise.prefix(16 * 12)), rows: 12, columns: 16, channels: 1, format: .png)!,
                ImageEncoder.encode(noise, rows: 12, columns: 16, channels: 3, format: .png)!]
let jpegSeeds = [ImageEncoder.encode(noise, rows: 12, columns: 16, channels: 3, format: .jpeg(quality: 90))!,
                 ImageEncoder.encode(Array(noise.prefix(16 * 12)), rows: 12, columns: 16, channels: 1, format: .jpeg(quality: 50))!]
let cifarSeed: [UInt8] = (0..<(2 * 3073)).map { (i: Int) -> UInt8 in
    i % 3073 == 0 ? UInt8(i / 3073 * 7) : UInt8(truncatingIfNeeded: i * 13)
}
// ONNX models built here: Conv -> Relu -> Flatten -> Gemm, weights inline (raw and typed).
let onnxSeeds: [[UInt8]] = try {
    var model = Onnx_ModelProto()
    model.irVersion = 8
    var opset = Onnx_OperatorSetIdProto()
    opset.version = 13
    model.opsetImport = [opset]
    func tensor(_ name: String, _ dims: [Int64], raw: Bool) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = 1
        let values = (0..<Int(dims.reduce(1, *))).map { Float($0 % 7) * 0.25 - 0.5 }
        if raw { t.rawData = Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }) } else { t.floatData = values }
        return t
    }
    func node(_ op: String, _ inputs: [String], _ output: String) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.input = inputs
        n.output = [output]
        n.name = output
        return n
    }
    var conv = node("Conv", ["image", "w", "b"], "conv")
    var kernel = Onnx_AttributeProto()
    kernel.name = "kernel_shape"
    kernel.type = .ints
    kernel.ints = [3, 3]
    conv.attribute = [kernel]
    var gemm = node("Gemm", ["flat", "fw", "fb"], "logits")
    var transB = Onnx_AttributeProto()
    transB.name = "transB"
    transB.type = .int
    transB.i = 1
    gemm.attribute = [transB]
    model.graph.node = [conv, node("Relu", ["conv"], "relu"), node("Flatten", ["relu"], "flat"), gemm]
    model.graph.initializer = [tensor("w", [2, 1, 3, 3], raw: true), tensor("b", [2], raw: false), tensor("fw", [3, 32], raw: true),
                               tensor("fb", [3], raw: false)]
    func value(_ name: String, _ dims: [Int64]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type.tensorType.elemType = 1
        v.type.tensorType.shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if d < 0 { dim.dimParam = "N" } else { dim.dimValue = d }
            return dim
        }
        return v
    }
    model.graph.input = [value("image", [-1, 1, 6, 6])]
    model.graph.output = [value("logits", [-1, 3])]
    var seeds = [[UInt8](try model.serializedData())]
    // The same network as the TorchScript exporter writes it: a weight shared through an
    // Identity, the flatten as Shape -> Gather -> Unsqueeze -> Concat -> Reshape with a
    // Constant, and a bias computed from constants (Add, Sqrt): the constant folder's input.
    func integers(_ name: String, _ dims: [Int64], _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims
        t.dataType = 7
        t.int64Data = values
        return t
    }
    var minusOne = node("Constant", [], "minus_one")
    var value = Onnx_AttributeProto()
    value.name = "value"
    value.type = .tensor
    value.t = integers("", [1], [-1])
    minusOne.attribute = [value]
    var axis0 = Onnx_AttributeProto()
    axis0.name = "axis"
    axis0.type = .int
    axis0.i = 0
    var concat = node("Concat", ["batch1", "minus_one"], "shape")
    concat.attribute = [axis0]
    var gemm2 = gemm
    gemm2.input = ["flat", "fw", "fb2"]
    conv.input = ["image", "wi", "b"]
    model.graph.node = [node("Identity", ["w"], "wi"), conv, node("Relu", ["conv"], "relu"), node("Shape", ["relu"], "relu_shape"),
                        node("Gather", ["relu_shape", "zero"], "batch"), node("Unsqueeze", ["batch", "axes"], "batch1"), minusOne, concat,
                        node("Reshape", ["relu", "shape"], "flat"), node("Add", ["fb", "fb"], "fb_twice"), node("Sqrt", ["fb_twice"], "fb2"), gemm2]
    model.graph.initializer += [integers("zero", [], [0]), integers("axes", [1], [0])]
    seeds.append([UInt8](try model.serializedData()))
    // Keras- and timm-shaped: an NHWC input rescaled before its Transpose, a Pad of a map
    // transposed to channels last, a crop (Slice of height and width), ECA's 1-D
    // convolution across pooled channels and its Expanded gate.
    func ints(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = values
        return a
    }
    func with(_ n: Onnx_NodeProto, _ attributes: [Onnx_AttributeProto]) -> Onnx_NodeProto {
        var n = n
        n.attribute = attributes
        return n
    }
    var eca = with(node("Conv", ["seq", "ew"], "gate_conv"), [ints("pads", [1, 1])])
    eca.name = "eca"
    model.graph.node = [node("Mul", ["image", "two"], "scaled"), with(node("Transpose", ["scaled"], "nchw"), [ints("perm", [0, 3, 1, 2])]),
                        with(node("Conv", ["nchw", "w", "b"], "conv"), [ints("kernel_shape", [3, 3])]),
                        with(node("Transpose", ["conv"], "nhwc"), [ints("perm", [0, 2, 3, 1])]), node("Pad", ["nhwc", "pads"], "padded"),
                        with(node("Transpose", ["padded"], "back"), [ints("perm", [0, 3, 1, 2])]),
                        node("Slice", ["back", "starts", "ends", "hw"], "cropped"), node("Relu", ["cropped"], "relu"),
                        node("GlobalAveragePool", ["relu"], "pooled"), node("Reshape", ["pooled", "as_sequence"], "seq"), eca,
                        node("Sigmoid", ["gate_conv"], "gate"), node("Reshape", ["gate", "as_map"], "gate4"),
                        node("Expand", ["gate4", "map_shape"], "gate_map"), node("Mul", ["relu", "gate_map"], "gated"),
                        node("Flatten", ["gated"], "flat"), gemm]
    model.graph.initializer = [tensor("w", [2, 1, 3, 3], raw: true), tensor("b", [2], raw: false), tensor("fw", [3, 32], raw: true),
                               tensor("fb", [3], raw: false), tensor("two", [], raw: false), tensor("ew", [1, 1, 3], raw: true),
                               integers("pads", [8], [0, 1, 1, 0, 0, 0, 0, 0]), integers("starts", [2], [1, 1]),
                               integers("ends", [2], [5, 5]), integers("hw", [2], [2, 3]), integers("as_sequence", [3], [-1, 1, 2]),
                               integers("as_map", [4], [-1, 2, 1, 1]), integers("map_shape", [4], [1, 2, 4, 4])]
    for (axis, size) in [(1, 6), (2, 6), (3, 1)] { model.graph.input[0].type.tensorType.shape.dim[axis].dimValue = Int64(size) }
    seeds.append([UInt8](try model.serializedData()))
    // PyTorch's own exports of the patterns lowered as a whole, node by node checked
    // (ResNeSt's split attention; adaptive pooling of windows of unequal sizes), from the
    // test fixtures of this checkout.
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/ONNXTests/Fixtures")
    for name in ["zoo-resnest.dynamo.onnx", "zoo-resnest.legacy.onnx", "zoo-adaptive-unequal.dynamo.onnx"] {
        seeds.append([UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name))))
    }
    return seeds
}()

/// A decoder target: the header, then a decode as stored and as RGB.
func decodeImage(_ bytes: [UInt8]) throws {
    _ = try ImageDecoder.header(bytes, path: "fuzz")
    _ = try ImageDecoder.decode(bytes, path: "fuzz")
    _ = try ImageDecoder.decode(bytes, path: "fuzz", channels: 3)
}

typealias Target = (name: String, seeds: [[UInt8]], run: ([UInt8]) throws -> Void)
let targets: [Target] = [
    ("idx", [idxImages, idxLabels], { bytes in
        // Accepted as either kind of file.
        if (try? IDX.parseImages(bytes, path: "fuzz")) == nil { _ = try IDX.parseLabels(bytes, path: "fuzz") }
    }),
    ("gzip", [gzipSeed], { bytes in
        try Data(bytes).write(to: URL(fileURLWithPath: gzipPath))
        _ = try IDX.parseLabels(try GzipFile.read(gzipPath).bytes, path: gzipPath)
    }),
    ("safetensors", [plainSafetensors, modelBytes], { bytes in _ = try SafeTensors.decode(bytes, path: "fuzz") }),
    ("model", [modelBytes], { bytes in _ = try ModelStore.decode(bytes, path: "fuzz") }),
    ("interpretation", [interpretationBytes], { bytes in _ = try InterpretationStore.decode(bytes, path: "fuzz") }),
    ("png", pngSeeds, decodeImage),
    ("jpeg", jpegSeeds, decodeImage),
    ("cifar", [cifarSeed], { bytes in _ = try CIFAR.parse(bytes, kind: .cifar10, path: "fuzz") }),
    ("onnx", onnxSeeds, { bytes in
        try Data(bytes).write(to: URL(fileURLWithPath: onnxPath))
        let model = try ONNXModel.load(path: onnxPath)
        _ = ONNXSummary(model).text
        _ = try ONNXImporter.model(model)  // lowered and its weights set (no image is run)
    }),
]

var failed = false
for target in targets where options.only?.contains(target.name) ?? true {
    var mutator = Mutator(rng: SplitMix64(seed: options.seed &+ target.name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }))
    var accepted = 0, rejected = 0, slowest = 0.0
    let replay = scratch + "/last-\(target.name).bin"
    // Every seed must be accepted as it is, or the mutants would test only error paths.
    for (i, seed) in target.seeds.enumerated() {
        do { try target.run(seed) } catch {
            print("\(target.name): seed \(i) is rejected: \(error)")
            failed = true
        }
    }
    let started = DispatchTime.now().uptimeNanoseconds
    for run in 0..<options.runs {
        let seed = target.seeds[run % target.seeds.count]
        // Mostly one round of mutations; sometimes stack several, to get far from the seed.
        var input = mutator.mutate(seed)
        for _ in 0..<mutator.below(3) { input = mutator.mutate(input) }
        if run % 1000 == 0 { try? Data(input).write(to: URL(fileURLWithPath: replay)) }
        let t0 = DispatchTime.now().uptimeNanoseconds
        do { try target.run(input); accepted += 1 } catch { rejected += 1 }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        if seconds > slowest { slowest = seconds }
        if seconds > options.limitSeconds {
            let path = scratch + "/hang-\(target.name)-\(run).bin"
            try? Data(input).write(to: URL(fileURLWithPath: path))
            print("\(target.name): input \(run) took \(seconds) s (kept in \(path))")
            failed = true
        }
    }
    let total = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    print(String(format: "%@: %d inputs, %d accepted, %d rejected with an error, no crash; slowest %.1f ms; %.1f s",
                 target.name, options.runs, accepted, rejected, slowest * 1000, total))
}
try? FileManager.default.removeItem(atPath: scratch)
exit(failed ? 1 : 0)
