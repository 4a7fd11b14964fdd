import Foundation
import Numerics

/// A plan as Kubernetes Indexed Jobs (`completionMode: Indexed`): one manifest per stage,
/// each pod running `cnn-inte shard STAGE` with the index Kubernetes sets in
/// `JOB_COMPLETION_INDEX`, the shared folder mounted from a PersistentVolumeClaim at the
/// same path as here. The user applies them in order, each after the last completed
/// (Kubernetes has no dependencies between Jobs); the index contract is Slurm's.
public enum KubernetesPlan {
    /// The manifest of `stage`.
    public static func manifest(stage: String, shards: Int, plan: ShardPlan, image: String, volumeClaim: String) -> String {
        let output = URL(fileURLWithPath: plan.output, relativeTo: URL(fileURLWithPath: plan.workingDirectory + "/")).standardizedFileURL.path
        let command = ["cnn-inte", "shard", stage, "--output", output].map(yaml).joined(separator: ", ")
        var lines = ["# cnn-inte stage \(stage): \(shards) shard\(shards == 1 ? "" : "s"); apply after the stage before it completed.",
                     "apiVersion: batch/v1", "kind: Job", "metadata:", "  name: \(name(stage: stage, plan: plan))", "spec:",
                     "  completionMode: Indexed", "  completions: \(shards)", "  parallelism: \(shards)", "  backoffLimit: \(2 * shards)",
                     "  template:", "    spec:", "      restartPolicy: Never", "      containers:", "      - name: cnn-inte",
                     "        image: \(yaml(image))", "        command: [\(command)]"]
        if let cores = Stage.cores(stage, plan: plan) {
            lines += ["        resources:", "          requests:", "            cpu: \"\(cores)\""]
        }
        lines += ["        volumeMounts:", "        - name: shared", "          mountPath: \(yaml(output))",
                  "      volumes:", "      - name: shared", "        persistentVolumeClaim:", "          claimName: \(yaml(volumeClaim))"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Job's name: the stage and the plan's fingerprint, so two runs' Jobs never clash in
    /// a namespace (a Job's spec cannot be changed once applied), while the same run
    /// submitted again names the same Jobs.
    static func name(stage: String, plan: ShardPlan) -> String { "cnn-inte-\(stage)-\(plan.fingerprint.prefix(10))" }

    /// Writes every stage's manifest into `<output>/shards/kubernetes/`, numbered in the
    /// order they are applied; returns that folder.
    public static func write(_ plan: ShardPlan, folder: ShardFolder, image: String, volumeClaim: String) throws -> String {
        let out = (folder.root as NSString).appendingPathComponent("kubernetes")
        for (n, stage) in plan.stages.enumerated() {
            let text = manifest(stage: stage.name, shards: stage.shards, plan: plan, image: image, volumeClaim: volumeClaim)
            try FileWriting.atomically(Data(text.utf8), to: (out as NSString).appendingPathComponent(String(format: "%d-%@.yaml", n + 1, stage.name)))
        }
        return out
    }

    /// A YAML double-quoted scalar.
    static func yaml(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}
