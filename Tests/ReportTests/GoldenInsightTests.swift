import Foundation
import XCTest
@testable import Interpretation
@testable import Report

/// The hand-made interpretation with what the layer-insight and credibility stages add:
/// credibilities, nearest training images, a forest's unit cards, a map and a layer
/// comparison; the exact texts the report makes of them.
enum HandMadeInsight {
    static var saved: SavedInterpretation {
        var saved = HandMade.saved
        for (i, c) in [0.97, 0.42, 0.9].enumerated() { saved.records[i].credibility = c }
        saved.neighbours = [[Neighbour(trainIndex: 0, distance: 0.5, cnnPrediction: 0), Neighbour(trainIndex: 3, distance: 1.25, cnnPrediction: 0)],
                            [Neighbour(trainIndex: 9, distance: 2, cnnPrediction: 2), Neighbour(trainIndex: 7, distance: 2.5, cnnPrediction: 1)],
                            [Neighbour(trainIndex: 2, distance: 0.75, cnnPrediction: 1), Neighbour(trainIndex: 6, distance: 1, cnnPrediction: 1)]]
        saved.units = [ClusterUnits(cluster: 0, heldOut: 0, units: []),
                       ClusterUnits(cluster: 1, heldOut: 120, units: [
                           UnitCard(unit: 7, impurity: 0.25, permutation: 0.125, topImages: [7, 8], low: 0, high: 2, histogram: [[0, 1, 0], [0, 0, 2]]),
                           UnitCard(unit: 3, impurity: 0.5, permutation: 0, topImages: [6], low: -1, high: 1, histogram: [[0, 2, 0], [0, 0, 1]]),
                       ])]
        saved.map = LayerMapPoints(train: (0..<10).flatMap { [Float($0), Float($0 % 3)] }, test: [0, 0, 9, 2, 4.5, 1],
                                   trainLevel1: [0, 0, 1, 0, 0, 0, 1, 1, 1, 0], testLevel1: [0, 1, 1])
        return saved
    }

    static var html: HTMLReport {
        HTMLReport(inputs: try! ReportInputs(saved: saved, dataset: HandMade.dataset, interpretationFolder: "interpretation"),
                   templates: try! HTMLTemplates(), folder: "/r", grouping: .inte)
    }
}

