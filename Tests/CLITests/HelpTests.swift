import ArgumentParser
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
              train                   Train the CNN and save it to Output/model.
              interpret               Cluster a hidden layer, fit the forests, write
                                      Output/interpretation.
              report                  Draw every test instance and write the HTML report
                                      and PDF booklets.
              explain                 Print the interpretation path of one test instance.
              bench                   Measure speed and memory; --json prints one
                                      machine-readable object.
              data                    Inspect a data set.

              See 'cnn-inte help <subcommand>' for detailed help.
            """)
    }

    func testDataInfoHelp() {
        XCTAssertEqual(CNNInte.helpMessage(for: DataCommand.Info.self, columns: 80), """
            OVERVIEW: Counts, image size, class balance of both splits, source and
            checksums.

            USAGE: cnn-inte data info [--data <DIR>] [--classes <FILE>] [--json]

            OPTIONS:
              --data <DIR>            A folder holding the four MNIST-format IDX files (raw
                                      or .gz). Default: the embedded 5,000-digit MNIST
                                      sample.
              --classes <FILE>        A text file of class names, one per line in label
                                      order. Default: classes.txt in the data folder,
                                      Fashion-MNIST's names for Fashion-MNIST, else the
                                      digits.
              --json                  Print JSON instead of text.
              --version               Show the version.
              -h, --help              Show help information.

            """)
    }

    func testEverySubcommandHasHelp() throws {
        for name in ["run", "train", "interpret", "report", "explain", "bench", "data"] {
            let result = try CLIProcess.run([name, "--help"])
            XCTAssertEqual(result.status, 0, name)
            XCTAssertTrue(result.stdout.contains("USAGE: cnn-inte \(name)"), "\(name): \(result.stdout)")
        }
    }
}
