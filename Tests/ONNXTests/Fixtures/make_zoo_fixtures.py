"""Makes small versions of the model zoo's architectures, exported by both PyTorch
exporters, with onnxruntime's outputs on them: the real torchvision model code at reduced
widths and 32x32 inputs, so the fixtures stay small.

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.15.0 torchvision==0.29.2 timm==1.0.31 \\
        onnx==1.23.2 onnxscript==0.7.2 onnxruntime==1.32.0 numpy==2.4.6
    /tmp/torchenv/bin/python Tests/ONNXTests/Fixtures/make_zoo_fixtures.py

zoo-<model>.legacy.onnx: the TorchScript exporter (`dynamo=False`, opset 17), which
shares equal initializers through Identity nodes: the batch norms keep PyTorch's initial
statistics (all ones and zeros) so it does. zoo-<model>.dynamo.onnx: the torch.export-based
exporter (PyTorch's default since 2.9), opset 18. Models, 5 classes, eval mode: torchvision's
DenseNet (growth 4, blocks (2, 2), 8 initial features; its first layer concatenates one
tensor), MobileNetV2 (width 0.25), MobileNetV3-Small (width 0.25: HardSwish, HardSigmoid,
squeeze-and-excitation), EfficientNet-B0 (width and depth 0.25: SiLU, sigmoid gates),
ShuffleNetV2 (stages of 1 block, 8-128 channels: chunk along channels, channel shuffle),
RegNetY (depth 3, width 8: grouped convolutions, squeeze-and-excitation) and ConvNeXt (two
stages of 8 and 16 channels: LayerNorm, Linear and GELU on channels-last maps; through
torch.export, its pooled features as an as_strided Gather over indices computed from the
batch size), and timm's ECA module on a small stem (a 1-D convolution across pooled
channels, the gate Expanded to the map) and ResNeSt's split attention (radix 2 in 2 groups,
then radix 3: Reshape to 5 axes, ReduceSum across the splits, a softmax across them after a
Transpose); and AlexNet's AdaptiveAvgPool2d((6, 6)) after a
2x2 map (torch.export only: a Transpose, GatherND, Transpose and ReduceMean, as AlexNet
below 224 px is written), and pooling of a 3x3 map to 7x5, then to 3x4 (windows of unequal
sizes, as VGG below 224 px: Where, Gather, Add and Div after the GatherND; windows that
overlap: a ReduceMean).

    /tmp/torchenv/bin/python Tests/ONNXTests/Fixtures/make_zoo_fixtures.py [NAME ...]

makes only the models named, when some are.
"""
import sys
import json
import os

import numpy as np
import onnxruntime
import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))

def efficientnet():
    from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
    setting, last = _efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.25)
    return EfficientNet(setting, 0.2, last_channel=last, num_classes=5)


def regnet():
    from torchvision.models.regnet import BlockParams, RegNet
    return RegNet(BlockParams.from_init_params(depth=3, w_0=8, w_a=8.0, w_m=2.0, group_width=8, se_ratio=0.25), num_classes=5)


def convnext():
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    return ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 1)], num_classes=5)


def eca():
    """A stem and timm's own ECA module (a 1-D convolution across pooled channels,
    Expand of the gate) before the head, as in timm's ECA-ResNets."""
    from timm.layers import EcaModule
    return torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3, stride=2, padding=1), torch.nn.BatchNorm2d(16), torch.nn.ReLU(),
                               EcaModule(16, kernel_size=5), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(16, 5))


def adaptive():
    """A map brought to 2x2 before AlexNet's AdaptiveAvgPool2d((6, 6)): each output cell's
    window one input pixel."""
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(8, 8, 3, stride=2, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.AdaptiveAvgPool2d((6, 6)), torch.nn.Flatten(), torch.nn.Linear(8 * 36, 5))


