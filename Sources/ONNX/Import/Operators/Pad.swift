import Network

extension Lowering {
    static let pad = OperatorLowering(
        operators: ["Pad"],
        summary: "Pad (zeros around height and width, just before a Conv or AveragePool)",
        lower: { try $0.lowerPad() })

    /// Zeros around the height and width only, taken by the Conv reading it.
    mutating func lowerPad() throws {
        guard string("mode", default: "constant") == "constant" else { throw nodeFail("only mode 'constant' (zeros) is supported") }
        let pads: [Int]
        if let attribute = attribute("pads") { pads = attribute.ints.map(Int.init) }
        else if let values = constants[try operand(1)]?.integers { pads = values.map(Int.init) }
        else { throw nodeFail("its pads must be known at load") }
        if current.input.count > 2, !current.input[2].isEmpty {
            guard let value = try constant(current.input[2], what: "value").floats?.first, value == 0 else {
                throw nodeFail("only padding with zeros is supported")
            }
        }
        guard pads.count == 8, pads[0] == 0, pads[1] == 0, pads[4] == 0, pads[5] == 0, pads.allSatisfy({ $0 >= 0 }) else {
            throw nodeFail("pads \(pads): only non-negative padding of height and width is supported")
        }
        let x = try operand(0)
        guard pendingPads[x] == nil else { throw nodeFail("two Pads in a row are not supported") }
        nodeOf[try result()] = try source(x)
        pendingPads[try result()] = [pads[2], pads[3], pads[6], pads[7]]
    }
}
