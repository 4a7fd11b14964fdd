import Foundation

/// The files of `<output>/interpretation/`, written all at once (staged, then renamed):
/// `results.json` (`InterpretationResults`: every figure, the configuration, the data and
/// model, stage timings), `instances.csv` (`InstancesTable`: one row per test instance),
/// `clusters.json` (`ClustersFile`: the cluster tree with statistics, prototypes and
/// learners) and `interpretation.safetensors` (`InterpretationStore`: centroids, bins and
/// forests), `neighbours.csv` (`NeighboursTable`: each test instance's nearest training
/// images in the layer), `units.json` (`ForestInsight`: the units each forest relies on) and
/// `images.json` (`ImageNames`: each image's file, or its place in its file).
public enum Artifacts {
    public static let resultsName = "results.json"
    public static let instancesName = "instances.csv"
    public static let clustersName = "clusters.json"
}
