import Network

extension Lowering {
    static let resize = OperatorLowering(
        operators: ["Resize", "Upsample"],
        summary: "Resize, Upsample of height and width (nearest and linear; scales or sizes known at load)",
        lower: { try $0.lowerResize() })

    mutating func lowerResize() throws {
        let x = try operand(0)
        let shape = try perImageShape(x)
        guard shape.count == 3 else { throw nodeFail("needs a feature map") }
        let modeName = string("mode", default: "nearest")
        let mode: Resize.Mode
        switch modeName {
        case "nearest": mode = .nearest
        case "linear", "bilinear": mode = .linear
        default: throw nodeFail("mode '\(modeName)' is not supported (nearest and linear are)")
        }
        guard int("antialias", default: 0) == 0 else { throw nodeFail("antialias is not supported") }
        // Upsample and opset 10's Resize map coordinates as `asymmetric` does.
        let legacy = current.opType == "Upsample" || onnx.opset < 11
        let coordinateName = legacy ? "asymmetric" : string("coordinate_transformation_mode", default: "half_pixel")
        guard let coordinates = Resize.Coordinates(rawValue: coordinateName) else {
            throw nodeFail("coordinate_transformation_mode '\(coordinateName)' is not supported (half_pixel, pytorch_half_pixel, align_corners and asymmetric are)")
        }
        let roundingName = legacy ? "floor" : string("nearest_mode", default: "round_prefer_floor")
        guard let rounding = Resize.Rounding(rawValue: roundingName) else { throw nodeFail("nearest_mode '\(roundingName)' is not supported") }
        if let axes = attribute("axes"), Set(axes.ints) != [2, 3], Set(axes.ints) != [-2, -1] {
            throw nodeFail("axes \(axes.ints): only height and width are resized")
        }
        // Scales (input 1 before opset 11, else 2; Upsample's attribute at opset 7-8) or sizes (input 3).
        func input(_ index: Int) -> ONNXTensor? {
            index < current.input.count && !current.input[index].isEmpty ? constants[current.input[index]] : nil
        }
        let scaleIndex = legacy ? 1 : 2
        var height = 0, width = 0, scales: [Float]?
        if let sizes = input(3)?.integers, !sizes.isEmpty {
            guard sizes.count == 4 || sizes.count == 2 else { throw nodeFail("sizes \(sizes) are not 4 (or 2, for height and width) values") }
            let hw = Array(sizes.suffix(2))
            guard sizes.count == 2 || (sizes[0] == ConstantFolding.batch || sizes[0] > 0) && sizes[1] == Int64(shape[0]) else {
                throw nodeFail("sizes \(ConstantFolding.describe(sizes)) change more than height and width")
            }
            guard hw.allSatisfy({ $0 > 0 && $0 <= 65_536 }) else { throw nodeFail("sizes \(hw) are not 1-65536 pixels") }
            (height, width) = (Int(hw[0]), Int(hw[1]))
        } else if let given = input(scaleIndex)?.floats ?? attribute("scales")?.floats, !given.isEmpty {
            guard given.count == 4 || given.count == 2 else { throw nodeFail("scales \(given) are not 4 (or 2) values") }
            let hw = Array(given.suffix(2))
            guard given.count == 2 || (given[0] == 1 && given[1] == 1) else { throw nodeFail("scales \(given) change more than height and width") }
            guard hw.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 65_536 }) else { throw nodeFail("scales \(hw) are not positive and finite") }
            let h = (Float(shape[1]) * hw[0]).rounded(.down), w = (Float(shape[2]) * hw[1]).rounded(.down)
            guard h >= 1, w >= 1, h <= 65_536, w <= 65_536 else { throw nodeFail("resizes \(shape[1])x\(shape[2]) by \(hw) to \(h)x\(w) pixels") }
            (height, width, scales) = (Int(h), Int(w), hw)
        } else {
            throw nodeFail("its scales or sizes must be known at load")
        }
        try add(.resize(Resize(height: height, width: width, mode: mode, coordinates: coordinates, rounding: rounding, scales: scales)),
                inputs: [try source(x)])
    }
}
