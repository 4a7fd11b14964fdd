"""onnxruntime's inference figure for an ONNX model, to put beside
`cnn-inte bench --json --only infer --model FILE.onnx` in the same sitting (README,
"Explain your own model"): images/s over 5 passes of 1,000 random images in batches of
100, median, on 2 threads (intra-op), after one warm-up pass.

    python3 -m venv /tmp/ort && /tmp/ort/bin/pip install onnxruntime==1.32.0 numpy
    /tmp/ort/bin/python Tests/reference/ort_bench.py model.onnx [--threads 2]
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--images", type=int, default=1000, help="random images per pass, in batches of 100")
args = parser.parse_args()

options = onnxruntime.SessionOptions()
options.intra_op_num_threads = args.threads
options.inter_op_num_threads = 1
session = onnxruntime.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
declared = session.get_inputs()[0]
shape = [100] + [int(d) for d in declared.shape[1:]]
images = np.random.default_rng(1).random((args.images, *shape[1:]), dtype=np.float32)


def one_pass():
    start = time.perf_counter()
    for i in range(0, args.images, 100):
        session.run(None, {declared.name: images[i:i + 100]})
    return args.images / (time.perf_counter() - start)


one_pass()
rates = [one_pass() for _ in range(args.runs)]
print(json.dumps({"onnxruntime": onnxruntime.__version__, "model": args.model, "threads": args.threads,
                  "infer_images_per_s": round(statistics.median(rates), 1), "infer_images_per_s_runs": [round(r, 1) for r in rates]}))
