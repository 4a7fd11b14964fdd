import Foundation

/// The files of `<output>/interpretation/`, written all at once (staged, then renamed):
/// `results.json` (`InterpretationResults`: every figure, the configuration, the data and
/// model, stage timings), `instances.csv` (`InstancesTable`: one row per test instance),
/// `clusters.json` (`ClustersFile`: the cluster tree with statistics, prototypes and
/// learners) and `interpretation.safetensors` (`InterpretationStore`: centroids, bins and
/// forests) and `images.json` (`ImageNames`: each image's file, or its place in its file);
/// then each registered analysis's file (`Analyses.registered`: `units.json`,
/// `neighbours.csv`, `map.csv`), and `layers.json` with `--layers`.
public enum Artifacts {
    public static let resultsName = "results.json"
    public static let instancesName = "instances.csv"
    public static let clustersName = "clusters.json"
}
