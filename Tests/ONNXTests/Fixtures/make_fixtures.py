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
onnx.save(tiny_cnn(), os.path.join(HERE, "tiny-cnn-external.onnx"), save_as_external_data=True,
          all_tensors_to_one_file=True, location="tiny-cnn-external.weights", size_threshold=0)

# onnxruntime's logits on a fixed input, for the tests that run the imported graph:
# image[n, 0, y, x] = (36 n + 6 y + x) / 72.
import json  # noqa: E402

import onnxruntime  # noqa: E402

image = (np.arange(72, dtype=np.float32) / 72).reshape(2, 1, 6, 6)
session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
logits = session.run(["logits"], {"image": image})[0]
with open(os.path.join(HERE, "tiny-cnn.logits.json"), "w") as f:
    json.dump({"onnxruntime": onnxruntime.__version__, "input": "image[n,0,y,x] = (36n + 6y + x) / 72",
               "logits": [[round(float(v), 7) for v in row] for row in logits]}, f, indent=1)
    f.write("\n")
