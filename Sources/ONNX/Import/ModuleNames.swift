/// The framework's module names of the values a model makes, from the node metadata
/// PyTorch's torch.export-based exporter writes: `pkg.torch.onnx.name_scopes` holds, for
/// each node, the path of modules it was called in (`['', 'layer4', 'layer4.1',
/// 'layer4.1.relu', 'relu_16']`: the root, each module down to the innermost, then the
/// operation). A module's output is the value made by the last node inside it that the
/// engine keeps, so `--layer layer4` (or `avgpool`, `fc`) names what the user means.
enum ModuleNames {
    static let key = "pkg.torch.onnx.name_scopes"

    /// The modules of one node, outermost first, without the root and the operation.
    static func scopes(_ node: Onnx_NodeProto) -> [String] {
        guard let text = node.metadataProps.first(where: { $0.key == key })?.value else { return [] }
        let items = parseList(text)
        guard items.count > 2 else { return [] }
        return Array(items[1..<(items.count - 1)]).filter { !$0.isEmpty }
    }

    /// A Python list of strings as `repr` writes it: `['a', "b'c"]`.
    static func parseList(_ text: String) -> [String] {
        var items: [String] = [], current = "", quote: Character?, escaped = false
        for ch in text {
            if let q = quote {
                if escaped { current.append(ch); escaped = false } else if ch == "\\" { escaped = true } else if ch == q {
                    items.append(current)
                    (current, quote) = ("", nil)
                } else { current.append(ch) }
            } else if ch == "'" || ch == "\"" {
                quote = ch
            }
        }
        return items
    }

    /// Module name -> the ONNX value it outputs, for the nodes of `graph` in order, where
    /// `kept` says which values the lowered graph keeps.
    static func outputs(of graph: Onnx_GraphProto, kept: (String) -> Bool) -> [String: String] {
        var outputs: [String: String] = [:]
        for node in graph.node {
            guard let value = node.output.first, !value.isEmpty, kept(value) else { continue }
            for scope in scopes(node) { outputs[scope] = value }
        }
        return outputs
    }
}
