/// Batch normalizations followed by a ReLU, fused at inference: oneDNN's batch
/// normalization applies the ReLU in the same pass (`fuse_norm_relu`), which saves one
/// read and one write of the feature map. A batch normalization that cannot fold into a
/// convolution before it is the pre-activation pattern (`bn -> relu -> conv`) of DenseNet
/// and pre-activation ResNets, where the pair ran as two passes (12% of DenseNet-121's time).
///
/// Only a normalization whose value nobody else reads is fused (read only by the ReLU, not
/// kept, not the logits): its memory then holds the ReLU's output.
enum NormalizationFusion {
    /// Batch normalization node -> the ReLU node it absorbs.
    static func plans(graph: Graph, keep: Set<String>, absorbedElsewhere: Set<String>) -> [String: String] {
        let consumers = graph.consumers
        let kept = keep.union([graph.logitsNode.name])
        var plans: [String: String] = [:]
        for node in graph.nodes {
            guard case .batchNormalization = node.op, !kept.contains(node.name), !absorbedElsewhere.contains(node.name),
                  let readers = consumers[node.name], readers.count == 1, let reader = graph.node(readers[0]),
                  reader.op == .activation(.relu), reader.inputs == [node.name], !absorbedElsewhere.contains(reader.name)
            else { continue }
            plans[node.name] = reader.name
        }
        return plans
    }
}
