import ArgumentParser
import Foundation
import XCTest
@testable import CLI

/// Golden `--help` texts: a change to the interface shows up here first.
final class HelpTests: XCTestCase {
    func testRootHelp() {
        XCTAssertEqual(CNNInte.helpMessage(columns: 80), """
            OVERVIEW: Train a CNN, interpret one hidden layer with CNN-INTE, and draw every
            test instance's explanation.

            With no --data folder, every command uses the embedded sample of 5,000 MNIST
            digits.
            Results are written under ./Output; progress and errors go to stderr.

            USAGE: cnn-inte <subcommand>

            OPTIONS:
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              run                     Train, interpret and report in one go (the main job).
              train                   Train the CNN and save it to <output>/model
                                      (model.safetensors + model.json).
              interpret               Cluster a hidden layer, fit the forests, write
                                      <output>/interpretation.
              report                  Draw every test instance and write the HTML report
                                      and PDF booklets from saved artifacts.
              explain                 Print the interpretation path of one test instance.
              features                Write a layer's activations for every image of a
                                      split to a .npy file (rows = images).
              bench                   Measure speed and memory; --json prints one
                                      machine-readable object.
              data                    Inspect a data set.
              inspect                 Show an ONNX model's inputs, outputs, parameters and
                                      nodes, and whether cnn-inte runs it (exit 1 if not).
              export                  Write the trained network as an ONNX model (for
                                      onnxruntime, Netron, other explainers).
              shard                   Run one shard of a run planned with --slurm or --plan
                                      (what each job runs).
              status                  Show each stage of a run submitted with --slurm (or
                                      planned with --plan): shards done, running, failed,
                                      to do.

              See 'cnn-inte help <subcommand>' for detailed help.
            """)
    }

    func testTrainHelp() {
        XCTAssertEqual(CNNInte.helpMessage(for: TrainCommand.self, columns: 80), """
            OVERVIEW: Train the CNN and save it to <output>/model (model.safetensors +
            model.json).

            USAGE: cnn-inte train <options>

            OPTIONS:
              --data <DIR>            The data: a folder of the four MNIST-format IDX files
                                      (raw or .gz), CIFAR-10/100 binary batches, or class
                                      folders of images (DIR/train/<class>/*,
                                      DIR/test/<class>/*, or DIR/<class>/*). Default: the
                                      embedded 5,000-digit MNIST sample.
              --classes <FILE>        A text file of class names, one per line in label
                                      order. Default: classes.txt in the data folder, the
                                      source's own names (class folders, CIFAR's names
                                      file, Fashion-MNIST's), else the labels' numbers.
                                      Named classes may have no images; otherwise a class
                                      without training images is refused.
              --test-fraction <F>     For class folders without train/ and test/: the share
                                      of each class held out for testing (default 0.2),
                                      stratified.
              --split-seed <N>        Seed of that split (default 1); separate from --seed,
                                      so every command sees the same test images.
              --resize <HxW>          Bring every image to HEIGHTxWIDTH, the aspect ratio
                                      not kept (area-averaging when shrinking, bilinear
                                      when growing), e.g. 32x32.
              --resize-shorter <N>    Bring every image's shorter side to N pixels, the
                                      longer in proportion, resampled as Pillow's bilinear
                                      (torchvision's Resize(N)).
              --center-crop <HxW>     Then keep the centre HEIGHTxWIDTH of every image
                                      (torchvision's CenterCrop), e.g. 224x224.
              --channels <C>          Convert every image to 1 (grey) or 3 (RGB) channels.
                                      Default: as stored (an image folder with any colour
                                      image is RGB).
              --skip-bad-images       Leave out image files that do not decode (counted and
                                      listed by 'data info') instead of refusing the folder.
              --epochs <epochs>       Passes over the training images. (default: 20)
              --batch-size <batch-size>
                                      Images per mini-batch. (default: 50)
              --learning-rate <learning-rate>
                                      Initial learning rate. (default: 0.001)
              --optimizer <optimizer> adam or sgd (with momentum 0.9). (values: adam, sgd;
                                      default: adam)
              --schedule <schedule>   Learning-rate schedule: cosine (decay to 1%) or
                                      constant. (values: constant, cosine; default: cosine)
              --no-augment            Train on the images as they are (default: small
                                      random rotations, scalings and shifts).
              --validation-split <validation-split>
                                      Share of training images held out to report
                                      validation accuracy per epoch. (default: 0.0)
              --architecture <LAYERS> The network as a layer list, e.g.
                                      conv1:conv(32,5,relu),pool1:maxpool(2),fc1:dense(128,relu),logits:dense(10).
                                      Default: the paper's network.
              --seed <seed>           Seed for every random choice: the same seed and
                                      thread count give the same results. (default: 1)
              --threads <threads>     Cores to use (default: all).
              --output <DIR>          Folder for all results. (default: Output)
              --quiet                 Print no progress on stderr.
              --version               Show the version.
              -h, --help              Show help information.

            """)
    }

