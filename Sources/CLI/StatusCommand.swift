import ArgumentParser
import Foundation
import Numerics
import Sharding

/// `cnn-inte status`: how far a sharded run is, stage by stage.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each stage of a run submitted with --slurm (or planned with --plan): shards done, running, failed, to do.")

    @Option(help: ArgumentHelp("The run's folder.", valueName: "DIR")) var output = "Output"

    func run() throws {
        let folder = ShardFolder(output: output)
        let plan = try ShardPlan.read(folder)
        let status = ShardStatus.of(plan, folder: folder)
        for line in ShardStatus.lines(status) { print(line) }
        if let failed = status.flatMap(\.failed).first {
            print("first failure: stage \(failed.stage), shard \(failed.index): \(failed.message) (log: \(folder.log(failed.stage, failed.index)))")
        }
    }
}