final class GoldenInsightTests: XCTestCase {
    func json<T: Encodable>(_ value: T?) -> String {
        guard let value else { return "nil" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    func testTextTwinWithCredibilityAndNeighbours() {
        XCTAssertEqual(HandMadeInsight.saved.text(for: 1).split(separator: "\n").suffix(3).joined(separator: "\n"), #"""
              credibility: 42% that this explanation agrees with the CNN (low: a shaky explanation)
              runner-up: level-1 cluster 0 (mostly cat), distance 4.00
              nearest training images in fc1: #9 (CNN: emu, distance 2.00), #7 (CNN: dog, distance 2.50)
            """#)
    }

    func testInstancePageParts() {
        let page = HandMadeInsight.html.instancePage(1)
        XCTAssertEqual(json(page.body.credibility), #"""
            {
              "low" : true,
              "value" : "42%",
              "words" : "low: a shaky explanation"
            }
            """#)
        XCTAssertEqual(json(page.body.map), #"""
            {
              "left" : "97.33",
              "top" : "76.30"
            }
            """#)
        XCTAssertEqual(json(page.body.neighbours), #"""
            {
              "items" : [
                {
                  "cnn" : "emu",
                  "distance" : "2.00",
                  "index" : 9,
                  "name" : "#9",
                  "picture" : "diagrams/img/g-9ca49c552071fbeb.png"
                },
                {
                  "cnn" : "dog",
                  "distance" : "2.50",
                  "index" : 7,
                  "name" : "#7",
                  "picture" : "diagrams/img/g-564843e0ae42d483.png"
                }
              ],
              "layer" : "fc1"
            }
            """#)
    }

    func testClusterPageParts() {
        let page = HandMadeInsight.html.clusterPage(HandMade.level1[1], parent: nil, children: HandMade.level2[1])
        XCTAssertEqual(json(page.body.forest), #"""
            {
              "cards" : [
                {
                  "histogram" : "figures/unit-1-7.png",
                  "images" : [
                    {
                      "name" : "#7",
                      "src" : "diagrams/img/g-564843e0ae42d483.png",
                      "train" : 7
                    },
                    {
                      "name" : "#8",
                      "src" : "diagrams/img/g-33f9325d71c29b47.png",
                      "train" : 8
                    }
                  ],
                  "impurity" : "25.0%",
                  "permutation" : "agreement -12.5 points",
                  "unit" : 7
                },
                {
                  "histogram" : "figures/unit-1-3.png",
                  "images" : [
                    {
                      "name" : "#6",
                      "src" : "diagrams/img/g-cae95de8ebe7fa27.png",
                      "train" : 6
                    }
                  ],
                  "impurity" : "50.0%",
                  "permutation" : "agreement unchanged",
                  "unit" : 3
                }
              ],
              "heldOut" : 120,
              "layer" : "fc1"
            }
            """#)
        XCTAssertEqual(json(page.body.map), #"""
            {
              "cluster" : 1,
              "src" : "figures/map-cluster-1.png"
            }
            """#)
        XCTAssertEqual(json(HandMadeInsight.html.clusterPage(HandMade.level1[0], parent: nil, children: HandMade.level2[0]).body.forest), "nil")
    }

    func testLayersPage() {
        var results = HandMade.saved.results
        results.forestNodes = 40
        let other = LayerFigures(results)
        results.configuration.layer = "conv2"
        results.configuration.layerWidth = 64
        let page = HandMadeInsight.html.layersPage([other, LayerFigures(results)])
        XCTAssertEqual(json(page.body.layers), #"""
            [
              {
                "auroc" : "n/a",
                "fidelity" : "66.67%",
                "gap" : "-33.33 points",
                "high" : "n/a",
                "highFidelity" : "n/a",
                "inteAccuracy" : "100.00%",
                "name" : "fc1",
                "nodes" : "40",
                "primary" : true,
                "purity1" : "100.00%",
                "purity2" : "66.67%",
                "seconds" : "0.0",
                "width" : 16
              },
              {
                "auroc" : "n/a",
                "fidelity" : "66.67%",
                "gap" : "-33.33 points",
                "high" : "n/a",
                "highFidelity" : "n/a",
                "inteAccuracy" : "100.00%",
                "name" : "conv2",
                "nodes" : "40",
                "primary" : false,
                "purity1" : "100.00%",
                "purity2" : "66.67%",
                "seconds" : "0.0",
                "width" : 64
              }
            ]
            """#)
    }

    func testMapSVG() {
        let chart = LayerMapChart(HandMadeInsight.saved.map!)
        let svg = chart.svg(records: HandMade.records, background: "map-train.png", instancePage: { "../instances/\($0).html" },
                            classNames: HandMade.classNames)
        XCTAssertEqual(svg, #"""
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="900" height="900" viewBox="0 0 900 900">
            <title>The layer map: training points by level-1 cluster; every test point links to its explanation</title>
            <image x="0" y="0" width="900" height="900" xlink:href="map-train.png" href="map-train.png"/>
            <a href="../instances/0.html"><circle cx="24.0" cy="876.0" r="1.6" fill="#444444" fill-opacity="0.6"><title>#0: true cat, CNN cat, CNN-INTE cat</title></circle></a>
            <a href="../instances/1.html"><circle cx="876.0" cy="686.7" r="3.5" fill="#C62828" fill-opacity="0.6"><title>#1: true emu, CNN dog, CNN-INTE emu</title></circle></a>
            <a href="../instances/2.html"><circle cx="450.0" cy="781.3" r="1.6" fill="#444444" fill-opacity="0.6"><title>#2: true dog, CNN dog, CNN-INTE dog</title></circle></a>
            </svg>

            """#)
    }
}
