import Foundation

/// The CIFAR-10 and CIFAR-100 "binary version" files (Krizhevsky 2009,
/// https://www.cs.toronto.edu/~kriz/cifar.html): records of label byte(s) then 3,072 bytes
/// of a 32x32 colour image stored plane by plane (1,024 red, 1,024 green, 1,024 blue),
/// each plane row-major. No header: a file's size must be a whole number of records.
public enum CIFAR {
    public enum Kind: String, Codable, Sendable {
        /// `data_batch_1.bin` ... `data_batch_5.bin`, `test_batch.bin`, `batches.meta.txt`:
        /// one label byte per record.
        case cifar10 = "cifar-10"
        /// `train.bin`, `test.bin`, `fine_label_names.txt`: a coarse then a fine label byte;
        /// the fine label (100 classes) is used.
        case cifar100 = "cifar-100"

        var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        var namesFile: String { self == .cifar10 ? "batches.meta.txt" : "fine_label_names.txt" }
        var classCount: Int { self == .cifar10 ? 10 : 100 }
    }

    public static let side = 32
    static let imageBytes = 3 * 32 * 32

    /// Which CIFAR version `folder` holds, if any.
    public static func kind(of folder: String) -> Kind? {
        let has = { FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent($0)) }
        if has("test_batch.bin") { return .cifar10 }
        if has("train.bin") && has("test.bin") { return .cifar100 }
        return nil
    }

    /// The train files (whichever batches are present) and the test file.
    public static func files(_ kind: Kind, in folder: String) throws -> (train: [String], test: String) {
        let path = { (folder as NSString).appendingPathComponent($0) }
        switch kind {
        case .cifar10:
            let train = (1...5).map { path("data_batch_\($0).bin") }.filter { FileManager.default.fileExists(atPath: $0) }
            if train.isEmpty { throw DatasetError.missingFile(path: path("data_batch_1.bin")) }
            return (train, path("test_batch.bin"))
        case .cifar100:
            return ([path("train.bin")], path("test.bin"))
        }
    }

    /// Parses one file's records into HWC images and labels.
    public static func parse(_ bytes: [UInt8], kind: Kind, path: String) throws -> (images: ImageSet, labels: [UInt8]) {
        let record = kind.labelBytes + imageBytes
        if bytes.isEmpty { throw DatasetError.badFile(path: path, problem: "empty file") }
        guard bytes.count % record == 0 else {
            throw DatasetError.badFile(path: path, problem: "\(bytes.count) bytes is not a whole number of \(kind.rawValue) records of \(record) bytes (truncated, or not \(kind.rawValue))")
        }
        let count = bytes.count / record
        var pixels = [UInt8](repeating: 0, count: count * imageBytes)
        var labels = [UInt8](repeating: 0, count: count)
        let plane = side * side
        for i in 0..<count {
            let base = i * record
            let label = bytes[base + kind.labelBytes - 1]
            guard Int(label) < kind.classCount else {
                throw DatasetError.badFile(path: path, problem: "record \(i) has label \(label), outside 0...\(kind.classCount - 1): not \(kind.rawValue)")
            }
            labels[i] = label
            let source = base + kind.labelBytes, target = i * imageBytes
            for p in 0..<plane {
                pixels[target + 3 * p] = bytes[source + p]
                pixels[target + 3 * p + 1] = bytes[source + plane + p]
                pixels[target + 3 * p + 2] = bytes[source + 2 * plane + p]
            }
        }
        return (ImageSet(count: count, rows: side, columns: side, channels: 3, pixels: pixels), labels)
    }

    /// The class names file beside the data, if present: one name per line, blank lines
    /// (CIFAR-10's file ends with some) dropped.
    public static func classNames(_ kind: Kind, in folder: String) throws -> [String]? {
        let path = (folder as NSString).appendingPathComponent(kind.namesFile)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let names = try ClassNames.load(path)
        guard names.count == kind.classCount else {
            throw DatasetError.badFile(path: path, problem: "names \(names.count) classes; \(kind.rawValue) has \(kind.classCount)")
        }
        return names
    }
}
