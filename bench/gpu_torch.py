#!/usr/bin/env python3
"""GPU benchmark, PyTorch's side: torch.nn.functional.conv_transpose{1,2,3}d on the layers of
bench/suite.json, same shapes and dtypes as bench/gpu.mjs, with torch.backends.cudnn.benchmark =
True (its fastest setting: cuDNN's algorithms timed once per shape).

Per layer and mode (fp32 with TF32 off, fp32 with TF32 on, bf16): device ms = CUDA events around
back-to-back calls, median of 5; call ms = wall clock of the same loop then one synchronize.

TF-SAME layers with an odd total padding (begin < end) cannot be said in PyTorch's symmetric
padding. They run two ways: as padding = end, output_padding = end − begin (the same output shape
and work, but every output shifted by one position: what PyTorch ports of TF models often do), and
exactly, as padding = begin then a crop of the end (`exact`: the same numbers as TF and deconv,
made contiguous as deconv's output is).

    python bench/gpu_torch.py <out.json> [--quick]
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

out_file = sys.argv[1] if len(sys.argv) > 1 else "gpu-torch.json"
quick = "--quick" in sys.argv
suite = json.load(open(__file__.rsplit("/", 1)[0] + "/suite.json"))
torch.backends.cudnn.benchmark = True
device = torch.device("cuda:0")

MODES = [("fp32", torch.float32, False), ("tf32", torch.float32, True), ("bf16", torch.bfloat16, False)]


def pads_of(layer):
    """The layer's begin and end pads (TF SAME: floor half of the total before, the rest after)."""
    rank = len(layer["x"]) - 2
    strides = layer["strides"]
    k = layer["w"][2:]
    if "pads" in layer:
        return layer["pads"][:rank], layer["pads"][rank:]
    out = layer["tfSame"]["outputShape"][1 : 1 + rank]
    totals = [(layer["x"][2 + i] - 1) * strides[i] + k[i] - out[i] for i in range(rank)]
    return [t // 2 for t in totals], [t - t // 2 for t in totals]


def layer_args(layer):
    rank = len(layer["x"]) - 2
    strides = layer["strides"]
    begin, end = pads_of(layer)
    output_padding = list(layer.get("outputPadding", [0] * rank))
    padding = []
    for i in range(rank):
        if begin[i] == end[i]:
            padding.append(begin[i])
        else:  # asymmetric: crop `end` from both sides and add back the difference at the end
            padding.append(end[i])
            output_padding[i] += end[i] - begin[i]
    return dict(
        stride=strides,
        padding=padding,
        output_padding=output_padding,
        groups=layer.get("group", 1),
        dilation=layer.get("dilations", [1] * rank),
    )


def exact_call(layer):
    """TF's alignment for begin < end: padding = begin (never more than the output needs), then
    the end cropped; None when the layer's pads are symmetric (layer_args is already exact)."""
    begin, end = pads_of(layer)
    if begin == end or any(b > e for b, e in zip(begin, end)):
        return None
    rank = len(layer["x"]) - 2
    conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[rank]
    args = dict(layer_args(layer), padding=begin, output_padding=[0] * rank)
    dilations = layer.get("dilations", [1] * rank)
    output_padding = layer.get("outputPadding", [0] * rank)
    full = [(layer["x"][2 + i] - 1) * layer["strides"][i] + (layer["w"][2 + i] - 1) * dilations[i] + 1 for i in range(rank)]
    out = [full[i] - begin[i] - end[i] + output_padding[i] for i in range(rank)]
    if any(out[i] > full[i] - 2 * begin[i] for i in range(rank)):
        return None  # wider than padding = begin gives: layer_args's form is the only one
    window = (Ellipsis,) + tuple(slice(0, n) for n in out)
    return lambda x, w: conv(x, w, **args)[window].contiguous()


def measure(layer, dtype, tf32, exact=False):
    torch.backends.cudnn.allow_tf32 = tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    conv = {3: F.conv_transpose1d, 4: F.conv_transpose2d, 5: F.conv_transpose3d}[len(layer["x"])]
    x = torch.randn(layer["x"], device=device, dtype=dtype)
    w = torch.randn(layer["w"], device=device, dtype=dtype)
    if exact:
        fn, args = exact_call(layer), {}
    else:
        fn, args = conv, layer_args(layer)
    for _ in range(3):
        fn(x, w, **args)
    torch.cuda.synchronize()
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(3):
        fn(x, w, **args)
    stop.record()
    torch.cuda.synchronize()
    once = start.elapsed_time(stop) / 3
    iterations = max(3, min(2000, round(20 / max(once, 1e-3))))
    device_ms, call_ms = [], []
    for _ in range(5):
        start.record()
        for _ in range(iterations):
            fn(x, w, **args)
        stop.record()
        torch.cuda.synchronize()
        device_ms.append(start.elapsed_time(stop) / iterations)
        t0 = time.perf_counter()
        for _ in range(iterations):
            fn(x, w, **args)
        torch.cuda.synchronize()
        call_ms.append((time.perf_counter() - t0) * 1000 / iterations)
    return {"deviceMs": statistics.median(device_ms), "callMs": statistics.median(call_ms), "iterations": iterations}


results = {
    "torch": torch.__version__,
    "cudnn": torch.backends.cudnn.version(),
    "cuda": torch.version.cuda,
    "device": torch.cuda.get_device_name(0),
    "layers": [],
}
print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}")
for layer in suite["layers"]:
    if quick and not (layer["name"].endswith("b1") or "tiny" in layer["name"] or layer["name"] == "unet-1-b8"):
        continue
    row = {"name": layer["name"], "modes": {}}
    for name, dtype, tf32 in MODES:
        try:
            row["modes"][name] = measure(layer, dtype, tf32)
            if exact_call(layer):
                row["modes"][name]["exact"] = measure(layer, dtype, tf32, exact=True)
        except Exception as error:  # noqa: BLE001 - reported in the table
            row["modes"][name] = {"error": str(error)[:300]}
    results["layers"].append(row)
    print(layer["name"], {k: round(v.get("deviceMs", -1), 4) for k, v in row["modes"].items()}, flush=True)
json.dump(results, open(out_file, "w"), indent=2)