def adaptive_unequal():
    """A map brought to 3x3, then VGG's kind of AdaptiveAvgPool2d to a larger map whose
    windows differ in size (3 to 7 rows, 3 to 5 columns: windows of 1 and 2 pixels, the
    padding masked by Where), then to a smaller one whose windows overlap (7 to 3 rows, 5 to
    4 columns: every window 3x2, one ReduceMean)."""
    return torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(8, 16, 3, stride=2), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d((7, 5)),
                               torch.nn.Conv2d(16, 8, 1), torch.nn.AdaptiveAvgPool2d((3, 4)), torch.nn.Flatten(),
                               torch.nn.Linear(8 * 12, 5))


def resnest():
    """timm's own split attention (ResNeSt's SplitAttn, with batch norms), twice: 2 splits in
    2 groups (cardinality 2: the softmax's transpose reorders channels, the attention's first
    layer is a grouped 1x1 convolution), then 3 splits in one group."""
    from timm.layers import SplitAttn
    return torch.nn.Sequential(torch.nn.Conv2d(3, 24, 3, stride=2, padding=1), torch.nn.BatchNorm2d(24), torch.nn.ReLU(),
                               SplitAttn(24, 24, groups=2, radix=2, norm_layer=torch.nn.BatchNorm2d),
                               SplitAttn(24, 24, stride=2, radix=3, norm_layer=torch.nn.BatchNorm2d),
                               torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(24, 5))


MODELS = {
    "densenet": lambda: torchvision.models.DenseNet(growth_rate=4, block_config=(2, 2), num_init_features=8, bn_size=2,
                                                    num_classes=5),
    "mobilenet": lambda: torchvision.models.mobilenet_v2(width_mult=0.25, num_classes=5),
    "mobilenetv3": lambda: torchvision.models.mobilenet_v3_small(width_mult=0.25, num_classes=5),
    "efficientnet": efficientnet,
    "shufflenet": lambda: torchvision.models.ShuffleNetV2([1, 1, 1], [8, 16, 32, 64, 128], num_classes=5),
    "regnety": regnet,
    "convnext": convnext,
    "eca": eca,
    "adaptive": adaptive,
    "adaptive-unequal": adaptive_unequal,
    "resnest": resnest,
}
EXPORTERS = {"adaptive": ("dynamo",), "adaptive-unequal": ("dynamo",)}


def images(n, c, h, w):
    """byte k of image n (C, H, W order) = (97 n + 7 k) % 256, fed as byte / 255."""
    k = np.arange(c * h * w)
    return np.stack([((97 * i + 7 * k) % 256).reshape(c, h, w) for i in range(n)]).astype(np.float32) / 255


for name, make in MODELS.items():
    if len(sys.argv) > 1 and name not in sys.argv[1:]:
        continue
    torch.manual_seed(3)
    model = make().eval()
    x = images(3, 3, 32, 32)
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    for exporter in EXPORTERS.get(name, ("legacy", "dynamo")):
        path = os.path.join(HERE, f"zoo-{name}.{exporter}.onnx")
        if exporter == "dynamo":
            program = torch.onnx.export(model, (torch.zeros(2, 3, 32, 32),), dynamo=True, input_names=["image"],
                                        output_names=["logits"], dynamic_shapes=({0: torch.export.Dim("N")},))
            program.save(path)
        else:
            torch.onnx.export(model, (torch.zeros(1, 3, 32, 32),), path, opset_version=17, dynamo=False,
                              input_names=["image"], output_names=["logits"], dynamic_axes={"image": {0: "N"}, "logits": {0: "N"}})
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        (ours,) = session.run(["logits"], {"image": x})
        assert np.abs(ours - theirs).max() < 1e-5, "onnxruntime and PyTorch differ"
        with open(path.replace(".onnx", ".outputs.json"), "w") as f:
            json.dump({"onnxruntime": onnxruntime.__version__, "torch": torch.__version__,
                       "input": "byte k of image n (C, H, W order) = (97 n + 7 k) % 256, fed as byte / 255",
                       "outputs": {"logits": [[round(float(v), 7) for v in row.reshape(-1)] for row in ours]}}, f, indent=0)
            f.write("\n")
