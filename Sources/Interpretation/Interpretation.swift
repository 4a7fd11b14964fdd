/// CNN-INTE's interpretation stage (after Liu et al. 2018): two-level k-means on a hidden
/// layer's activations, one random forest per level-1 cluster, and the meta-level decision.
/// It consumes `Network` features and predictions and produces the artifacts `Report` draws.
public enum Interpretation {}
