import Foundation

/// Every class a data set has must be one the network can learn: it needs training images.
///
/// A class with none is almost always a broken label (one test label 200 among digits
/// makes a 201-class problem when classes are counted from the labels) or a class folder
/// left empty, and training on it silently would give a network with outputs nothing ever
/// taught. So, unless the user declared the classes themselves (`--classes FILE`, or a
/// `classes.txt` in the data folder: the explicit say-so that a class may be empty), a
/// class without training images is refused with one line naming the file, the index and
/// the label that asked for it.
enum ClassCheck {
    /// Where the labels of one split came from, for messages.
    struct Source {
        var split: Split
        /// The labels file (IDX, CIFAR), or the data folder (image folders).
        var file: String
        /// For image folders, the folder holding the class folders of this split.
        var classFolders: String? = nil
    }

    /// Throws when a class of `classNames` has no training image and the classes were not
    /// declared.
    ///
    /// `formatNamed`: the classes come from the format itself (CIFAR's ten or hundred), so
    /// a class with no image at all is the format's, not a broken label's; a test image of
    /// a class nothing trains is still refused.
    static func check(classNames: [String], train: Source, test: Source, declared: Bool, formatNamed: Bool = false) throws {
        if declared { return }
        let counts = train.split.classCounts(classes: classNames.count)
        guard let empty = counts.firstIndex(of: 0) else { return }
        let advice = "if the label is right, declare every class with --classes FILE (one name per line)"
        // A test image of a class nothing trains: name the first one.
        if let index = test.split.labels.firstIndex(where: { counts[Int($0)] == 0 }) {
            let label = Int(test.split.labels[index])
            throw DatasetError.badFile(path: where_(test, index),
                                       problem: "label \(label)\(at(test, index)) names class '\(classNames[label])', which has no training images (\(trainedSummary(counts))); \(advice)")
        }
        if formatNamed { return }
        // No image at all for some classes below a training label: the label that made
        // them classes (counted from the labels) is the suspect.
        if let index = train.split.labels.firstIndex(where: { Int($0) > empty }) {
            let label = Int(train.split.labels[index])
            let gap = (empty..<label).filter { counts[$0] == 0 }
            throw DatasetError.badFile(path: where_(train, index),
                                       problem: "label \(label)\(at(train, index)) makes \(gap.count == 1 ? "class '\(classNames[gap[0]])'" : "\(gap.count) classes (\(classNames[gap[0]]) ... \(classNames[gap[gap.count - 1]]))") with no images at all; \(advice)")
        }
        // A class named (by a folder or a format's own names) that has no images.
        throw DatasetError.badFile(path: train.classFolders.map { ($0 as NSString).appendingPathComponent(classNames[empty]) } ?? train.file,
                                   problem: "class '\(classNames[empty])' has no training images; add some, or declare the classes with --classes FILE (one name per line)")
    }

    /// The file a label is in: the image's own file in an image folder.
    private static func where_(_ source: Source, _ index: Int) -> String {
        source.split.files.map { (source.file as NSString).appendingPathComponent($0[index]) } ?? source.file
    }

    /// " at index I" for labels numbered inside a file; nothing for an image's own file.
    private static func at(_ source: Source, _ index: Int) -> String {
        source.split.files == nil ? " at index \(index)" : ""
    }

    /// "training labels: 0...9" or the classes that do have training images, briefly.
    private static func trainedSummary(_ counts: [Int]) -> String {
        let trained = counts.indices.filter { counts[$0] > 0 }
        if let first = trained.first, let last = trained.last, last - first + 1 == trained.count {
            return "the training labels are \(first)...\(last)"
        }
        return "\(trained.count) of \(counts.count) classes have training images"
    }
}
