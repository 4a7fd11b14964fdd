"""Makes the ONNX files the reader's tests load, with the onnx package's helper.

    python3 -m venv /tmp/ox && /tmp/ox/bin/pip install onnx==1.23.2 numpy==2.4.6 onnxruntime==1.32.0
    /tmp/ox/bin/python Tests/ONNXTests/Fixtures/make_fixtures.py

tiny-cnn.onnx: input "image" [N, 1, 6, 6] -> Conv(2 filters, 3x3, pads 1) -> Relu ->
MaxPool(2) -> Flatten -> Gemm(18 -> 3) -> "logits", weights from a fixed seed.
tiny-cnn-external.onnx + tiny-cnn-external.weights: the same graph with every
initializer in the side file (onnx's external-data format).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def tiny_cnn():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    b = np.array([0.1, -0.2], dtype=np.float32)
    fw = rng.standard_normal((3, 18)).astype(np.float32)  # Gemm with transB = 1
    fb = np.array([0.0, 0.5, -0.5], dtype=np.float32)
    nodes = [
        helper.make_node("Conv", ["image", "conv.weight", "conv.bias"], ["conv"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("MaxPool", ["relu"], ["pool"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny-cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 6, 6])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        initializer=[numpy_helper.from_array(w, "conv.weight"), numpy_helper.from_array(b, "conv.bias"),
                     numpy_helper.from_array(fw, "fc.weight"), numpy_helper.from_array(fb, "fc.bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cnn-inte fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


model = tiny_cnn()
onnx.save(model, os.path.join(HERE, "tiny-cnn.onnx"))
# onnx appends to an existing side file: start from none.
if os.path.exists(os.path.join(HERE, "tiny-cnn-external.weights")):
    os.remove(os.path.join(HERE, "tiny-cnn-external.weights"))
onnx.save(tiny_cnn(), os.path.join(HERE, "tiny-cnn-external.onnx"), save_as_external_data=True,
          all_tensors_to_one_file=True, location="tiny-cnn-external.weights", size_threshold=0)


def tiny_resnet():
    """Every operator the importer lowers so far, on [N, 3, 8, 8]: Conv (pads, stride 2,
    groups), BatchNormalization, Relu, LeakyRelu, Add, Clip, AveragePool (count_include_pad),
    MaxPool (ceil_mode), Sigmoid, Concat, GlobalAveragePool, Flatten, MatMul + Add, Tanh,
    Gemm (alpha, beta, transB 0), Softmax."""
    rng = np.random.default_rng(11)
    f = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.5  # noqa: E731
    inits, nodes = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def bn(x, c, name):
        nodes.append(helper.make_node("BatchNormalization", [x, const(name + ".s", 1 + f(c) * 0.2), const(name + ".b", f(c)),
                                                          const(name + ".m", f(c)), const(name + ".v", 0.5 + np.abs(f(c)))],
                                      [name], name=name, epsilon=1e-3))
        return name

    nodes.append(helper.make_node("Conv", ["image", const("c0.w", f(4, 3, 3, 3)), const("c0.b", f(4))], ["c0"], name="c0",
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", [bn("c0", 4, "bn0")], ["r0"], name="r0"))
    nodes.append(helper.make_node("Conv", ["r0", const("c1.w", f(4, 4, 3, 3))], ["c1"], name="c1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("LeakyRelu", [bn("c1", 4, "bn1")], ["b1"], name="b1", alpha=0.1))
    nodes.append(helper.make_node("Add", ["r0", "b1"], ["sum"], name="sum"))
    nodes.append(helper.make_node("Clip", ["sum", const("lo", 0.0), const("hi", 6.0)], ["clip"], name="clip"))
    nodes.append(helper.make_node("Conv", ["clip", const("c2.w", f(6, 2, 3, 3)), const("c2.b", f(6))], ["c2"], name="c2",
                                  kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], group=2))
    nodes.append(helper.make_node("AveragePool", ["c2"], ["avg"], name="avg", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                  count_include_pad=1))
    nodes.append(helper.make_node("MaxPool", ["avg"], ["max"], name="max", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
    nodes.append(helper.make_node("Sigmoid", ["max"], ["sig"], name="sig"))
    nodes.append(helper.make_node("Concat", ["max", "sig"], ["cat"], name="cat", axis=1))
    nodes.append(helper.make_node("GlobalAveragePool", ["cat"], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flat"))
    nodes.append(helper.make_node("MatMul", ["flat", const("m.w", f(12, 5))], ["mm"], name="mm"))
    nodes.append(helper.make_node("Add", ["mm", const("m.b", f(5))], ["mmb"], name="mmb"))
    nodes.append(helper.make_node("Tanh", ["mmb"], ["tanh"], name="tanh"))
    nodes.append(helper.make_node("Gemm", ["tanh", const("g.w", f(5, 3)), const("g.b", f(3))], ["logits"], name="logits",
                                  alpha=0.5, beta=2.0))
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1))
    graph = helper.make_graph(nodes, "tiny-resnet", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 8, 8])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 3])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cnn-inte fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tiny_torchlike():
    """What PyTorch exports of a small net often hold: the input normalised inside the
    graph (Sub, Div by per-channel constants), a Pad before a convolution, auto_pad
    SAME_LOWER with stride 2, Mul and Sub by constants inside, ReduceMean over (2, 3) as
    x.mean((2, 3)), GlobalMaxPool then Squeeze, a Constant node, on [N, 3, 8, 8]."""
    rng = np.random.default_rng(13)
    f = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.5  # noqa: E731
    inits = [numpy_helper.from_array(np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1), "mean"),
             numpy_helper.from_array(np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1), "std"),
             numpy_helper.from_array(f(4, 3, 3, 3), "conv.w"), numpy_helper.from_array(f(4), "conv.b"),
             numpy_helper.from_array(f(3, 4), "fc.w"), numpy_helper.from_array(np.array([2, 3], np.int64), "squeeze.axes")]
    inits += [numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 0, 1], np.int64), "pads"),
              numpy_helper.from_array(f(4, 4, 3, 3), "conv2.w"),
              numpy_helper.from_array(f(1, 4, 1, 1), "gain"), numpy_helper.from_array(np.array(0.25, np.float32), "offset")]
    nodes = [
        helper.make_node("Sub", ["image", "mean"], ["centred"], name="centred"),
        helper.make_node("Div", ["centred", "std"], ["normalised"], name="normalised"),
        helper.make_node("Conv", ["normalised", "conv.w", "conv.b"], ["conv1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Pad", ["conv1", "pads"], ["padded"], name="padded", mode="constant"),
        helper.make_node("Conv", ["padded", "conv2.w"], ["conv2"], name="conv2", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_LOWER"),
        helper.make_node("Mul", ["conv2", "gain"], ["scaled"], name="scaled"),
        helper.make_node("Sub", ["scaled", "offset"], ["conv"], name="shifted"),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("ReduceMean", ["relu"], ["mean_hw"], name="mean_hw", axes=[2, 3], keepdims=0),
        helper.make_node("GlobalMaxPool", ["relu"], ["gmp"], name="gmp"),
        helper.make_node("Squeeze", ["gmp", "squeeze.axes"], ["gmp_flat"], name="gmp_flat"),
        helper.make_node("Add", ["mean_hw", "gmp_flat"], ["both"], name="both"),
        helper.make_node("Constant", [], ["fc.b"], name="fc.b", value=numpy_helper.from_array(f(3), "fc.b")),
        helper.make_node("Gemm", ["both", "fc.w", "fc.b"], ["logits"], name="logits", transB=1),
    ]
    graph = helper.make_graph(nodes, "tiny-torchlike", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 8, 8])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="cnn-inte fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tiny_opset(opset):
    """One graph written in the forms of opset `opset` (9, 11, 13, 18, 21): Clip, Pad and
    Dropout take attributes before 11/12 and inputs after; Squeeze's axes become an input
    at 13 and ReduceMean's at 18; Softmax's default axis changes at 13. On [N, 3, 8, 8]:
    input normalisation (Sub, Div), Pad + Conv, BatchNormalization, Clip, Pad +
    AveragePool, MaxPool (ceil_mode from 10), ReduceMean (keepdims) + 1x1 Conv + Squeeze,
    GlobalMaxPool + Flatten + Gemm, Add, Dropout, Softmax."""
    rng = np.random.default_rng(100 + opset)
    f = lambda *shape: rng.standard_normal(shape).astype(np.float32) * 0.5  # noqa: E731
    inits, nodes = [], []

    def const(name, array, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def node(op, inputs, output, **attributes):
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    def pad(x, pads, output):
        if opset < 11:
            return node("Pad", [x], output, pads=pads, mode="constant", value=0.0)
        return node("Pad", [x, const(output + ".pads", pads, np.int64)], output, mode="constant")

    x = node("Sub", ["image", const("mean", np.array([0.5, 0.4, 0.3]).reshape(1, 3, 1, 1))], "centred")
    x = node("Div", [x, const("std", np.array([0.25, 0.2, 0.3]).reshape(1, 3, 1, 1))], "normalised")
    x = pad(x, [0, 0, 1, 1, 0, 0, 1, 1], "padded")
    x = node("Conv", [x, const("conv.w", f(4, 3, 3, 3)), const("conv.b", f(4))], "conv", kernel_shape=[3, 3])
    x = node("BatchNormalization", [x, const("bn.s", 1 + f(4) * 0.2), const("bn.b", f(4)), const("bn.m", f(4)),
                                    const("bn.v", 0.5 + np.abs(f(4)))], "bn", epsilon=1e-3)
    if opset < 11:
        x = node("Clip", [x], "clip", min=0.0, max=6.0)
    else:
        x = node("Clip", [x, const("lo", 0.0), const("hi", 6.0)], "clip")
    x = pad(x, [0, 0, 0, 0, 0, 0, 1, 1], "padded2")
    x = node("AveragePool", [x], "avg", kernel_shape=[2, 2], strides=[2, 2])  # 9x9 -> 4x4
    ceil = {"ceil_mode": 1} if opset >= 10 else {}
    x = node("MaxPool", [x], "max", kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1], **ceil)
    if opset < 18:
        m = node("ReduceMean", [x], "mean_hw", axes=[2, 3], keepdims=1)
    else:
        m = node("ReduceMean", [x, const("rm.axes", [2, 3], np.int64)], "mean_hw", keepdims=1)
    m = node("Conv", [m, const("head.w", f(5, 4, 1, 1)), const("head.b", f(5))], "head")
    if opset < 13:
        m = node("Squeeze", [m], "head_flat", axes=[2, 3])
    else:
        m = node("Squeeze", [m, const("sq.axes", [2, 3], np.int64)], "head_flat")
    g = node("GlobalMaxPool", [x], "gmp")
    g = node("Flatten", [g], "gmp_flat", axis=1)
    g = node("Gemm", [g, const("fc.w", f(5, 4)), const("fc.b", f(5))], "fc", transB=1)
    x = node("Add", [m, g], "logits")
    x = node("Dropout", [x], "dropped", **({"ratio": 0.3} if opset < 12 else {}))
    node("Softmax", [x], "probabilities")
    graph = helper.make_graph(nodes, "tiny-opset%d" % opset, [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 8, 8])],
                              [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 5])], initializer=inits)
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="cnn-inte fixtures")
    model.ir_version = helper.find_min_ir_version_for(opsets)
    onnx.checker.check_model(model)
    return model


opset_models = {v: tiny_opset(v) for v in [9, 11, 13, 18, 21]}
for v, m in opset_models.items():
    onnx.save(m, os.path.join(HERE, "tiny-opset%d.onnx" % v))

resnet = tiny_resnet()
onnx.save(resnet, os.path.join(HERE, "tiny-resnet.onnx"))
torchlike = tiny_torchlike()
onnx.save(torchlike, os.path.join(HERE, "tiny-torchlike.onnx"))

# onnxruntime's outputs on fixed images of bytes (what cnn-inte feeds a network is
# byte / 255): pixel k of image n (k running over C, H, W in order) is (97 n + 7 k) % 256.
import json  # noqa: E402

import onnxruntime  # noqa: E402


def images(n, c, h, w):
    k = np.arange(c * h * w)
    return np.stack([((97 * i + 7 * k) % 256).reshape(c, h, w) for i in range(n)]).astype(np.float32) / 255


for name, m, shape, outputs in ([("tiny-cnn", model, (2, 1, 6, 6), ["logits"]),
                                 ("tiny-resnet", resnet, (3, 3, 8, 8), ["logits", "probabilities", "cat"]),
                                 ("tiny-torchlike", torchlike, (3, 3, 8, 8), ["logits", "both", "conv", "conv1", "conv2", "scaled"])]
                                + [("tiny-opset%d" % v, m, (3, 3, 8, 8), ["probabilities", "logits", "head_flat", "avg"]) for v, m in opset_models.items()]):
    probe = onnx.ModelProto()
    probe.CopyFrom(m)
    declared = {o.name for o in probe.graph.output}
    probe.graph.output.extend([helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs if o not in declared])
    session = onnxruntime.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    values = session.run(outputs, {"image": images(*shape)})
    with open(os.path.join(HERE, name + ".outputs.json"), "w") as f:
        json.dump({"onnxruntime": onnxruntime.__version__,
                   "input": "byte k of image n (C, H, W order) = (97 n + 7 k) % 256, fed as byte / 255",
                   "outputs": {o: [[round(float(x), 7) for x in row.reshape(-1)] for row in v] for o, v in zip(outputs, values)}},
                  f, indent=0)
        f.write("\n")
