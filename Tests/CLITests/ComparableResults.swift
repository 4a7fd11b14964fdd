import Foundation

/// An output folder's `interpretation/results.json` without what differs between two runs
/// that must otherwise agree: the timings, and the model's paths (they name the folder).
func comparableResults(_ output: String) throws -> NSDictionary {
    let url = URL(fileURLWithPath: "\(output)/interpretation/results.json")
    var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    object["timings_seconds"] = nil
    var configuration = object["configuration"] as! [String: Any]
    configuration["model"] = nil
    var provenance = configuration["model_provenance"] as! [String: Any]
    (provenance["file"], provenance["description"]) = (nil, nil)
    configuration["model_provenance"] = provenance
    object["configuration"] = configuration
    return object as NSDictionary
}
