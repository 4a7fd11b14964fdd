"""TensorFlow-CPU reference figures for `cnn-inte bench`, on the same networks, batch
sizes and optimizer, to be run in the same sitting as the bench (README, "Benchmarks").

    python3 -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python Tests/reference/tf_bench.py            # all figures, one JSON object
    /tmp/tf/bin/python Tests/reference/tf_bench.py --net resnet

Figures are medians, like the bench's: training images/s over 5 chunks of 20 batches of
50 after 10 warm-up batches (Keras train_on_batch, Adam, dropout where the net has it),
inference images/s of predict_on_batch on batches of 100 over 5 passes of 1,000 images.
Inputs are random: speed does not depend on the pixels. TF_ENABLE_ONEDNN_OPTS=0 in the
environment measures TensorFlow's Eigen kernels instead of its oneDNN ones.
"""
import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402


def deep_mnist(classes=10):
    """The paper's network, as cnn-inte's default: 3,274,634 parameters."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 5, padding="same", activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(1024, activation="relu"), layers.Dropout(0.5),
        layers.Dense(classes),
    ])


def resnet20(classes=10):
    """cnn-inte's built-in residual net on 28x28x1: a 3x3 stem of 16, then three stages of
    three basic blocks (16, 32, 64 channels; the first block of stages 2 and 3 strides by
    2, its shortcut a 1x1 strided convolution with batch norm), global average pooling."""
    def block(x, channels, stride):
        shortcut = x
        y = layers.Conv2D(channels, 3, strides=stride, padding="same", use_bias=False)(x)
        y = layers.BatchNormalization()(y)
        y = layers.ReLU()(y)
        y = layers.Conv2D(channels, 3, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization()(y)
        if stride != 1 or x.shape[-1] != channels:
            shortcut = layers.Conv2D(channels, 1, strides=stride, use_bias=False)(x)
            shortcut = layers.BatchNormalization()(shortcut)
        return layers.ReLU()(layers.Add()([y, shortcut]))

    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(16, 3, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(layers.BatchNormalization()(x))
    for channels, stride in [(16, 1), (32, 2), (64, 2)]:
        for b in range(3):
            x = block(x, channels, stride if b == 0 else 1)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(classes)(x))


def training_rate(model, batch=50, chunks=5, per_chunk=20):
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(1)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    for _ in range(10):
        model.train_on_batch(x, y)
    rates = []
    for _ in range(chunks):
        start = time.perf_counter()
        for _ in range(per_chunk):
            model.train_on_batch(x, y)
        rates.append(per_chunk * batch / (time.perf_counter() - start))
    return rates


def inference_rate(model, batch=100, images=1000, runs=5):
    rng = np.random.default_rng(2)
    x = rng.random((images, 28, 28, 1), dtype=np.float32)
    for i in range(0, images, batch):
        model.predict_on_batch(x[i:i + batch])
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for i in range(0, images, batch):
            model.predict_on_batch(x[i:i + batch])
        rates.append(images / (time.perf_counter() - start))
    return rates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--net", choices=["deep-mnist", "resnet", "all"], default="all")
    args = parser.parse_args()
    out = {"tensorflow": tf.__version__, "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")}
    if args.net in ("deep-mnist", "all"):
        rates = training_rate(deep_mnist())
        out["train_images_per_s"] = round(statistics.median(rates), 1)
        out["train_images_per_s_runs"] = [round(r, 1) for r in rates]
        rates = inference_rate(deep_mnist())
        out["infer_images_per_s"] = round(statistics.median(rates), 1)
        out["infer_images_per_s_runs"] = [round(r, 1) for r in rates]
    if args.net in ("resnet", "all"):
        model = resnet20()
        out["resnet_parameters"] = model.count_params()
        rates = training_rate(model)
        out["train_images_per_s_resnet"] = round(statistics.median(rates), 1)
        out["train_images_per_s_resnet_runs"] = [round(r, 1) for r in rates]
        rates = inference_rate(resnet20())
        out["infer_images_per_s_resnet"] = round(statistics.median(rates), 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
