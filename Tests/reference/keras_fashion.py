"""The Keras import figures of docs/YOUR-MODEL.md ("From Keras"): a Keras Deep MNIST
(conv 5x5x32, pool, conv 5x5x64, pool, dense 1024 `fc1`, dropout 0.5, dense 10) trained
for 3 epochs on Debian's Fashion-MNIST, exported with tf2onnx's `from_function`, then
  1. the imported graph's logits in cnn-inte (`features --layer` of the logits) beside
     Keras' own on all 10,000 test images: largest difference, and how many predictions
     agree;
  2. `cnn-inte run --model` on it, explaining fc1: the CNN's accuracy and CNN-INTE's fidelity.

    apt-get install dataset-fashion-mnist
    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 onnx==1.23.2 onnxruntime==1.32.0
    /tmp/tfenv/bin/python Tests/reference/keras_fashion.py [WORK_DIR]

Seeds are fixed (Keras' and NumPy's 0), but TensorFlow's training is not bit-for-bit
repeatable across machines: the accuracy varies in its second decimal.
"""
import gzip
import json
import os
import subprocess
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CNN_INTE = os.environ.get("CNN_INTE", os.path.join(HERE, "..", "..", ".build", "release", "cnn-inte"))
DATA = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(os.path.join(DATA, name + ".gz")) as f:
        raw = f.read()
    if raw[2] == 8 and raw[3] == 3:
        n, h, w = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(3))
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, h, w, 1)
    return np.frombuffer(raw, np.uint8, offset=8)


def main(work):
    os.makedirs(work, exist_ok=True)
    keras.utils.set_random_seed(0)
    train_x, train_y = idx("train-images-idx3-ubyte").astype(np.float32) / 255, idx("train-labels-idx1-ubyte")
    test_x, test_y = idx("t10k-images-idx3-ubyte").astype(np.float32) / 255, idx("t10k-labels-idx1-ubyte")
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(1024, activation="relu", name="fc1"), layers.Dropout(0.5),
        layers.Dense(10, name="logits"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(train_x, train_y, batch_size=50, epochs=3, verbose=0)
    sys.stderr.write(f"trained: training accuracy {history.history['accuracy'][-1]:.4f}\n")
    logits = model.predict(test_x, batch_size=500, verbose=0)
    accuracy = float((logits.argmax(1) == test_y).mean())

    spec = (tf.TensorSpec((None, 28, 28, 1), tf.float32, name="image"),)

    @tf.function(input_signature=spec)
    def forward(image):
        return model(image, training=False)

    onnx_path = os.path.join(work, "keras-fashion.onnx")
    tf2onnx.convert.from_function(forward, input_signature=spec, opset=13, output_path=onnx_path)

    # The value names tf2onnx gave the two layers: from cnn-inte's own listing.
    listing = json.loads(subprocess.run([CNN_INTE, "inspect", onnx_path, "--json"], check=True, capture_output=True, text=True).stdout)
    made = [m["value"] for m in listing["made"]]
    fc1 = next(n for n in made if "fc1" in n and n.endswith("Relu:0"))
    output = listing["outputs"][0]["name"]
    npy = os.path.join(work, "logits.npy")
    subprocess.run([CNN_INTE, "features", "--model", onnx_path, "--data", DATA, "--layer", output, "--split", "test",
                    "--npy", npy, "--quiet"], check=True, capture_output=True)
    ours = np.load(npy)
    run = subprocess.run([CNN_INTE, "run", "--model", onnx_path, "--data", DATA, "--layer", fc1,
                          "--output", os.path.join(work, "run"), "--quiet"], check=True, capture_output=True, text=True).stdout
    with open(os.path.join(work, "run", "interpretation", "results.json")) as f:
        results = json.load(f)
    print(f"| Keras test accuracy (3 epochs) | {100 * accuracy:.2f}% |")
    print(f"| predictions equal to Keras' | {int((ours.argmax(1) == logits.argmax(1)).sum())} of {len(test_y)} |")
    print(f"| largest logit difference | {np.abs(ours - logits).max():.1e} |")
    print(f"| layer explained | `{fc1}` |")
    print(f"| CNN test accuracy in cnn-inte | {100 * results['cnn_test_accuracy']:.2f}% |")
    print(f"| CNN-INTE fidelity | {100 * results['fidelity']:.2f}% |")
    sys.stderr.write(run)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cnn-inte-keras-fashion")
