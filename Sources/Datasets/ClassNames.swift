import Foundation

/// Human-readable names of the classes, index = label value.
public enum ClassNames {
    public static let digits = numbers(10)

    /// "0", "1", ...: the names of classes known only by their labels.
    public static func numbers(_ count: Int) -> [String] { (0..<count).map(String.init) }

    /// Fashion-MNIST's ten classes, in label order (Xiao, Rasul & Vollgraf 2017).
    public static let fashion = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]

    /// SHA-256 of Fashion-MNIST's decoded test labels (the 10,000 label bytes after the
    /// 8-byte header). Recognises the data set whatever its folder or compression.
    public static let fashionTestLabelsFingerprint =
        "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9"

    /// Reads a class-names file: one name per line, blank lines and `#` comments skipped.
    public static func load(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.missingFile(path: path) }
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.badFile(path: path, problem: "not readable as UTF-8 text")
        }
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if names.count < 2 {
            throw DatasetError.badFile(path: path, problem: "needs at least 2 class names, one per line (found \(names.count))")
        }
        if names.count > 256 {
            throw DatasetError.badFile(path: path, problem: "IDX labels are bytes: at most 256 classes (found \(names.count))")
        }
        if let duplicate = Dictionary(grouping: names, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw DatasetError.badFile(path: path, problem: "class name \"\(duplicate)\" appears twice")
        }
        return names
    }
}
