import Datasets
import Foundation
import Numerics

/// A network: its graph, its parameters, and the engine that runs it (executors compiled
/// per batch size and mode, kept for reuse).
public final class Model {
    public let graph: Graph
    /// Every tensor, in the graph's order (statistics included).
    public let parameters: [Parameter]
    private let byName: [String: Parameter]
    private var executors: [String: Executor] = [:]
    /// The training executor whose primitives chose the parameters' layouts, once one has.
    private var layoutsChosen = false
    private var dropoutGenerators: [Int: SplitMix64] = [:]
    /// Whether the last node gives probabilities itself (an imported model declared so
    /// without ending in a Softmax node, e.g. one ending in a Sigmoid): its outputs are
    /// then only normalised to sum to 1, not put through a softmax.
    public var outputsProbabilities = false
    /// How pixel bytes become the input's numbers: `byte / 255` for cnn-inte's networks;
    /// an imported model's normalisation and channel order (see `InputTransform`).
    public var inputTransform: InputTransform

    /// Builds the parameters and initialises them from `seed`: weights He-normal where a
    /// ReLU follows, Glorot-uniform elsewhere; biases and shifts 0; scales 1; running
    /// statistics mean 0, variance 1. Values are drawn in the file layout, node by node.
    public init(graph: Graph, seed: UInt64) throws {
        _ = Parallel.denormalsFlushed
        try graph.validate(classes: nil)
        self.graph = graph
        inputTransform = .standard(channels: graph.input.channels)
        let specs = try graph.parameters()
        parameters = try specs.map(Parameter.init)
        byName = Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0) })
        let root = SplitMix64(seed: seed)
        for (index, node) in graph.nodes.enumerated() {
            var rng = root.derived(UInt64(index))
            for parameter in parameters where parameter.spec.node == node.name {
                let count = parameter.spec.count
                let values: [Float]
                switch parameter.spec.role {
                case let .weight(fanIn, fanOut, relu):
                    values = (0..<count).map { _ in
                        relu ? Float(rng.nextGaussian() * (2.0 / Double(fanIn)).squareRoot())
                            : Float((rng.nextUnit() * 2 - 1) * (6.0 / Double(fanIn + fanOut)).squareRoot())
                    }
                case .scale, .runningVariance: values = [Float](repeating: 1, count: count)
                case .bias, .shift, .runningMean: values = [Float](repeating: 0, count: count)
                }
                try parameter.setFileValues(values, flattenOrder: graph.flattenOrder)
            }
        }
        reseedDropout(root.derived(1000).state)
    }

    public var trainableParameters: [Parameter] { parameters.filter(\.spec.trainable) }
    public var parameterCount: Int { trainableParameters.reduce(0) { $0 + $1.spec.count } }
    public var classCount: Int { (try? graph.shapes()[graph.logitsNode.name]?[0]) ?? 0 }
    public var layerNames: [String] { graph.names }
    public func parameter(_ name: String) -> Parameter? { byName[name] }

    /// Reseeds the dropout masks (each training run starts its own stream).
    public func reseedDropout(_ seed: UInt64) {
        for (index, node) in graph.nodes.enumerated() where node.op.kind == "dropout" {
            dropoutGenerators[index] = SplitMix64(seed: seed).derived(UInt64(index))
        }
    }

    func withDropoutGenerator(_ layer: Int, _ body: (inout SplitMix64) -> Void) {
        var rng = dropoutGenerators[layer] ?? SplitMix64(seed: UInt64(layer))
        body(&rng)
        dropoutGenerators[layer] = rng
    }

    // MARK: - Executors

    /// Nodes some executor of this model runs on oneDNN's slow reference code, with the
    /// implementation's name: empty unless oneDNN had no fast kernel for a node (the CLI
    /// warns; `bench` and `inspect` report it).
    public private(set) var referenceKernels: [String: String] = [:]

    /// oneDNN's implementation of every primitive of every node, for an executor of
    /// `batch` images (compiled if it was not): "jit:avx2", "brg:avx512_core", "ref:any"...
    public func kernelImplementations(batch: Int = 100, training: Bool = false) throws -> [(node: String, implementations: [String])] {
        try executor(training ? .training : .inference, batch: batch).kernelImplementations.map { ($0.0, $0.1) }
    }

    /// The executor for `mode` and `batch`, compiled on first use.
    /// `keep`: at inference, the layers read after a pass besides the logits (see
    /// `ResidualFusion`); each set has its own executor.
    func executor(_ mode: Executor.Mode, batch: Int, keep: Set<String> = []) throws -> Executor {
        let key = "\(mode)-\(batch)-" + keep.sorted().joined(separator: "\u{1}")
        if let executor = executors[key] { return executor }
        if mode == .inference {
            // Executors kept for other layers go: a big model holds one set of feature maps.
            executors = executors.filter { $0.value.mode == .training || $0.value.keep == keep }
        }
        let executor = try Executor(model: self, mode: mode, batch: batch, keep: keep)
        for (node, names) in executor.kernelImplementations {
            for name in names where PrimitiveDescriptor.isReference(name) { referenceKernels[node] = name }
        }
        if mode == .training && !layoutsChosen {
            // The first training executor moved the weights into its primitives' layouts:
            // executors made before hold copies made for the old layouts.
            layoutsChosen = true
            executors = [:]
        }
        executors[key] = executor
        return executor
    }

    /// A primitive of `executor` would like `parameter` in `layout`: the first training
    /// executor gets it (the weights then live in the layout training uses, with no copy
    /// per step); later ones get a copy (`WeightView`).
    func settleLayout(of parameter: Parameter, wanted layout: MemoryDescriptor, by executor: Executor) throws {
        guard executor.training, !layoutsChosen else { return }
        try parameter.adopt(layout)
    }

    // MARK: - Inference

    /// Throws unless `images` are what the network takes: every path that hands the
    /// network images goes through here, so a wrong size cannot read past a buffer.
    public func checkInput(_ images: ImageSet) throws {
        let i = graph.input
        guard images.rows == i.height, images.columns == i.width else {
            throw UsageError("the model takes \(i.height)x\(i.width)x\(i.channels) images but the data has \(images.rows)x\(images.columns)x\(images.channels); bring them to the model's size with --resize \(i.height)x\(i.width)")
        }
        guard images.channels == i.channels else {
            throw UsageError("the model takes \(i.channels == 1 ? "grey" : "\(i.channels)-channel") images but the data is \(images.channels == 1 ? "grey" : "RGB"); convert it with --channels \(i.channels)")
        }
    }

    /// Writes images `indices` into `executor`'s input through `inputTransform`, each
    /// image's interleaved channels (HWC) into planes (the graph's NCHW: oneDNN's direct
    /// convolutions take planar input; NHWC input sent it to a reference kernel).
    func fill(_ executor: Executor, from images: ImageSet, indices: ArraySlice<Int>) {
        inputTransform.write(images, indices: indices, into: executor.input.floats)
    }

    /// Activations of layer `name` for every image, flattened per image in the graph's
    /// flatten order. Batched; every core works.
    public func features(layer name: String, images: ImageSet, batchSize: Int? = nil, progress: ProgressMeter? = nil) throws -> Matrix {
        try forwardPass(layer: name, images: images, batchSize: batchSize, probabilities: false, progress: progress).features
    }

    /// Softmax probabilities `[images, classes]` for every image.
    public func probabilities(images: ImageSet, batchSize: Int? = nil) throws -> Matrix {
        try forwardPass(layer: graph.logitsNode.name, images: images, batchSize: batchSize, probabilities: true).probabilities
    }

    /// Images an inference pass takes at once: as many as keep the batch's largest feature
    /// map within `inferenceCache` bytes, but at least 8 and at most 100; fewer only where
    /// the graph's feature maps of that many images would take more than `inferenceMemory`.
    /// Maps that stay in the caches from one primitive to the next matter more than large
    /// batches once images are large: at 224x224 (2-core AMD EPYC Zen 4, AVX-512, medians
    /// of 3 to 5 rounds of `cnn-inte bench --only infer --model F` with ImageNet's
    /// `--mean/--std`, docs/EXPERIMENTS.md, "Inference batches"), batches of 8 against the
    /// earlier rule (100 images, fewer where their maps passed 512 MiB): MobileNetV3-Small
    /// 966 against 852 images/s (batch 76), MobileNetV3-Large 299 against 267 (24),
    /// MobileNetV2 258 against 237 (19), DenseNet-121 39.1 against 34.1 (3), ResNet-50
    /// 30.1 against 28.4 (6); the other models of the list alike within the noise. A
    /// ResNet-50 in batches of 100 took 9.2 GB and ran 9.5 images/s (2-core EPYC, AVX2).
    public var inferenceBatch: Int {
        guard let shapes = try? graph.shapes() else { return 100 }
        let sizes = graph.nodes.map { 4 * (shapes[$0.name]?.reduce(1, *) ?? 0) }
        let perImage = sizes.reduce(0, +), largest = sizes.max() ?? 0
        let cached = max(8, Self.inferenceCache / max(largest, 1))
        return max(1, min(100, cached, Self.inferenceMemory / max(perImage, 1)))
    }

    /// The bytes of one feature map a batch of more than 8 images is sized to.
    public static let inferenceCache = 8 << 20

    /// The feature-map memory an inference batch is bounded by.
    public static let inferenceMemory = 2 << 30

    /// The activations of layer `name` and, when `wanted`, the softmax probabilities, in
    /// one forward pass, in batches of `batchSize` (default `inferenceBatch`). `passImages`:
    /// the images are a share of a pass over that many, computed in that pass's batches.
    func forwardPass(layer name: String, images: ImageSet, batchSize: Int? = nil, passImages: Int? = nil,
                     probabilities wanted: Bool, progress: ProgressMeter? = nil) throws -> (features: Matrix, probabilities: Matrix) {
        let batchSize = min(batchSize ?? inferenceBatch, passImages ?? images.count)
        try checkInput(images)
        guard let shape = try graph.shapes()[name], name != Graph.inputName else {
            throw UsageError("--layer: unknown layer '\(name)'; the model has \(layerNames.joined(separator: ", "))")
        }
        let width = shape.reduce(1, *)
        let classes = classCount
        var values = [Float](repeating: 0, count: images.count * width)
        var probabilities = [Float](repeating: 0, count: wanted ? images.count * classes : 0)
        // One executor for every batch: a last, partial batch runs in it too (its other
        // rows hold the previous batch's images and are not read), so a model holds the
        // feature maps of one batch size only.
        let executor = try self.executor(.inference, batch: max(1, batchSize), keep: [name])
        var start = 0
        while start < images.count {
            let end = min(start + executor.batch, images.count)
            fill(executor, from: images, indices: ArraySlice(start..<end))
            executor.forward(through: wanted ? nil : name)
            try values.withUnsafeMutableBufferPointer { buffer in
                try executor.read(name, into: buffer.baseAddress! + start * width, rows: end - start)
            }
            if wanted {
                let logits = try executor.logits()
                let normalised = outputsProbabilities
                probabilities.withUnsafeMutableBufferPointer { buffer in
                    for row in 0..<(end - start) {
                        let p = normalised ? Self.normalised(logits + row * classes, classes: classes)
                                           : SoftmaxCrossEntropy.probabilities(logits + row * classes, classes: classes)
                        for c in 0..<classes { buffer[(start + row) * classes + c] = p[c] }
                    }
                }
            }
            progress?.advance(by: end - start)
            start = end
        }
        return (Matrix(rows: images.count, columns: width, values: values),
                Matrix(rows: wanted ? images.count : 0, columns: classes, values: probabilities))
    }
}

extension Model {
    /// Scores already probabilities, made to sum to 1 (negatives, which a probability
    /// output should not have, count as 0; all zeros give the uniform distribution).
    static func normalised(_ scores: UnsafePointer<Float>, classes: Int) -> [Float] {
        let clamped = (0..<classes).map { max(scores[$0], 0) }
        let total = clamped.reduce(0, +)
        return total > 0 ? clamped.map { $0 / total } : [Float](repeating: 1 / Float(classes), count: classes)
    }
}

extension Model: ImageLabeller {
    public func featuresAndProbabilities(layer: String, images: ImageSet, progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix) {
        try forwardPass(layer: layer, images: images, probabilities: true, progress: progress)
    }

    public func featuresAndProbabilities(layer: String, images: ImageSet, shareOfPassOver passImages: Int,
                                         progress: ProgressMeter?) throws -> (features: Matrix, probabilities: Matrix) {
        try forwardPass(layer: layer, images: images, passImages: passImages, probabilities: true, progress: progress)
    }
}
