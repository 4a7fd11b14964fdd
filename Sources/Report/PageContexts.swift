import Foundation
import Mustache

/// What every page's layout (`layout-head`, `layout-foot`) shows.
struct PageFrame: Encodable, Equatable {
    var title: String
    /// Leads back to the report's folder ("" or "../").
    var root: String
    var dataName: String
    var layer: String
    var nTest: Int
    var generator: String
    var madeFrom: String
}

/// The context of one page's template: what that page shows.
protocol PageContext: Encodable {
    /// The template (`Templates/<name>.mustache`) that renders it.
    static var template: String { get }
}

/// A page as its template reads it: the frame's names and the page's own side by side (a
/// name the page has hides the frame's). Encodes flat, as the template sees it.
struct Page<Body: PageContext>: Encodable, MustacheParent {
    var frame: PageFrame
    var body: Body

    func child(named name: String) -> Any? { Self.property(name, of: body) ?? Self.property(name, of: frame) }

    /// Property `name` of `value`, an optional unwrapped (nil: absent or nil).
    static func property(_ name: String, of value: Any) -> Any? {
        guard let found = Mirror(reflecting: value).children.first(where: { $0.label == name })?.value else { return nil }
        let mirror = Mirror(reflecting: found)
        guard mirror.displayStyle == .optional else { return found }
        return mirror.children.first?.value
    }

    func encode(to encoder: Encoder) throws {
        try frame.encode(to: encoder)
        try body.encode(to: encoder)
    }
}

/// A level-1 or level-2 cluster as a link.
struct ClusterChip: Encodable, Equatable {
    var id: String
    var size: Int
    var majority: String
    var color: String
    var href: String
}

/// A training image's picture.
struct TrainingPicture: Encodable, Equatable {
    var train: Int
    var name: String
    var src: String
}

/// `index.html`: the figures, the classes, the clusters and the instance browser.
struct IndexPage: PageContext {
    static let template = "index"

    struct MapSummary: Encodable { var points: Int }
    struct CredibilitySummary: Encodable {
        var calibrationSize: Int
        var ece: String
        var auroc: String
        var fidelity95: String, coverage95: String, fidelity98: String, coverage98: String
    }
    struct ClassRow: Encodable {
        var name: String
        var color: String
        var count: Int
        var cnnAccuracy: String, inteAccuracy: String, fidelity: String
        var booklet: String
        var bookletName: String
    }

    var layerWidth: Int
    var k1: Int, k2: Int
    var cnnAccuracy: String, inteAccuracy: String, fidelity: String
    var disagreements: Int
    var cnnErrors: Int
    /// The layers compared, for templates copied before `pages` (0.5).
    var layersCompared: String?
    /// The optional pages this report has (`ReportPages`).
    var pages: [PageLink]
    var map: MapSummary?
    var credibility: CredibilitySummary?
    var trainCount: Int
    var bookletGrouping: String
    var classes: [ClassRow]
    var clusters: [ClusterChip]
    var treeNote: String?
}

/// `instances/<i>.html`: one test instance's diagram, text, neighbours and place on the map.
struct InstancePage: PageContext {
    static let template = "instance"

    struct Credibility: Encodable { var value: String; var words: String; var low: Bool }
    struct MapSpot: Encodable { var left: String; var top: String }
    struct Neighbours: Encodable {
        struct Item: Encodable { var picture: String; var index: Int; var name: String; var cnn: String; var distance: String }
        var layer: String
        var items: [Item]
    }

    var index: Int
    var file: String?
    var truth: String, cnn: String, inte: String
    var probability: String
    var agrees: Bool
    var cnnRight: Bool
    var credibility: Credibility?
    /// The diagram's files.
    var png: String, svg: String, pdf: String, dot: String, txt: String
    var map: MapSpot?
    var neighbours: Neighbours?
    var text: String
    var level1: String, level2: String
    var level1Page: String, level2Page: String
    var previous: String?, previousIndex: Int?
    var next: String?, nextIndex: Int?
}

/// `layers.html`: the layers compared by `interpret --layers`.
struct LayersPage: PageContext {
    static let template = "layers"

    struct Row: Encodable {
        var name: String
        var primary: Bool
        var width: Int
        var fidelity: String, inteAccuracy: String, gap: String, purity1: String, purity2: String
        var nodes: String
        var high: String, highFidelity: String, auroc: String
        var seconds: String
    }

    var count: Int
    var primary: String
    var cnnAccuracy: String
    var layers: [Row]
}

/// `clusters/<id>.html`: a cluster's composition, prototypes, members, map and unit cards.
struct ClusterPage: PageContext {
    static let template = "cluster"

    struct Composition: Encodable { var name: String; var color: String; var predicted: Int; var truth: Int; var width: String }
    struct MapPicture: Encodable { var src: String; var cluster: Int }
    struct Forest: Encodable {
        struct Card: Encodable {
            var unit: Int
            var impurity: String
            var permutation: String
            var histogram: String
            var images: [TrainingPicture]
        }
        var heldOut: Int
        var layer: String
        var cards: [Card]
    }
    struct Member: Encodable {
        var index: Int
        var name: String, href: String, thumb: String
        var truth: String, cnn: String, inte: String
        /// "disagree", "wrong" (the CNN), or "".
        var status: String
    }

    var levelName: String
    var id: String
    var size: Int
    var purity: String
    var majority: String
    var meanDistance: String
    var parent: String?, parentHref: String?
    var hasChildren: Bool
    var children: [ClusterChip]
    var composition: [Composition]
    var prototypes: [TrainingPicture]
    var map: MapPicture?
    var forest: Forest?
    var testCount: Int
    var members: [Member]
}
