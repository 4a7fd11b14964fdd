import ArgumentParser
import Foundation
import ONNX

extension ModelOutput: ExpressibleByArgument {}

/// How pixels are prepared for an imported model: `--input-scale`, `--mean`, `--std`,
/// `--bgr`. Shared by the commands that take `--model` and by `bench --model`.
struct InputPreparationOptions: ParsableArguments {
    @Option(name: .customLong("input-scale"), parsing: .unconditional, help: ArgumentHelp(
        "With --model: pixel bytes (0-255) are multiplied by this before --mean and --std (default 1/255, pixels in [0, 1]; 1 for models that take 0-255).",
        valueName: "S"))
    var inputScale: Float?

    @Option(help: ArgumentHelp("With --model: per channel means subtracted after --input-scale, comma-separated (torchvision's: 0.485,0.456,0.406).",
                               valueName: "M,M,M"))
    var mean: String?

    @Option(help: ArgumentHelp("With --model: per channel standard deviations divided by after --mean (torchvision's: 0.229,0.224,0.225).",
                               valueName: "S,S,S"))
    var std: String?

    @Flag(help: "With --model: the model takes its channels as BGR (OpenCV and Caffe models).")
    var bgr = false

    /// Whether any of the options was given.
    var given: Bool { inputScale != nil || mean != nil || std != nil || bgr }

    func validate() throws {
        if let inputScale, !(inputScale > 0) || !inputScale.isFinite { throw ValidationError("--input-scale must be positive (got \(inputScale))") }
        _ = try numbers(mean, "--mean")
        if let values = try numbers(std, "--std"), values.contains(where: { !($0 > 0) }) {
            throw ValidationError("--std values must be positive (got \(std!))")
        }
    }

    func numbers(_ text: String?, _ option: String) throws -> [Float]? {
        guard let text else { return nil }
        let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw ValidationError("\(option) takes numbers separated by commas, e.g. 0.485,0.456,0.406 (got '\(text)')")
        }
        return values.map { $0! }
    }

    var preprocessing: InputPreprocessing {
        InputPreprocessing(scale: inputScale ?? 1 / 255, mean: (try? numbers(mean, "--mean")) ?? nil,
                           std: (try? numbers(std, "--std")) ?? nil, bgr: bgr)
    }
}

/// `--model MODEL.onnx` and how its input is prepared; shared by `run`, `interpret` and
/// `features`. Without `--model`, the commands use the network cnn-inte trained.
struct ModelOptions: ParsableArguments {
    @Option(name: .customLong("model"), help: ArgumentHelp(
        "An ONNX model to explain instead of the network cnn-inte trains ('run' then skips training). See 'cnn-inte inspect'.",
        valueName: "MODEL.onnx"))
    var model: String?

    @OptionGroup var preparation: InputPreparationOptions

    @Option(name: .customLong("model-output"), help: ArgumentHelp(
        "With --model: what the model's output is: auto (probabilities when the graph ends in a Softmax, logits otherwise), logits, or probabilities (e.g. a model ending in a Sigmoid).",
        valueName: "KIND"))
    var output: ModelOutput?

    func validate() throws {
        if model == nil, preparation.given || output != nil {
            throw ValidationError("--input-scale, --mean, --std, --bgr and --model-output describe a --model MODEL.onnx; give --model too")
        }
    }

    var preprocessing: InputPreprocessing { preparation.preprocessing }

    /// The imported model, or nil without --model.
    func load() throws -> ImportedModel? {
        try model.map { try ImportedModel.load(path: $0, preprocessing: preprocessing, output: output ?? .auto) }
    }
}
