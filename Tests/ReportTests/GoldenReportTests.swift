import Datasets
import Foundation
import Numerics
import XCTest
@testable import Interpretation
@testable import Report

/// A hand-made interpretation of three test images over three classes, small enough to
/// check every figure by eye, and the exact texts the report makes of it: the cluster
/// tree's DOT, the text twin of each diagram and the HTML pages' contexts.
enum HandMade {
    static let classNames = ["cat", "dog", "emu"]

    static func node(_ id: String, level: Int, size: Int, predictions: [Int], labels: [Int], prototypes: [Int],
                     meanDistance: Double) -> ClusterNode {
        let majority = predictions.indices.max { predictions[$0] < predictions[$1] || (predictions[$0] == predictions[$1] && $0 > $1) }!
        return ClusterNode(id: id, level: level, size: size, predictionHistogram: predictions, labelHistogram: labels,
                           majority: majority, purity: Double(predictions[majority]) / Double(size), prototypes: prototypes,
                           meanDistance: meanDistance)
    }

    static let root = node("root", level: 0, size: 10, predictions: [5, 4, 1], labels: [5, 3, 2], prototypes: [], meanDistance: 0)
    static let level1 = [
        node("0", level: 1, size: 6, predictions: [5, 1, 0], labels: [5, 1, 0], prototypes: [0, 1], meanDistance: 1.5),
        node("1", level: 1, size: 4, predictions: [0, 3, 1], labels: [0, 2, 2], prototypes: [2], meanDistance: 2),
    ]
    static let level2 = [
        [node("0.0", level: 2, size: 6, predictions: [5, 1, 0], labels: [5, 1, 0], prototypes: [0], meanDistance: 1.5)],
        [node("1.0", level: 2, size: 3, predictions: [0, 3, 0], labels: [0, 2, 1], prototypes: [2], meanDistance: 1),
         node("1.1", level: 2, size: 1, predictions: [0, 0, 1], labels: [0, 0, 1], prototypes: [9], meanDistance: 0)],
    ]
    static let records = [
        InstanceRecord(index: 0, label: 0, cnnPrediction: 0, cnnProbability: 0.9,
                       route: Route(level1: 0, level2: 0, runnerUp: 1, level1Distances: [1, 3], level2Distance: 0.5),
                       votes: [1, 0, 0], intePrediction: 0),
        InstanceRecord(index: 1, label: 2, cnnPrediction: 1, cnnProbability: 0.6,
                       route: Route(level1: 1, level2: 1, runnerUp: 0, level1Distances: [4, 2], level2Distance: 1),
                       votes: [0, 0.3, 0.7], intePrediction: 2),
        InstanceRecord(index: 2, label: 1, cnnPrediction: 1, cnnProbability: 0.8,
                       route: Route(level1: 1, level2: 0, runnerUp: 0, level1Distances: [5, 1], level2Distance: 0.25),
                       votes: [0.1, 0.9, 0], intePrediction: 1),
    ]

    static var saved: SavedInterpretation {
        let centroids = Matrix(rows: 2, columns: 1, values: [0, 1])
        let tree = ClusterTree(root: root, level1: level1, level2: level2, level1Centroids: centroids,
                               level2Centroids: [Matrix(rows: 1, columns: 1, values: [0]), centroids],
                               trainLevel1: [], trainLevel2: [])
        let configuration = InterpretationResults.Configuration(
            layer: "fc1", layerWidth: 16, k1: 2, k2: 2, minClusterSize: 10, prototypes: 2, kmeansRestarts: 1, trees: 10,
            maxFeatures: 4, maxDepth: nil, minSamplesLeaf: 1, splits: "binned", metaTraining: "soft-boundaries",
            boundaryCloseness: 0.8, augmentCopies: 5, boundaryBlends: 0, seed: 1, data: "toy", dataFingerprint: "",
            model: "model.safetensors")
        let results = InterpretationResults(metrics: InterpretationMetrics(records: records, tree: tree, classes: 3),
                                            globalForest: .init(fidelity: 1, accuracy: 2.0 / 3), configuration: configuration,
                                            classNames: classNames, timings: [:])
        return SavedInterpretation(results: results, records: records, level1: level1, level2: level2,
                                   learners: [.constant(class: 0), .forest(trees: 10)])
    }

