"""Exports the model zoo the way users export it, for the zoo and speed tables in
README: torchvision's and timm's CNNs (random weights, 10 classes, eval mode)
through PyTorch's default exporter (torch.export-based, opset 18) and the TorchScript one
(`dynamo=False`, opset 17), each with a dynamic batch axis, and onnxruntime's logits on
fixed images beside each file (Tests/reference/zoo_check.py compares cnn-inte with
onnxruntime on any exported file).

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch==2.15.0 torchvision==0.29.2 timm==1.0.31 \
        onnx==1.23.2 onnxscript==0.7.2 onnxruntime==1.32.0 numpy==2.4.6 pillow==13.0.0
    /tmp/torchenv/bin/python Tests/reference/export_zoo.py OUT [--size 224] \
        [--exporter dynamo legacy] [--models resnet18 mobilenet_v2 ...]

Writes OUT/<model>.<exporter>.onnx (and .onnx.data), OUT/<model>.<exporter>.json (the
logits of 4 fixed images, uniform in [0, 1) from seed 7, as the model takes them) and
OUT/export.json (what exported and what did not, with the error's first line).
"""
import argparse
import json
import os
import traceback

import numpy as np
import onnxruntime
import torch
import torchvision

# name -> constructor of a 10-class model; torchvision first, then timm.
TORCHVISION = {
    "alexnet": lambda: torchvision.models.alexnet(num_classes=10),
    "vgg11": lambda: torchvision.models.vgg11(num_classes=10),
    "resnet18": lambda: torchvision.models.resnet18(num_classes=10),
    "resnet50": lambda: torchvision.models.resnet50(num_classes=10),
    "resnext50_32x4d": lambda: torchvision.models.resnext50_32x4d(num_classes=10),
    "wide_resnet50_2": lambda: torchvision.models.wide_resnet50_2(num_classes=10),
    "densenet121": lambda: torchvision.models.densenet121(num_classes=10),
    "googlenet": lambda: torchvision.models.googlenet(num_classes=10, aux_logits=False, init_weights=True),
    "inception_v3": lambda: torchvision.models.inception_v3(num_classes=10, aux_logits=False, init_weights=True),
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(num_classes=10),
    "mobilenet_v3_small": lambda: torchvision.models.mobilenet_v3_small(num_classes=10),
    "mobilenet_v3_large": lambda: torchvision.models.mobilenet_v3_large(num_classes=10),
    "efficientnet_b0": lambda: torchvision.models.efficientnet_b0(num_classes=10),
    "efficientnet_v2_s": lambda: torchvision.models.efficientnet_v2_s(num_classes=10),
    "regnet_x_400mf": lambda: torchvision.models.regnet_x_400mf(num_classes=10),
    "regnet_y_400mf": lambda: torchvision.models.regnet_y_400mf(num_classes=10),
    "shufflenet_v2_x1_0": lambda: torchvision.models.shufflenet_v2_x1_0(num_classes=10),
    "squeezenet1_0": lambda: torchvision.models.squeezenet1_0(num_classes=10),
    "mnasnet1_0": lambda: torchvision.models.mnasnet1_0(num_classes=10),
    "convnext_tiny": lambda: torchvision.models.convnext_tiny(num_classes=10),
}
TIMM = [
    "efficientnet_lite0", "mixnet_s", "ghostnet_100", "hrnet_w18_small", "cspresnet50", "cspdarknet53", "dpn68",
    "res2net50_26w_4s", "rexnet_100", "dla34", "selecsls42b", "resnest14d", "tinynet_a", "fbnetc_100", "spnasnet_100",
    "lcnet_050", "hardcorenas_a", "resnet26d", "seresnext26d_32x4d", "ecaresnet26t", "gernet_s", "repvgg_a0",
    "ese_vovnet19b_dw", "xception41", "inception_v4", "darknet53", "resnetv2_50", "convnext_nano", "mobileone_s0",
    "nf_resnet26",
]


def constructor(name):
    if name in TORCHVISION:
        return TORCHVISION[name]
    import timm
    return lambda: timm.create_model(name, pretrained=False, num_classes=10)


def randomise(model):
    """Batch norms with running statistics that are not the identity, so folding them counts."""
    generator = torch.Generator().manual_seed(5)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=generator) - 0.5)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=generator) + 0.5)
            if m.affine:
                m.weight.data.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
                m.bias.data.copy_(torch.rand(m.bias.shape, generator=generator) - 0.5)


def export(model, size, path, exporter):
    example = torch.rand(2, 3, size, size)
    if exporter == "legacy":
        torch.onnx.export(model, (example,), path, dynamo=False, input_names=["x"], output_names=["logits"],
                          dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
    else:
        torch.onnx.export(model, (example,), path, input_names=["x"], output_names=["logits"],
                          dynamic_shapes={"x": {0: torch.export.Dim("batch")}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--exporter", nargs="+", default=["dynamo", "legacy"], choices=["dynamo", "legacy"])
    parser.add_argument("--models", nargs="+", default=list(TORCHVISION) + TIMM)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    images = np.random.default_rng(7).random((4, 3, args.size, args.size), dtype=np.float32)
    report_path = os.path.join(args.out, "export.json")
    report = json.load(open(report_path)) if os.path.exists(report_path) else {}
    for name in args.models:
        torch.manual_seed(0)
        try:
            model = constructor(name)().eval()
            randomise(model)
            with torch.no_grad():
                expected = model(torch.from_numpy(images)).numpy()
        except Exception as e:  # noqa: BLE001 - e.g. an input too small for the architecture
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
            for exporter in args.exporter:
                report[f"{name}.{exporter}"] = {"exported": False, "error": "PyTorch: " + first}
            print(f"{name}: does not run in PyTorch at {args.size}x{args.size}: {first}", flush=True)
            json.dump(report, open(report_path, "w"), indent=1, sort_keys=True)
            continue
        for exporter in args.exporter:
            stem = os.path.join(args.out, f"{name}.{exporter}")
            key = f"{name}.{exporter}"
            try:
                export(model, args.size, stem + ".onnx", exporter)
                session = onnxruntime.InferenceSession(stem + ".onnx", providers=["CPUExecutionProvider"])
                logits = session.run(None, {session.get_inputs()[0].name: images})[0]
                error = float(np.abs(logits - expected).max())
                json.dump({"model": name, "exporter": exporter, "size": args.size, "images": "uniform [0, 1), numpy seed 7",
                           "logits": logits.tolist(), "onnxruntime_vs_torch": error}, open(stem + ".json", "w"))
                report[key] = {"exported": True, "onnxruntime_vs_torch": error}
                print(f"{key}: exported; onnxruntime within {error:.1e} of PyTorch", flush=True)
            except Exception as e:  # noqa: BLE001 - a model the exporter cannot write is a finding
                first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
                report[key] = {"exported": False, "error": first}
                print(f"{key}: not exported: {first}", flush=True)
                traceback.print_exc(limit=1)
            json.dump(report, open(report_path, "w"), indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
