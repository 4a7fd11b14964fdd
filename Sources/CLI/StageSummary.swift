import Foundation

/// The closing summary's line of stage times: every stage `results.json` timed (and the
/// training and the report where `run` did them), in the order they ran.
enum StageSummary {
    /// results.json's keys, in the order the stages run, with the words the summary uses.
    static let stages: [(key: String, name: String)] = [
        ("training", "training"), ("activations_train", "activations (train)"), ("activations_test", "activations (test)"),
        ("augmented_copies", "augmented copies"), ("boundary_blends", "boundary blends"), ("clustering", "clustering"),
        ("pool_and_binning", "binning"), ("forests", "forests"), ("decisions", "decisions"), ("credibility", "credibility"),
        ("units", "unit cards"), ("neighbours", "neighbours"), ("map", "map"), ("global_forest_seconds", "global forest"),
        ("report", "report"),
    ]

    static func line(_ timings: [String: Double]) -> String {
        var parts = stages.compactMap { stage -> String? in
            guard let seconds = timings[stage.key] else { return nil }
            return String(format: "%@ %.1f s", stage.name, seconds)
        }
        if let rate = timings["activations_images_per_s"] {
            parts.append(String(format: "activations at %.0f images/s", rate))
        }
        return parts.joined(separator: ", ")
    }
}
