"""Makes the image files the decoder tests need and Swift cannot easily write by hand:
JPEGs in CMYK (Adobe, inverted, as Photoshop writes them) and progressive JPEG.

    python3 -m venv /tmp/px && /tmp/px/bin/pip install pillow==13.0.0
    /tmp/px/bin/python Tests/DatasetsTests/Fixtures/make_fixtures.py

Each image is 8x6 pixels of one known colour, so the test can check what was decoded.
"""
import os

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))

# Pure red in RGB is C=0 M=255 Y=255 K=0 in CMYK.
Image.new("CMYK", (8, 6), (0, 255, 255, 0)).save(os.path.join(HERE, "cmyk-red.jpg"), quality=95)
Image.new("RGB", (8, 6), (40, 160, 220)).save(os.path.join(HERE, "progressive-blue.jpg"), quality=95, progressive=True)