    /// 2x2 images: training image t and test image i have all pixels t and 100 + i.
    static var dataset: Dataset {
        func images(_ values: [UInt8]) -> ImageSet {
            ImageSet(count: values.count, rows: 2, columns: 2, pixels: values.flatMap { [$0, $0, $0, $0] })
        }
        return Dataset(name: "toy", source: .folder("toy"),
                       train: Split(images: images((0..<10).map(UInt8.init)), labels: [0, 0, 0, 0, 0, 1, 1, 2, 2, 2]),
                       test: Split(images: images([100, 101, 102]), labels: [0, 2, 1]), classNames: classNames)
    }

    static var inputs: ReportInputs { try! ReportInputs(saved: saved, dataset: dataset, interpretationFolder: "interpretation") }
}

final class GoldenReportTests: XCTestCase {
    func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    var html: HTMLReport { HTMLReport(inputs: HandMade.inputs, templates: try! HTMLTemplates(), folder: "/r", grouping: .inte) }

    func testTextTwinOfEachKindOfPath() {
        // A constant learner, a disagreement with a CNN mistake, and a forest that agrees.
        XCTAssertEqual(HandMade.saved.text(for: 0), #"""
            test #0  true label: cat
              -> fc1 (16 units)
              -> level-1 cluster 0: 6 training images, distance 1.00; CNN predictions cat 83%, dog 17%; prototypes #0 #1
              -> level-2 cluster 0.0: 6 training images, distance 0.50; CNN predictions cat 83%, dog 17%; prototypes #0
              -> constant learner of cluster 0: votes cat 100%
              -> CNN-INTE: cat   CNN: cat (p = 0.900) agrees   truth: cat
              runner-up: level-1 cluster 1 (mostly dog), distance 3.00
            """#)
        XCTAssertEqual(HandMade.saved.text(for: 1), #"""
            test #1  true label: emu
              -> fc1 (16 units)
              -> level-1 cluster 1: 4 training images, distance 2.00; CNN predictions dog 75%, emu 25%; prototypes #2
              -> level-2 cluster 1.1: 1 training image, distance 1.00; CNN predictions emu 100%; prototypes #9
              -> random forest of cluster 1 (10 trees): votes emu 70%, dog 30%
              -> CNN-INTE: emu   CNN: dog (p = 0.600) DISAGREES   truth: emu (the CNN is wrong)
              runner-up: level-1 cluster 0 (mostly cat), distance 4.00
            """#)
        XCTAssertEqual(HandMade.saved.text(for: 2), #"""
            test #2  true label: dog
              -> fc1 (16 units)
              -> level-1 cluster 1: 4 training images, distance 1.00; CNN predictions dog 75%, emu 25%; prototypes #2
              -> level-2 cluster 1.0: 3 training images, distance 0.25; CNN predictions dog 100%; prototypes #2
              -> random forest of cluster 1 (10 trees): votes dog 90%, cat 10%
              -> CNN-INTE: dog   CNN: dog (p = 0.800) agrees   truth: dog
              runner-up: level-1 cluster 0 (mostly cat), distance 5.00
            """#)
    }

    func testClusterTreeDOT() {
        let prototypes = ["0": ["img/a.png", "img/b.png"], "1": ["img/c.png"], "1.0": ["img/c.png"], "1.1": ["img/d.png"]]
        XCTAssertEqual(GlobalDiagram.dot(.init(root: HandMade.root, level1: HandMade.level1, level2: HandMade.level2,
                                               classNames: HandMade.classNames, layer: "fc1", layerWidth: 16, prototypes: prototypes)),
                       #"""
            digraph cluster_tree {
              graph [rankdir=LR, bgcolor="white", fontname="DejaVu Sans", fontsize=15, nodesep=0.12, ranksep=0.6, pad=0.2,
                     labelloc=t, label=<The cluster tree of fc1 (16 units): 10 training images>];
              node [shape=plain, fontname="DejaVu Sans", fontsize=10, fontcolor="#1A1A1A"];
              edge [color="#9A9A9A", penwidth=1.2, arrowsize=0.6];
              root [label=<<TABLE BORDER="1" COLOR="#1A1A1A" CELLBORDER="0" CELLPADDING="3" BGCOLOR="white"><TR><TD><FONT FACE="DejaVu Sans Bold">all training images</FONT></TD></TR><TR><TD>10 images</TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="45" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#E69F00"></TD><TD WIDTH="46" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;50% cat</TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="36" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#56B4E9"></TD><TD WIDTH="55" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;40% dog</TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="9" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#009E73"></TD><TD WIDTH="82" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;10% emu</TD></TR></TABLE></TD></TR></TABLE>>];
              n0 [label=<<TABLE BORDER="1" COLOR="#5A5A5A" CELLBORDER="0" CELLPADDING="3" BGCOLOR="white"><TR><TD><FONT FACE="DejaVu Sans Bold">level-1 cluster 0</FONT></TD></TR><TR><TD>6 images · purity 83%</TD></TR><TR><TD><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="6"><TR><TD><IMG SRC="img/a.png"/></TD><TD><IMG SRC="img/b.png"/></TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="75" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#E69F00"></TD><TD WIDTH="16" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;83% cat</TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="15" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#56B4E9"></TD><TD WIDTH="76" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;17% dog</TD></TR></TABLE></TD></TR></TABLE>>];
              root -> n0 [penwidth=3.2];
              n0_0 [label=<<TABLE BORDER="1" COLOR="#5A5A5A" CELLBORDER="0" CELLPADDING="2" BGCOLOR="white"><TR><TD ALIGN="LEFT"><FONT FACE="DejaVu Sans Bold">0.0</FONT><BR ALIGN="LEFT"/>6 images<BR ALIGN="LEFT"/></TD><TD ALIGN="LEFT">cat&nbsp;</TD><TD WIDTH="50" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#E69F00"></TD><TD ALIGN="LEFT">83%</TD></TR></TABLE>>];
              n0 -> n0_0;
              n1 [label=<<TABLE BORDER="1" COLOR="#5A5A5A" CELLBORDER="0" CELLPADDING="3" BGCOLOR="white"><TR><TD><FONT FACE="DejaVu Sans Bold">level-1 cluster 1</FONT></TD></TR><TR><TD>4 images · purity 75%</TD></TR><TR><TD><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="6"><TR><TD><IMG SRC="img/c.png"/></TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="68" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#56B4E9"></TD><TD WIDTH="23" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;75% dog</TD></TR></TABLE></TD></TR><TR><TD ALIGN="LEFT"><TABLE BORDER="0" CELLPADDING="0" CELLSPACING="0"><TR><TD WIDTH="23" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#009E73"></TD><TD WIDTH="68" HEIGHT="8" FIXEDSIZE="TRUE"></TD><TD ALIGN="LEFT">&nbsp;25% emu</TD></TR></TABLE></TD></TR></TABLE>>];
              root -> n1 [penwidth=2.4];
              n1_0 [label=<<TABLE BORDER="1" COLOR="#5A5A5A" CELLBORDER="0" CELLPADDING="2" BGCOLOR="white"><TR><TD><IMG SRC="img/c.png"/></TD><TD ALIGN="LEFT"><FONT FACE="DejaVu Sans Bold">1.0</FONT><BR ALIGN="LEFT"/>3 images<BR ALIGN="LEFT"/></TD><TD ALIGN="LEFT">dog&nbsp;</TD><TD WIDTH="60" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#56B4E9"></TD><TD ALIGN="LEFT">100%</TD></TR></TABLE>>];
              n1 -> n1_0;
              n1_1 [label=<<TABLE BORDER="1" COLOR="#5A5A5A" CELLBORDER="0" CELLPADDING="2" BGCOLOR="white"><TR><TD><IMG SRC="img/d.png"/></TD><TD ALIGN="LEFT"><FONT FACE="DejaVu Sans Bold">1.1</FONT><BR ALIGN="LEFT"/>1 image<BR ALIGN="LEFT"/></TD><TD ALIGN="LEFT">emu&nbsp;</TD><TD WIDTH="60" HEIGHT="8" FIXEDSIZE="TRUE" BGCOLOR="#009E73"></TD><TD ALIGN="LEFT">100%</TD></TR></TABLE>>];
              n1 -> n1_1;
            }
            """# + "\n")
    }

    func testIndexPageContext() {
        XCTAssertEqual(json(html.indexPage(k1: 2, k2: 2)), #"""
            {
              "bookletGrouping" : "CNN-INTE prediction",
              "classes" : [
                {
                  "booklet" : "../pdf/cat.pdf",
                  "bookletName" : "cat.pdf",
                  "cnnAccuracy" : "100.00%",
                  "color" : "#E69F00",
                  "count" : 1,
                  "fidelity" : "100.00%",
                  "inteAccuracy" : "100.00%",
                  "name" : "cat"
                },
                {
                  "booklet" : "../pdf/dog.pdf",
                  "bookletName" : "dog.pdf",
                  "cnnAccuracy" : "100.00%",
                  "color" : "#56B4E9",
                  "count" : 1,
                  "fidelity" : "50.00%",
                  "inteAccuracy" : "100.00%",
                  "name" : "dog"
                },
                {
                  "booklet" : "../pdf/emu.pdf",
                  "bookletName" : "emu.pdf",
                  "cnnAccuracy" : "0.00%",
                  "color" : "#009E73",
                  "count" : 1,
                  "fidelity" : "n/a",
                  "inteAccuracy" : "100.00%",
                  "name" : "emu"
                }
              ],
              "clusters" : [
                {
                  "color" : "#E69F00",
                  "href" : "clusters/0.html",
                  "id" : "0",
                  "majority" : "cat",
                  "size" : 6
                },
                {
                  "color" : "#56B4E9",
                  "href" : "clusters/1.html",
                  "id" : "1",
                  "majority" : "dog",
                  "size" : 4
                }
              ],
              "cnnAccuracy" : "66.67%",
              "cnnErrors" : 1,
              "dataName" : "toy",
              "disagreements" : 1,
              "fidelity" : "66.67%",
              "generator" : "",
              "inteAccuracy" : "100.00%",
              "k1" : 2,
              "k2" : 2,
              "layer" : "fc1",
              "layerWidth" : 16,
              "madeFrom" : "",
              "nTest" : 3,
              "pages" : [

              ],
              "root" : "",
              "title" : "cnn-inte report: toy",
              "trainCount" : 10
            }
            """#)
    }

    func testInstancePageContext() {
        XCTAssertEqual(json(html.instancePage(1)), #"""
            {
              "agrees" : false,
              "cnn" : "dog",
              "cnnRight" : false,
              "dataName" : "toy",
              "dot" : "diagrams/1.dot",
              "generator" : "",
              "index" : 1,
              "inte" : "emu",
              "layer" : "fc1",
              "level1" : "1",
              "level1Page" : "clusters/1.html",
              "level2" : "1.1",
              "level2Page" : "clusters/1.1.html",
              "madeFrom" : "",
              "nTest" : 3,
              "next" : "2.html",
              "nextIndex" : 2,
              "pdf" : "diagrams/1.pdf",
              "png" : "diagrams/1.png",
              "previous" : "0.html",
              "previousIndex" : 0,
              "probability" : "0.600",
              "root" : "../",
              "svg" : "diagrams/1.svg",
              "text" : "test #1  true label: emu\n  -> fc1 (16 units)\n  -> level-1 cluster 1: 4 training images, distance 2.00; CNN predictions dog 75%, emu 25%; prototypes #2\n  -> level-2 cluster 1.1: 1 training image, distance 1.00; CNN predictions emu 100%; prototypes #9\n  -> random forest of cluster 1 (10 trees): votes emu 70%, dog 30%\n  -> CNN-INTE: emu   CNN: dog (p = 0.600) DISAGREES   truth: emu (the CNN is wrong)\n  runner-up: level-1 cluster 0 (mostly cat), distance 4.00",
              "title" : "Test image #1",
              "truth" : "emu",
              "txt" : "diagrams/1.txt"
            }
            """#)
    }

    func testClusterPageContexts() {
        XCTAssertEqual(json(html.clusterPage(HandMade.level1[1], parent: nil, children: HandMade.level2[1])), #"""
            {
              "children" : [
                {
                  "color" : "#56B4E9",
                  "href" : "../clusters/1.0.html",
                  "id" : "1.0",
                  "majority" : "dog",
                  "size" : 3
                },
                {
                  "color" : "#009E73",
                  "href" : "../clusters/1.1.html",
                  "id" : "1.1",
                  "majority" : "emu",
                  "size" : 1
                }
              ],
              "composition" : [
                {
                  "color" : "#56B4E9",
                  "name" : "dog",
                  "predicted" : 3,
                  "truth" : 2,
                  "width" : "100.0"
                },
                {
                  "color" : "#009E73",
                  "name" : "emu",
                  "predicted" : 1,
                  "truth" : 2,
                  "width" : "33.3"
                }
              ],
              "dataName" : "toy",
              "generator" : "",
              "hasChildren" : true,
              "id" : "1",
              "layer" : "fc1",
              "levelName" : "Level-1 cluster",
              "madeFrom" : "",
              "majority" : "dog",
              "meanDistance" : "2.00",
              "members" : [
                {
                  "cnn" : "dog",
                  "href" : "instances/1.html",
                  "index" : 1,
                  "inte" : "emu",
                  "name" : "#1",
                  "status" : "disagree",
                  "thumb" : "diagrams/img/g-0062b2e48b9c0393.png",
                  "truth" : "emu"
                },
                {
                  "cnn" : "dog",
                  "href" : "instances/2.html",
                  "index" : 2,
                  "inte" : "dog",
                  "name" : "#2",
                  "status" : "",
                  "thumb" : "diagrams/img/g-b5f79cdd87d3f727.png",
                  "truth" : "dog"
                }
              ],
              "nTest" : 3,
              "prototypes" : [
                {
                  "name" : "#2",
                  "src" : "diagrams/img/g-283bb60a312a7797.png",
                  "train" : 2
                }
              ],
              "purity" : "75.00%",
              "root" : "../",
              "size" : 4,
              "testCount" : 2,
              "title" : "Level-1 cluster 1"
            }
            """#)
        XCTAssertEqual(json(html.clusterPage(HandMade.level2[1][1], parent: HandMade.level1[1], children: [])), #"""
            {
              "children" : [

              ],
              "composition" : [
                {
                  "color" : "#009E73",
                  "name" : "emu",
                  "predicted" : 1,
                  "truth" : 1,
                  "width" : "100.0"
                }
              ],
              "dataName" : "toy",
              "generator" : "",
              "hasChildren" : false,
              "id" : "1.1",
              "layer" : "fc1",
              "levelName" : "Level-2 cluster",
              "madeFrom" : "",
              "majority" : "emu",
              "meanDistance" : "0.00",
              "members" : [
                {
                  "cnn" : "dog",
                  "href" : "instances/1.html",
                  "index" : 1,
                  "inte" : "emu",
                  "name" : "#1",
                  "status" : "disagree",
                  "thumb" : "diagrams/img/g-0062b2e48b9c0393.png",
                  "truth" : "emu"
                }
              ],
              "nTest" : 3,
              "parent" : "1",
              "parentHref" : "../clusters/1.html",
              "prototypes" : [
                {
                  "name" : "#9",
                  "src" : "diagrams/img/g-9ca49c552071fbeb.png",
                  "train" : 9
                }
              ],
              "purity" : "100.00%",
              "root" : "../",
              "size" : 1,
              "testCount" : 1,
              "title" : "Level-2 cluster 1.1"
            }
            """#)
    }
}
