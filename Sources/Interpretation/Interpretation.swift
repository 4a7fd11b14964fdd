/// CNN-INTE's interpretation stage (after Liu et al. 2018): two-level k-means on a hidden
/// layer's activations, one random forest per level-1 cluster, and the meta-level decision
/// (docs/METHOD.md). It sees the network only through `ImageLabeller` (images in, a layer's
/// activations and class probabilities out) and produces the artifacts `Report` draws.
public enum Interpretation {}
