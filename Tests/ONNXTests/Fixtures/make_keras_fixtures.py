"""Makes ONNX files the way Keras users get them: small Keras models exported with tf2onnx
(NHWC inputs, a Transpose or Reshape to NCHW, the shape computations tf2onnx writes for
Flatten, MatMul + Add for Dense), and onnxruntime's outputs on the fixtures' images.

    python3 -m venv /tmp/kx && /tmp/kx/bin/pip install tensorflow-cpu==2.21.0 tf2onnx==1.17.0 \\
        onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6
    /tmp/kx/bin/python Tests/ONNXTests/Fixtures/make_keras_fixtures.py

keras-grey.onnx: [N, 8, 8, 1] -> Conv2D(3, 3x3, same, relu) -> MaxPooling2D(2) -> Flatten
-> Dense(5, relu) -> Dense(4). keras-colour.onnx: the same on [N, 8, 8, 3]. Weights and
biases drawn from a fixed seed (biases not zero, so tf2onnx keeps their Adds).

keras-applications.onnx: the patterns tf2onnx writes for Keras' applications, on [N, 16,
16, 3] (weights from a fixed seed, batch-norm statistics not the identity): Rescaling
before the Transpose to NCHW (MobileNetV3, EfficientNet), a depthwise convolution's batch
norm left as Mul and Add (MobileNetV2), ZeroPadding2D before MaxPooling2D after a ReLU
(ResNet50), a squeeze-and-excitation gate pooled with
GlobalAveragePooling2D(keepdims=True), ZeroPadding2D then Cropping2D (NASNet), and a
1x1 Conv2D classifier on pooled features reshaped to [N, 1, 1, C] (MobileNet).

keras-mobilenetv3.onnx: keras.applications' own MobileNetV3Small (width 0.25, 32x32, no
top, average-pooled features, its Rescaling inside), which tf2onnx leaves largely channels
last: batch-norm arithmetic, hard-swish, ZeroPadding2D and the squeeze-and-excitation
pooling and gate between Transposes.
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


def applications_like():
    """MobileNetV3's, NASNet's and MobileNet's layers as keras.applications writes them."""
    def hard_sigmoid(x):
        return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)

    def hard_swish(x):
        return layers.Activation("hard_swish")(x)

    image = keras.Input((16, 16, 3))
    x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(image)
    x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = hard_swish(x)
    x = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(x)
    x = layers.DepthwiseConv2D(3, strides=2, padding="valid", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.ZeroPadding2D(padding=1)(x)
    x = layers.MaxPooling2D(3, strides=1)(x)
    gate = layers.GlobalAveragePooling2D(keepdims=True)(x)
    gate = layers.Conv2D(4, 1, activation="relu")(gate)
    gate = hard_sigmoid(layers.Conv2D(8, 1)(gate))
    x = layers.Multiply()([x, gate])
    x = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(x)
    x = layers.Cropping2D(cropping=((1, 0), (1, 0)))(x)
    x = layers.Conv2D(12, 1, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = hard_swish(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Reshape((1, 1, 12))(x)
    x = layers.Conv2D(5, 1)(x)
    x = layers.Flatten()(x)
    return keras.Model(image, x)


def randomise(model, rng):
    """Weights from `rng`; batch-norm variances positive."""
    weights = []
    for w in model.weights:
        values = rng.standard_normal(tuple(w.shape)).astype(np.float32) * 0.5
        weights.append(np.abs(values) + 0.5 if "variance" in w.name else values)
    model.set_weights(weights)


def export(model, path, side, channels, opset):
    spec = (tf.TensorSpec((None, side, side, channels), tf.float32, name="image"),)

    @tf.function(input_signature=spec)
    def forward(image):
        return model(image, training=False)

    tf2onnx.convert.from_function(forward, input_signature=spec, opset=opset, output_path=path)


def record(name, model, path, nhwc, scale):
    """onnxruntime's outputs on `nhwc` * `scale`, checked against Keras' own."""
    keras_logits = model.predict(nhwc * scale, verbose=0)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    ort_logits = session.run(None, {"image": nhwc * scale})[0]
    assert np.abs(keras_logits - ort_logits).max() < 1e-4
    fed = "byte / 255" if scale == 1 else "the byte itself (0-255)"
    with open(os.path.join(HERE, name + ".outputs.json"), "w") as f:
        json.dump({"onnxruntime": onnxruntime.__version__, "tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__,
                   "input": f"byte k of image n (C, H, W order) = (97 n + 7 k) % 256, fed as {fed}, NHWC",
                   "outputs": {"logits": [[round(float(x), 7) for x in row] for row in ort_logits]}}, f, indent=0)
        f.write("\n")


keras.utils.set_random_seed(5)
model = applications_like()
randomise(model, np.random.default_rng(9))
path = os.path.join(HERE, "keras-applications.onnx")
export(model, path, 16, 3, opset=15)
# The model rescales [0, 255] itself, as keras.applications' MobileNetV3 does.
record("keras-applications", model, path, images(3, 3, 16, 16).transpose(0, 2, 3, 1), 255)

keras.utils.set_random_seed(5)
model = keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), alpha=0.25, weights=None, include_top=False,
                                            pooling="avg", include_preprocessing=True)
randomise(model, np.random.default_rng(10))
path = os.path.join(HERE, "keras-mobilenetv3.onnx")
export(model, path, 32, 3, opset=15)
record("keras-mobilenetv3", model, path, images(3, 3, 32, 32).transpose(0, 2, 3, 1), 255)

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
