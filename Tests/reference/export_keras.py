"""Exports Keras applications the way Keras users get ONNX today, through tf2onnx's two
routes (NHWC input, opset 15): `function`, the Keras model wrapped in a `tf.function` and
given to `tf2onnx.convert.from_function`; `savedmodel`, Keras 3's `model.export(DIR)` then
`python -m tf2onnx.convert --saved-model DIR` (the route tf2onnx documents, and the only
one that writes EfficientNet's Normalization layer). Random weights with randomised
batch-norm statistics, 10 classes, the application's own
preprocessing layers kept (EfficientNet, MobileNetV3 and ConvNeXt rescale inside
the model). Beside each file: onnxruntime's logits on fixed images and how far they are
from Keras' own (Tests/reference/zoo_check.py then compares cnn-inte with onnxruntime).

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2 \
        onnxruntime==1.32.0 numpy==2.4.6 pillow==13.0.0
    /tmp/tfenv/bin/python Tests/reference/export_keras.py OUT [--size 96] [--models ResNet50 ...] [--routes function savedmodel]

Writes OUT/keras_<model>.<route>.onnx, OUT/keras_<model>.<route>.json (onnxruntime's logits
of 4 images uniform in [0, 1) from numpy seed 7, NHWC, as the model takes them; Keras'
applications that rescale inside expect pixels in [0, 255], which the preprocessing in the
README's worked example gives) and OUT/export.json (what exported and what did not).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

APPLICATIONS = [
    "ResNet50", "ResNet50V2", "VGG16", "DenseNet121", "MobileNet", "MobileNetV2", "MobileNetV3Small",
    "MobileNetV3Large", "Xception", "InceptionV3", "InceptionResNetV2", "NASNetMobile", "EfficientNetB0",
    "EfficientNetV2B0", "ConvNeXtTiny",
]


def randomise(model, seed=5):
    """Batch norms whose moving statistics are not the identity, so folding them counts."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            weights = []
            for w in layer.weights:
                shape = tuple(w.shape)
                if "moving_mean" in w.name:
                    weights.append(rng.random(shape, dtype=np.float32) - 0.5)
                elif "moving_variance" in w.name:
                    weights.append(rng.random(shape, dtype=np.float32) + 0.5)
                elif "gamma" in w.name:
                    weights.append(rng.random(shape, dtype=np.float32) + 0.5)
                else:  # beta
                    weights.append(rng.random(shape, dtype=np.float32) - 0.5)
            layer.set_weights(weights)


def build(name, size):
    constructor = getattr(tf.keras.applications, name)
    tf.keras.utils.set_random_seed(0)
    return constructor(weights=None, classes=10, input_shape=(size, size, 3), classifier_activation=None)


def export(model, size, path, route):
    if route == "savedmodel":
        with tempfile.TemporaryDirectory() as folder:
            model.export(os.path.join(folder, "model"), verbose=False)
            run = subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--saved-model", os.path.join(folder, "model"),
                                  "--output", path, "--opset", "15"], capture_output=True, text=True)
            if run.returncode != 0:
                raise RuntimeError("tf2onnx: " + (run.stderr.strip().splitlines() or ["exit %d" % run.returncode])[-1])
        return
    spec = (tf.TensorSpec((None, size, size, 3), tf.float32, name="image"),)

    @tf.function(input_signature=spec)
    def forward(image):
        return model(image, training=False)

    tf2onnx.convert.from_function(forward, input_signature=spec, opset=15, output_path=path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--models", nargs="+", default=APPLICATIONS)
    parser.add_argument("--routes", nargs="+", default=["function", "savedmodel"], choices=["function", "savedmodel"])
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    images = np.random.default_rng(7).random((4, args.size, args.size, 3), dtype=np.float32)
    report_path = os.path.join(args.out, "export.json")
    report = json.load(open(report_path)) if os.path.exists(report_path) else {}
    for name in args.models:
        try:
            model = build(name, args.size)
            randomise(model)
            expected = model(images, training=False).numpy()
        except Exception as e:  # noqa: BLE001 - an application that does not build at this size is a finding
            for route in args.routes:
                report[f"keras_{name}.{route}"] = {"exported": False, "error": "Keras: " + str(e).strip().splitlines()[0][:300]}
            continue
        for route in args.routes:
            key = f"keras_{name}.{route}"
            stem = os.path.join(args.out, key)
            try:
                export(model, args.size, stem + ".onnx", route)
                session = onnxruntime.InferenceSession(stem + ".onnx", providers=["CPUExecutionProvider"])
                logits = session.run(None, {session.get_inputs()[0].name: images})[0]
                error = float(np.abs(logits - expected).max())
                json.dump({"model": name, "exporter": f"tf2onnx {tf2onnx.__version__} ({route})", "size": args.size,
                           "tensorflow": tf.__version__, "images": "uniform [0, 1), numpy seed 7, NHWC",
                           "logits": logits.tolist(), "onnxruntime_vs_keras": error}, open(stem + ".json", "w"))
                report[key] = {"exported": True, "onnxruntime_vs_keras": error}
                print(f"{key}: exported; onnxruntime within {error:.1e} of Keras", flush=True)
            except Exception as e:  # noqa: BLE001 - a model that does not convert is a finding
                first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
                report[key] = {"exported": False, "error": first}
                print(f"{key}: not exported: {first}", flush=True)
                traceback.print_exc(limit=1)
                if os.path.exists(stem + ".onnx"):  # a file onnxruntime cannot run is no export
                    os.remove(stem + ".onnx")
            json.dump(report, open(report_path, "w"), indent=1, sort_keys=True)

if __name__ == "__main__":
    main()
