import Foundation

/// The files of `<output>/interpretation/`, named here and nowhere else, written all at once
/// (staged, then renamed). Every interpretation has the core files; the analyses'
/// (`Analyses.registered`, each type's `fileName` is one of these) are there when the run
/// made them.
public enum Artifacts {
    /// `InterpretationResults`: every figure, the configuration, the data and model, timings.
    public static let resultsName = "results.json"
    /// `InstancesTable`: one row per test instance.
    public static let instancesName = "instances.csv"
    /// `ClustersFile`: the cluster tree with statistics, prototypes and learners.
    public static let clustersName = "clusters.json"
    /// `InterpretationStore`: centroids, bins and forests.
    public static let storeName = "interpretation.safetensors"
    /// `ImageNames`: each image's file, or its place in its file.
    public static let imagesName = "images.json"
    /// The analyses': `UnitCards` (the units each forest relies on), `NearestTrainingImages`,
    /// `LayerMapPoints` (the layer map), `ClassSummary` (per predicted class) and
    /// `LayerComparison` (with `--layers`: the layers compared).
    public static let layersName = "layers.json"
    public static let unitsName = "units.json"
    public static let neighboursName = "neighbours.csv"
    public static let mapName = "map.csv"
    public static let classesName = "classes.json"

    /// Every file an interpretation folder may hold.
    public static var all: [String] {
        [resultsName, instancesName, clustersName, storeName, imagesName] + Analyses.registered.map { $0.fileName }
    }
}
