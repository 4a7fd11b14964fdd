"""Makes the PyTorch-exported fixtures: small networks written the way PyTorch users write
them, exported with torch.onnx.export, and onnxruntime's outputs on them.

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.13.0+cpu --index-url https://download.pytorch.org/whl/cpu
    /tmp/torchenv/bin/pip install onnx==1.23.2 onnxruntime==1.32.0 numpy==2.4.6 onnxscript==0.7.2
    /tmp/torchenv/bin/python Tests/ONNXTests/Fixtures/make_torch_fixtures.py

torch-resnet.onnx (opset 13, the TorchScript exporter): normalisation inside forward
((x - mean) / std), conv + BatchNorm2d + ReLU, a residual block, a stride-2 block with a
1x1 projection shortcut, AdaptiveAvgPool2d(1), torch.flatten, Linear; on [N, 3, 16, 16].
torch-resnet-dynamo.onnx: the same network through the torch.export-based exporter
(PyTorch's default since 2.9; needs onnxscript 0.7.2), opset 18.
torch-mobile.onnx (opset 17): a depthwise-separable block with ReLU6, MaxPool2d with
ceil_mode, AvgPool2d with padding and count_include_pad=False, LeakyReLU, x.mean((2, 3)),
x.view(x.size(0), -1), Dropout, Linear, Softmax; on [N, 3, 16, 16].
torch-shuffle.onnx (opset 13): torchvision's channel_shuffle (view to [N, g, C/g, H, W],
transpose(1, 2), view back) between two convolutions, as ShuffleNet writes it.
All in eval mode, batch norms with random running statistics.
"""
import json
import os

import numpy as np
import onnxruntime
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(3)


def randomise_batch_norms(model):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


class TorchResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.block1 = Block(8, 8, 1)
        self.block2 = Block(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = (x - self.mean) / self.std
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class TorchMobile(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, 1, 1)
        self.depthwise = nn.Conv2d(8, 8, 3, 1, 1, groups=8, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.pointwise = nn.Conv2d(8, 12, 1)
        self.maxpool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.avgpool = nn.AvgPool2d(3, 1, padding=1, count_include_pad=False)
        self.leaky = nn.LeakyReLU(0.2)
        self.dropout = nn.Dropout(0.3)
        self.fc = nn.Linear(12, 6)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        x = nn.functional.relu6(self.bn(self.depthwise(x)))
        x = self.leaky(self.avgpool(self.maxpool(self.pointwise(x))))
        x = x.mean((2, 3))
        x = x.view(x.size(0), -1)
        return torch.softmax(self.fc(self.dropout(x)), dim=1)


def channel_shuffle(x, groups):
    """torchvision.models.shufflenetv2.channel_shuffle, as written there."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class TorchShuffle(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, 1, 1)
        self.depthwise = nn.Conv2d(12, 12, 3, 2, 1, groups=12)
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        x = channel_shuffle(torch.relu(self.conv(x)), 3)
        x = torch.relu(self.depthwise(x))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def images(n, c, h, w):
    """byte k of image n (C, H, W order) = (97 n + 7 k) % 256, fed as byte / 255."""
    k = np.arange(c * h * w)
    return np.stack([((97 * i + 7 * k) % 256).reshape(c, h, w) for i in range(n)]).astype(np.float32) / 255


resnet = TorchResNet()
for name, model, opset, output, dynamo in [("torch-resnet", resnet, 13, "logits", False), ("torch-resnet-dynamo", resnet, 18, "logits", True),
                                           ("torch-mobile", TorchMobile(), 17, "probabilities", False),
                                           ("torch-shuffle", TorchShuffle(), 13, "logits", False)]:
    if model is not resnet or not dynamo:
        randomise_batch_norms(model)
    model.eval()
    path = os.path.join(HERE, name + ".onnx")
    if dynamo:
        program = torch.onnx.export(model, (torch.zeros(2, 3, 16, 16),), opset_version=opset, dynamo=True, input_names=["image"],
                                    output_names=[output], dynamic_shapes=({0: torch.export.Dim("N")},))
        program.save(path)
    else:
        torch.onnx.export(model, (torch.zeros(1, 3, 16, 16),), path, opset_version=opset, dynamo=False,
                          input_names=["image"], output_names=[output], dynamic_axes={"image": {0: "N"}, output: {0: "N"}})
    x = images(3, 3, 16, 16)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (ours,) = session.run([output], {"image": x})
    with torch.no_grad():
        theirs = model(torch.from_numpy(x)).numpy()
    assert np.abs(ours - theirs).max() < 1e-5, "onnxruntime and PyTorch differ"
    with open(os.path.join(HERE, name + ".outputs.json"), "w") as f:
        json.dump({"onnxruntime": onnxruntime.__version__, "torch": torch.__version__,
                   "input": "byte k of image n (C, H, W order) = (97 n + 7 k) % 256, fed as byte / 255",
                   "outputs": {output: [[round(float(v), 7) for v in row.reshape(-1)] for row in ours]}}, f, indent=0)
        f.write("\n")
