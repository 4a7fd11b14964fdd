"""Makes ONNX files the way Keras users get them: small Keras models exported with tf2onnx
(NHWC inputs, a Transpose or Reshape to NCHW, the shape computations tf2onnx writes for
Flatten, MatMul + Add for Dense), and onnxruntime's outputs on the fixtures' images.

    python3 -m venv /tmp/kx && /tmp/kx/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 \\
        onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6
    /tmp/kx/bin/python Tests/ONNXTests/Fixtures/make_keras_fixtures.py

keras-grey.onnx: [N, 8, 8, 1] -> Conv2D(3, 3x3, same, relu) -> MaxPooling2D(2) -> Flatten
-> Dense(5, relu) -> Dense(4). keras-colour.onnx: the same on [N, 8, 8, 3]. Weights and
biases drawn from a fixed seed (biases not zero, so tf2onnx keeps their Adds).
"""
import json
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np  # noqa: E402
import onnxruntime  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def images(n, c, h, w):
    """As make_fixtures.py: byte k of image n in (C, H, W) order is (97 n + 7 k) % 256, / 255."""
    k = np.arange(c * h * w)
    return np.stack([((97 * i + 7 * k) % 256).reshape(c, h, w) for i in range(n)]).astype(np.float32) / 255


for name, channels in [("keras-grey", 1), ("keras-colour", 3)]:
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((8, 8, channels)), layers.Conv2D(3, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(5, activation="relu"), layers.Dense(4)])
    rng = np.random.default_rng(channels)
    model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.5 for w in model.get_weights()])
    spec = (tf.TensorSpec((None, 8, 8, channels), tf.float32, name="image"),)

    @tf.function(input_signature=spec)
    def forward(image):
        return model(image, training=False)

    path = os.path.join(HERE, name + ".onnx")
    tf2onnx.convert.from_function(forward, input_signature=spec, opset=13, output_path=path)
    nchw = images(3, channels, 8, 8)
    nhwc = nchw.transpose(0, 2, 3, 1)
    keras_logits = model.predict(nhwc, verbose=0)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    ort_logits = session.run(None, {"image": nhwc})[0]
    assert np.abs(keras_logits - ort_logits).max() < 1e-4
    with open(os.path.join(HERE, name + ".outputs.json"), "w") as f:
        json.dump({"onnxruntime": onnxruntime.__version__, "tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__,
                   "input": "byte k of image n (C, H, W order) = (97 n + 7 k) % 256, fed as byte / 255, NHWC",
                   "outputs": {"logits": [[round(float(x), 7) for x in row] for row in ort_logits]}}, f, indent=0)
        f.write("\n")
