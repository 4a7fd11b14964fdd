"""Whether cnn-inte loads each ONNX model and gives onnxruntime's outputs on the same
pixels: ten random RGB images written as PNGs into a class-folder dataset, read by
`cnn-inte features --model F --layer OUTPUT --split test` (pixels / 255, as a run reads
them without --mean/--std) and by onnxruntime from the same PNGs. Prints one markdown
row per model; the outputs match when they agree within 1e-4 of their largest magnitude.

    /tmp/torchenv/bin/python Tests/reference/zoo_check.py [--size 224] MODEL.onnx...

(The venv of export_zoo.py: onnx 1.23.2, onnxruntime 1.32.0, numpy 2.4.6, pillow 13.0.0.)
The cnn-inte binary is CNN_INTE or .build/release/cnn-inte.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CNN_INTE = os.environ.get("CNN_INTE", os.path.join(HERE, "..", "..", ".build", "release", "cnn-inte"))


def make_images(folder, size, classes=10):
    """One PNG per class in train/ and test/; returns the test images in cnn-inte's order."""
    rng = np.random.default_rng(11)
    test = []
    for split in ("train", "test"):
        for c in range(classes):
            os.makedirs(os.path.join(folder, split, str(c)), exist_ok=True)
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(os.path.join(folder, split, str(c), "0.png"))
            if split == "test":
                test.append(pixels)
    return np.stack(test)


def check(model, pixels, data, work):
    graph = onnx.load(model, load_external_data=False).graph
    output = graph.output[0].name
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    x = pixels.astype(np.float32).transpose(0, 3, 1, 2) / 255
    if session.get_inputs()[0].shape[-1] == 3:  # NHWC (tf2onnx)
        x = x.transpose(0, 2, 3, 1)
    expected = session.run(None, {session.get_inputs()[0].name: x})[0].reshape(len(x), -1)
    npy = os.path.join(work, os.path.basename(model) + ".npy")
    run = subprocess.run([CNN_INTE, "features", "--model", model, "--data", data, "--layer", output, "--split", "test",
                          "--npy", npy, "--quiet", "--output", os.path.join(work, "out")], capture_output=True, text=True)
    if run.returncode != 0:
        return "no", (run.stderr.strip().splitlines() or ["exit %d" % run.returncode])[-1][:160]
    ours = np.load(npy).reshape(len(x), -1)
    scale = max(float(np.abs(expected).max()), 1.0)
    worst = float(np.abs(ours - expected).max())
    return ("yes" if worst <= 1e-4 * scale else "NO"), "max difference %.1e of scale %.2g" % (worst, scale)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("models", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data = os.path.join(work, "data")
        pixels = make_images(data, args.size)
        print("| model | loads | matches onnxruntime | |")
        print("| --- | --- | --- | --- |")
        for model in args.models:
            matches, detail = check(model, pixels, data, work)
            loads = "no" if matches == "no" else "yes"
            print(f"| {os.path.basename(model)} | {loads} | {matches if loads == 'yes' else ''} | {detail} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