    func testDataInfoHelp() {
        XCTAssertEqual(CNNInte.helpMessage(for: DataCommand.Info.self, columns: 80), """
            OVERVIEW: Counts, image size, class balance of both splits, source and
            checksums.

            USAGE: cnn-inte data info [--data <DIR>] [--classes <FILE>] [--test-fraction <F>] [--split-seed <N>] [--resize <HxW>] [--resize-shorter <N>] [--center-crop <HxW>] [--channels <C>] [--skip-bad-images] [--json] [--quiet]

            OPTIONS:
              --data <DIR>            The data: a folder of the four MNIST-format IDX files
                                      (raw or .gz), CIFAR-10/100 binary batches, or class
                                      folders of images (DIR/train/<class>/*,
                                      DIR/test/<class>/*, or DIR/<class>/*). Default: the
                                      embedded 5,000-digit MNIST sample.
              --classes <FILE>        A text file of class names, one per line in label
                                      order. Default: classes.txt in the data folder, the
                                      source's own names (class folders, CIFAR's names
                                      file, Fashion-MNIST's), else the labels' numbers.
                                      Named classes may have no images; otherwise a class
                                      without training images is refused.
              --test-fraction <F>     For class folders without train/ and test/: the share
                                      of each class held out for testing (default 0.2),
                                      stratified.
              --split-seed <N>        Seed of that split (default 1); separate from --seed,
                                      so every command sees the same test images.
              --resize <HxW>          Bring every image to HEIGHTxWIDTH, the aspect ratio
                                      not kept (area-averaging when shrinking, bilinear
                                      when growing), e.g. 32x32.
              --resize-shorter <N>    Bring every image's shorter side to N pixels, the
                                      longer in proportion, resampled as Pillow's bilinear
                                      (torchvision's Resize(N)).
              --center-crop <HxW>     Then keep the centre HEIGHTxWIDTH of every image
                                      (torchvision's CenterCrop), e.g. 224x224.
              --channels <C>          Convert every image to 1 (grey) or 3 (RGB) channels.
                                      Default: as stored (an image folder with any colour
                                      image is RGB).
              --skip-bad-images       Leave out image files that do not decode (counted and
                                      listed by 'data info') instead of refusing the folder.
              --json                  Print JSON instead of text.
              --quiet                 Print no progress on stderr.
              --version               Show the version.
              -h, --help              Show help information.

            """)
    }

    /// docs/CLI.md is `cnn-inte reference`'s output, and that is every command's help.
    func testCommandReferenceIsCurrent() throws {
        let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/CLI.md")
        let written = try String(contentsOf: page, encoding: .utf8)
        let result = try CLIProcess.run(["reference"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, CLIReference.markdown())
        XCTAssertTrue(written == result.stdout, "docs/CLI.md is stale: run `cnn-inte reference > docs/CLI.md`")
        for command in ["run", "train", "interpret", "report", "explain", "features", "inspect", "export", "bench", "data info", "data make-colour"] {
            XCTAssertTrue(written.contains("\n## cnn-inte \(command)\n"), command)
        }
        XCTAssertFalse(written.contains("--cnn-inte-report-worker"), "the report worker's argument is no option")
        XCTAssertFalse(written.contains("## cnn-inte reference"), "the hidden command is not listed")
    }

    /// Every command the tool lists, nested ones too, read from the command tree itself so a
    /// new command is covered without being named here.
    func testEverySubcommandHasHelp() throws {
        func paths(_ command: ParsableCommand.Type, _ prefix: [String]) -> [[String]] {
            command.configuration.subcommands.filter { $0.configuration.shouldDisplay }.flatMap { sub -> [[String]] in
                let path = prefix + [sub._commandName]
                return [path] + paths(sub, path)
            }
        }
        let all = paths(CNNInte.self, [])
        XCTAssertTrue(Set(["run", "train", "interpret", "report", "explain", "features", "inspect", "export", "bench", "data",
                           "data info", "data make-colour"]).isSubset(of: Set(all.map { $0.joined(separator: " ") })), "\(all)")
        for path in all {
            let name = path.joined(separator: " ")
            let result = try CLIProcess.run(path + ["--help"])
            XCTAssertEqual(result.status, 0, name)
            XCTAssertTrue(result.stdout.contains("USAGE: cnn-inte \(name)"), "\(name): \(result.stdout)")
        }
    }

    func testReportHelp() {
        XCTAssertEqual(CNNInte.helpMessage(for: ReportCommand.self, columns: 80), """
            OVERVIEW: Draw every test instance and write the HTML report and PDF booklets
            from saved artifacts.

            USAGE: cnn-inte report [--data <DIR>] [--dpi <dpi>] [--booklets-by <booklets-by>] [--jobs <jobs>] [--templates <DIR>] [--output <DIR>] [--quiet] [--model <MODEL.onnx>]

            OPTIONS:
              --data <DIR>            The folder of the data the interpretation was made on
                                      (its images are drawn). Default: the data the
                                      interpretation records.
              --dpi <dpi>             Resolution of the PNG diagrams, 10-1200: 96 for the
                                      web, 300 for print. (default: 96.0)
              --booklets-by <booklets-by>
                                      Group the PDF booklets by CNN-INTE prediction (inte)
                                      or by true label (true). (values: inte, true;
                                      default: inte)
              --jobs <jobs>           Processes drawing diagrams in parallel (Graphviz is
                                      single-threaded). Default: the number of cores.
              --templates <DIR>       A folder of report templates to use instead of the
                                      built-in ones (copy Templates/ to start).
              --output <DIR>          Folder holding model/ and interpretation/; the report
                                      goes to <output>/report and <output>/pdf. (default:
                                      Output)
              --quiet                 Print no progress on stderr.
              --model <MODEL.onnx>    Refuse unless the interpretation was made with this
                                      model file (compared by SHA-256).
              --version               Show the version.
              -h, --help              Show help information.

            """)
    }
}
