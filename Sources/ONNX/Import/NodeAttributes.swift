/// An ONNX node's attributes by name, each with the default its operator's spec gives.
struct NodeAttributes {
    let node: Onnx_NodeProto

    func attribute(_ name: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == name } }
    func ints(_ name: String, default value: [Int]) -> [Int] { attribute(name).map { $0.ints.map(Int.init) } ?? value }
    func int(_ name: String, default value: Int) -> Int { attribute(name).map { Int($0.i) } ?? value }
    func float(_ name: String, default value: Float) -> Float { attribute(name).map(\.f) ?? value }
    func floats(_ name: String) -> [Float]? { attribute(name).map(\.floats) }
    func string(_ name: String, default value: String) -> String {
        attribute(name).map { String(decoding: $0.s, as: UTF8.self) } ?? value
    }
}
