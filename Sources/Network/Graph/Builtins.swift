/// The networks cnn-inte builds by name, sized to the data's images and classes.
public enum Builtins {
    /// TensorFlow's "Deep MNIST" network, which the paper interprets (docs/METHOD.md,
    /// section 1): conv 5x5x32 + ReLU, 2x2 max pooling, conv 5x5x64 + ReLU, 2x2 max
    /// pooling, dense 1024 + ReLU (`fc1`), dropout 0.5, dense to the logits. 3,274,634
    /// parameters on 28x28x1 images and 10 classes.
    public static func deepMNIST(input: Graph.InputShape, classes: Int) -> Graph {
        Graph(input: input, nodes: [
            Node("conv1", .convolution(Convolution(filters: 32, kernel: [5, 5], activation: .relu)), inputs: [Graph.inputName]),
            Node("pool1", .pooling(Pooling(kind: .max, window: [2, 2], stride: [2, 2])), inputs: ["conv1"]),
            Node("conv2", .convolution(Convolution(filters: 64, kernel: [5, 5], activation: .relu)), inputs: ["pool1"]),
            Node("pool2", .pooling(Pooling(kind: .max, window: [2, 2], stride: [2, 2])), inputs: ["conv2"]),
            Node("fc1", .dense(Dense(units: 1024, activation: .relu)), inputs: ["pool2"]),
            Node("dropout", .dropout(rate: 0.5), inputs: ["fc1"]),
            Node("logits", .dense(Dense(units: classes)), inputs: ["dropout"]),
        ])
    }

    /// A CIFAR-style ResNet-20 (He et al. 2016) sized to the input: a 3x3 convolution of
    /// 16 with batch normalization and ReLU (`stem`), three stages of three basic blocks of
    /// 16, 32 and 64 channels, the first block of stages 2 and 3 halving height and width
    /// with stride 2 (its shortcut a 1x1 strided convolution with batch normalization),
    /// global average pooling (`gap`) and a dense layer to the logits. Block `sSbB` is
    /// stage S, block B; its output node `sSbB` (after the addition and ReLU) is a good
    /// layer to interpret, as is `gap`. 273,754 parameters on 28x28x1 and 10 classes.
    public static func resnet20(input: Graph.InputShape, classes: Int) -> Graph {
        var nodes: [Node] = []
        func add(_ name: String, _ op: Operation, _ inputs: [String]) { nodes.append(Node(name, op, inputs: inputs)) }
        func conv(_ filters: Int, _ kernel: Int, stride: Int = 1) -> Operation {
            .convolution(Convolution(filters: filters, kernel: [kernel, kernel], stride: [stride, stride], bias: false))
        }
        add("stem-conv", conv(16, 3), [Graph.inputName])
        add("stem-bn", .batchNormalization(BatchNormalization()), ["stem-conv"])
        add("stem", .activation(.relu), ["stem-bn"])
        var previous = "stem", channels = 16
        for (stage, width) in [16, 32, 64].enumerated() {
            for block in 0..<3 {
                let name = "s\(stage + 1)b\(block + 1)"
                let stride = stage > 0 && block == 0 ? 2 : 1
                add(name + "-conv1", conv(width, 3, stride: stride), [previous])
                add(name + "-bn1", .batchNormalization(BatchNormalization()), [name + "-conv1"])
                add(name + "-relu1", .activation(.relu), [name + "-bn1"])
                add(name + "-conv2", conv(width, 3), [name + "-relu1"])
                add(name + "-bn2", .batchNormalization(BatchNormalization()), [name + "-conv2"])
                var shortcut = previous
                if stride != 1 || channels != width {
                    add(name + "-proj", conv(width, 1, stride: stride), [previous])
                    add(name + "-proj-bn", .batchNormalization(BatchNormalization()), [name + "-proj"])
                    shortcut = name + "-proj-bn"
                }
                add(name + "-add", .add, [name + "-bn2", shortcut])
                add(name, .activation(.relu), [name + "-add"])
                previous = name
                channels = width
            }
        }
        add("gap", .globalAveragePooling, [previous])
        add("logits", .dense(Dense(units: classes)), ["gap"])
        return Graph(input: input, nodes: nodes)
    }
}
