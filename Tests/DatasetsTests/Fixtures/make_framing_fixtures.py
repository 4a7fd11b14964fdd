"""Makes the framing fixtures: photo-like PNGs of odd sizes and torchvision's evaluation
transform of each, `Resize(N)` then `CenterCrop(HxW)` on the PIL image as
torchvision.datasets.ImageFolder loads it, saved as PNG (lossless) for the tests to match
within one grey level.

    /tmp/torchenv/bin/pip install torch==2.15.0 torchvision==0.29.2 pillow==13.0.0 numpy==2.4.6
    /tmp/torchenv/bin/python Tests/DatasetsTests/Fixtures/make_framing_fixtures.py

framing/<name>.png: the source; framing/<name>.s<N>.c<H>x<W>.png: the transformed image.
Sources: smooth gradients plus noise (so both the antialiasing and the rounding matter),
120x90 RGB (shrunk: Resize(64) + CenterCrop(56x48)), 45x70 RGB (grown: Resize(80) +
CenterCrop(64x64)), 101x67 grey (Resize(50), no crop; CenterCrop(32x40) with no resize).
"""
import os

import numpy as np
import torchvision
from PIL import Image
from torchvision import transforms

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "framing")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(4)


def photo(rows, columns, channels):
    y, x = np.mgrid[0:rows, 0:columns]
    planes = [128 + 100 * np.sin(x / (5 + 3 * c) + y / (7 + c)) + rng.normal(0, 20, (rows, columns)) for c in range(channels)]
    return np.clip(np.stack(planes, -1), 0, 255).astype(np.uint8)


cases = [("tall", photo(120, 90, 3), [(64, (56, 48))]),
         ("small", photo(45, 70, 3), [(80, (64, 64))]),
         ("grey", photo(101, 67, 1)[:, :, 0], [(50, None), (None, (32, 40))])]
for name, pixels, framings in cases:
    path = os.path.join(HERE, name + ".png")
    Image.fromarray(pixels).save(path)
    for shorter, crop in framings:
        steps = ([transforms.Resize(shorter)] if shorter else []) + ([transforms.CenterCrop(crop)] if crop else [])
        image = Image.open(path)
        image = image.convert("RGB") if image.mode != "L" else image
        out = transforms.Compose(steps)(image)
        tag = (f"s{shorter}" if shorter else "s0") + (f".c{crop[0]}x{crop[1]}" if crop else ".c0")
        out.save(os.path.join(HERE, f"{name}.{tag}.png"))
print("torchvision", torchvision.__version__, "pillow", Image.__version__)
