import XCTest
@testable import Interpretation

/// `instances.csv` read by column name, every index checked.
final class InstancesTableTests: XCTestCase {
    let records = [
        InstanceRecord(index: 0, label: 1, cnnPrediction: 1, cnnProbability: 0.75,
                       route: Route(level1: 1, level2: 0, runnerUp: 0, level1Distances: [2.5, 1.25], level2Distance: 0.5),
                       votes: [0.25, 0.5, 0.25], intePrediction: 1),
        InstanceRecord(index: 1, label: 2, cnnPrediction: 0, cnnProbability: 0.5,
                       route: Route(level1: 0, level2: 1, runnerUp: 1, level1Distances: [1, 3], level2Distance: 0.75),
                       votes: [0.25, 0, 0.75], intePrediction: 2),
    ]

    func testExactTextAndRoundTrip() throws {
        let text = InstancesTable.encode(records, k1: 2, classes: 3)
        XCTAssertEqual(text, """
            index,true_label,cnn_prediction,cnn_probability,level1,level2,runner_up,distance_level1_0,distance_level1_1,distance_level2,vote_0,vote_1,vote_2,inte_prediction,agrees
            0,1,1,0.75,1,0,0,2.5,1.25,0.5,0.25,0.5,0.25,1,1
            1,2,0,0.5,0,1,1,1,3,0.75,0.25,0,0.75,2,0

            """)
        XCTAssertEqual(try InstancesTable.decode(text, path: "i.csv", k1: 2, classes: 3), records)
    }

    func testColumnsAreFoundByName() throws {
        // The same table with its columns in reverse order reads the same.
        let rows = InstancesTable.encode(records, k1: 2, classes: 3).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).reversed().joined(separator: ",")
        }
        XCTAssertEqual(try InstancesTable.decode(rows.joined(separator: "\n"), path: "i.csv", k1: 2, classes: 3), records)
    }

    func testEveryIndexIsChecked() {
        let good = InstancesTable.encode(records, k1: 2, classes: 3)
        func refused(_ text: String, k1: Int = 2, classes: Int = 3, saying words: String, line: UInt = #line) {
            XCTAssertThrowsError(try InstancesTable.decode(text, path: "i.csv", k1: k1, classes: classes), line: line) {
                XCTAssertTrue("\($0)".hasPrefix("i.csv: "), "\($0)", line: line)
                XCTAssertTrue("\($0)".contains(words), "expected '\(words)' in '\($0)'", line: line)
            }
        }
        refused(good, classes: 4, saying: "has no column 'vote_3'")
        refused(good, k1: 3, saying: "has no column 'distance_level1_2'")
        refused(good.replacingOccurrences(of: "\n1,2,0,0.5,", with: "\n1,7,0,0.5,"), saying: "line 3: true_label '7' is not in 0...2")
        refused(good.replacingOccurrences(of: "\n1,2,0,0.5,0,", with: "\n1,2,0,0.5,5,"), saying: "line 3: level1 '5' is not in 0...1")
        refused(good.replacingOccurrences(of: "\n1,2,", with: "\n4,2,"), saying: "line 3: index '4', expected 1")
        refused(good.replacingOccurrences(of: ",0.75,2,0\n", with: ",0.75,-1,0\n"), saying: "inte_prediction '-1' is not in 0...2")
        refused(good.replacingOccurrences(of: ",0.75,2,0\n", with: ",0.75,2,1\n"), saying: "agrees '1' contradicts the predictions")
        refused(good.replacingOccurrences(of: "0.5,0,1,1,1,3", with: "0.5,0,1,0,1,3"), saying: "runner_up is the cluster itself")
        refused(good.replacingOccurrences(of: "0.5,0,1,1,1,3", with: "0.5,0,1,1,nan,3"), saying: "distance_level1_0 'nan' is not a number")
        refused("", saying: "empty file")
    }
}

extension InstancesTableTests {
    /// Credibility is written when every record has one, read back, and checked; tables
    /// written before it existed still read.
    func testCredibilityColumn() throws {
        var credible = records
        credible[0].credibility = 0.875
        credible[1].credibility = 0.25
        let text = InstancesTable.encode(credible, k1: 2, classes: 3)
        XCTAssertTrue(text.hasPrefix(InstancesTable.header(k1: 2, classes: 3).joined(separator: ",") + "\n0,1,1,0.75,1,0,0,2.5,1.25,0.5,0.25,0.5,0.25,1,1,0.875\n"), text)
        XCTAssertEqual(try InstancesTable.decode(text, path: "i.csv", k1: 2, classes: 3), credible)
        XCTAssertEqual(try InstancesTable.decode(InstancesTable.encode(records, k1: 2, classes: 3), path: "i.csv", k1: 2, classes: 3), records)
        XCTAssertThrowsError(try InstancesTable.decode(text.replacingOccurrences(of: ",0.25\n", with: ",1.5\n"), path: "i.csv", k1: 2, classes: 3)) {
            XCTAssertEqual("\($0)", "i.csv: line 3: credibility 1.5 is not in [0, 1]")
        }
    }
}

extension InstancesTableTests {
    /// Image folders add the file as the last column, quoted as RFC 4180 says when the
    /// name holds a comma, a quote or a line break; every row still reads.
    func testFileColumn() throws {
        let files = ["test/cat/a.png", "test/dog, \"big\"/b\nc.png"]
        let text = InstancesTable.encode(records, k1: 2, classes: 3, files: files)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines[0].hasSuffix(",agrees,file"), String(lines[0]))
        XCTAssertTrue(lines[1].hasSuffix(",1,1,test/cat/a.png"), String(lines[1]))
        XCTAssertTrue(text.hasSuffix(",2,0,\"test/dog, \"\"big\"\"/b\nc.png\"\n"), text)
        XCTAssertEqual(try InstancesTable.decode(text, path: "i.csv", k1: 2, classes: 3), records)
        XCTAssertEqual(try CSVField.records(text).map { $0.last! }, ["file"] + files)
        XCTAssertThrowsError(try InstancesTable.decode(text + "2,\"open", path: "i.csv", k1: 2, classes: 3)) {
            XCTAssertEqual("\($0)", "i.csv: line 5: a quoted field is not closed")
        }
        XCTAssertThrowsError(try CSVField.records("a,b\"c\n")) { XCTAssertEqual("\($0)", "line 1: a quote inside an unquoted field") }
        XCTAssertThrowsError(try CSVField.records("\"a\"b\n")) { XCTAssertEqual("\($0)", "line 1: text after a quoted field's closing quote") }
        XCTAssertEqual(try CSVField.records("a,\"\"\r\n\nb"), [["a", ""], ["b"]])
    }
}
