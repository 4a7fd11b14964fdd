"""onnxruntime's outputs of fixtures whose input is prepared as cnn-inte's --input-scale,
--mean, --std and --bgr prepare it: the oracle of PreprocessingTests.

    python3 -m venv /tmp/ort && /tmp/ort/bin/pip install onnxruntime==1.32.0 numpy==2.4.6
    /tmp/ort/bin/python Tests/ONNXTests/Fixtures/make_preprocessing_fixtures.py

For each setting: byte k of image n in (C, H, W) order is (97 n + 7 k) % 256 (RGB as
stored); the model's channel c is (scale * byte[source c] - mean[c]) / std[c], with the
stored channels reversed for bgr.
"""
import json
import os

import numpy as np
import onnxruntime

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = [
    {"name": "imagenet", "scale": 1 / 255, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "bgr": False},
    {"name": "caffe-bgr", "scale": 1.0, "mean": [103.94, 116.78, 123.68], "std": [58.4, 57.1, 57.4], "bgr": True},
    {"name": "minus-one-to-one", "scale": 1 / 127.5, "mean": [1.0], "std": [1.0], "bgr": False},
]


def prepared(n, c, h, w, setting):
    k = np.arange(c * h * w)
    data = np.stack([((97 * i + 7 * k) % 256).reshape(c, h, w) for i in range(n)]).astype(np.float64)
    if setting["bgr"]:
        data = data[:, ::-1]
    mean = np.broadcast_to(np.array(setting["mean"]), (c,)).reshape(1, c, 1, 1)
    std = np.broadcast_to(np.array(setting["std"]), (c,)).reshape(1, c, 1, 1)
    return ((data * setting["scale"] - mean) / std).astype(np.float32)


out = {"onnxruntime": onnxruntime.__version__, "settings": {}}
for model in ["torch-mobile", "torch-resnet-dynamo", "keras-colour"]:
    session = onnxruntime.InferenceSession(os.path.join(HERE, model + ".onnx"), providers=["CPUExecutionProvider"])
    declared = session.get_inputs()[0]
    nhwc = declared.shape[-1] == 3
    h, w = (declared.shape[1], declared.shape[2]) if nhwc else (declared.shape[2], declared.shape[3])
    for setting in SETTINGS:
        x = prepared(3, 3, h, w, setting)
        if nhwc:
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        (y,) = session.run(None, {declared.name: x})
        out["settings"][f"{model}/{setting['name']}"] = {
            "model": model + ".onnx", **{k: setting[k] for k in ["scale", "mean", "std", "bgr"]},
            "outputs": [[round(float(v), 7) for v in row.reshape(-1)] for row in y]}
with open(os.path.join(HERE, "preprocessing.outputs.json"), "w") as f:
    json.dump(out, f, indent=0)
    f.write("\n")
