"""Trains a torchvision CNN the way a PyTorch user does on an image folder that cnn-inte
can read, and exports it with today's exporter: the model behind the README's "explain
your own model" example and the import-speed figures (issue 26).

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.15.0 torchvision==0.29.2 onnx==1.23.2 \
        onnxscript==0.7.2 onnxruntime==1.32.0 numpy==2.4.6 pillow==13.0.0
    cnn-inte data make-colour --to colour
    /tmp/torchenv/bin/python Tests/reference/train_torchvision.py colour resnet18.onnx

Defaults: torchvision's resnet18(weights=None, num_classes=10), Resize(64) + ToTensor() +
ImageNet's Normalize, Adam 1e-3, batch 64, 2 epochs, seed 0, 2 threads; exported with
torch.onnx.export's default (torch.export-based, opset 18, weights in a .onnx.data side
file) and a dynamic batch axis. Prints the test accuracy and the time taken, and checks
onnxruntime against PyTorch on the first test batch. Then explain it with

    cnn-inte run --data colour --model resnet18.onnx --resize 64x64 \
        --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 --layer layer4

(`--layer` takes a PyTorch module's name, as the README's worked example does, or a value's.)
"""
import argparse
import time

import numpy as np
import onnxruntime
import torch
import torchvision
from torchvision import transforms

parser = argparse.ArgumentParser()
parser.add_argument("data", help="an image folder with train/ and test/ class folders")
parser.add_argument("onnx", help="where to write the exported model")
parser.add_argument("--arch", default="resnet18", help="a torchvision.models constructor")
parser.add_argument("--size", type=int, default=64, help="Resize(size) before ToTensor")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--legacy", action="store_true", help="export with dynamo=False (the TorchScript exporter)")
args = parser.parse_args()

torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)
transform = transforms.Compose([
    transforms.Resize(args.size),
    transforms.ToTensor(),
    transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
])
train = torchvision.datasets.ImageFolder(f"{args.data}/train", transform=transform)
test = torchvision.datasets.ImageFolder(f"{args.data}/test", transform=transform)
classes = len(train.classes)
model = getattr(torchvision.models, args.arch)(weights=None, num_classes=classes)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = torch.utils.data.DataLoader(train, batch_size=args.batch, shuffle=True,
                                     generator=torch.Generator().manual_seed(args.seed))
start = time.time()
for epoch in range(args.epochs):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch + 1}: loss {loss.item():.4f}", flush=True)
model.eval()
correct = 0
with torch.no_grad():
    for x, y in torch.utils.data.DataLoader(test, batch_size=256):
        correct += (model(x).argmax(1) == y).sum().item()
print(f"{args.arch}: test accuracy {100 * correct / len(test):.2f}% after {time.time() - start:.0f} s of training")

example = torch.zeros(2, 3, args.size, args.size)
if args.legacy:
    torch.onnx.export(model, (example,), args.onnx, dynamo=False, input_names=["x"],
                      dynamic_axes={"x": {0: "batch"}})
else:
    torch.onnx.export(model, (example,), args.onnx, input_names=["x"],
                      dynamic_shapes={"x": {0: torch.export.Dim("batch")}})
x, _ = next(iter(torch.utils.data.DataLoader(test, batch_size=32)))
with torch.no_grad():
    expected = model(x).numpy()
session = onnxruntime.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
print(f"exported {args.onnx}: onnxruntime within {np.abs(got - expected).max():.2e} of PyTorch")
