#!/usr/bin/env python3
"""PyTorch peer of the deconv benchmark (deconv bench): the JSON-lines protocol of tf_worker.py.

    python bench/torch_worker.py --threads N [--device cpu|cuda]

Requests:
  {"cmd": "info"} -> {"ok": true, "torch": "2.x", "cuda": bool, "device": "...", "threads": N}
  {"cmd": "run", "x": "/path/x.f32", "xShape": [N, C, ...], "w": "/path/w.f32", "wShape": [C, M/g, ...k],
   "strides": [...], "padsBegin": [...], "padsEnd": [...], "outputPadding": [...], "dilations": [...],
   "group": g, "warmup": 2, "minReps": 3, "maxReps": 200, "targetSeconds": 1.0, "out": "/path/y.f32"}
      -> {"ok": true, "times": [ms, ...], "firstCallMs": ms, "outShape": [...], "note": "..."}
  {"cmd": "exit"}

torch.nn.functional.conv_transpose{1,2,3}d in NCHW (the ONNX layout), weights on the device once,
under torch.inference_mode(). Its padding is symmetric: pads with end > begin run with
padding = begin and the output's end sliced off (the note says so). On CUDA every timed call ends
with torch.cuda.synchronize() (cudnn.benchmark on, TF32 off); on the CPU with .numpy().
"""
import argparse
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument('--threads', type=int, default=1)
parser.add_argument('--device', default='cpu')
args = parser.parse_args()

from worker_loop import serve  # noqa: E402  (also moves stdout to stderr: answers only)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
device = torch.device(args.device)
if device.type == 'cuda':
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def sync():
    if device.type == 'cuda':
        torch.cuda.synchronize()


def run(req):
    x = torch.from_numpy(np.fromfile(req['x'], dtype=np.float32).reshape(req['xShape'])).to(device)
    w = torch.from_numpy(np.fromfile(req['w'], dtype=np.float32).reshape(req['wShape'])).to(device)
    rank = len(req['strides'])
    fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[rank]
    begin, end = req['padsBegin'], req['padsEnd']
    out_pad = req.get('outputPadding') or [0] * rank
    # Symmetric padding `begin`; where the end pad is smaller, output padding makes up the
    # difference; where it is larger, the extra positions are sliced off the end.
    extra = [e - b for b, e in zip(begin, end)]
    op = [o - d if d < 0 else o for o, d in zip(out_pad, extra)]
    crop = [max(0, d) for d in extra]
    note = None
    if any(o < 0 for o in op):
        raise ValueError(f'pads {begin}+{end} with output padding {out_pad} cannot be expressed')
    if any(c > 0 for c in crop):
        note = f'padding={begin} and the last {crop} output positions sliced off (torch pads symmetrically)'
    kwargs = dict(stride=req['strides'], padding=begin, output_padding=op, groups=req.get('group', 1), dilation=req.get('dilations') or 1)

    def call():
        y = fn(x, w, **kwargs)
        if any(c > 0 for c in crop):
            y = y[(slice(None), slice(None)) + tuple(slice(0, y.shape[2 + i] - crop[i]) for i in range(rank))]
        if device.type == 'cuda':
            sync()
            return y
        return y.numpy()

    with torch.inference_mode():
        t0 = time.perf_counter()
        y = call()
        first_ms = (time.perf_counter() - t0) * 1e3
        for _ in range(max(0, int(req.get('warmup', 2)) - 1)):
            y = call()
        times, total = [], 0.0
        min_reps, max_reps, target = int(req.get('minReps', 3)), int(req.get('maxReps', 200)), float(req.get('targetSeconds', 1.0))
        while len(times) < min_reps or (total < target and len(times) < max_reps):
            t0 = time.perf_counter()
            y = call()
            dt = time.perf_counter() - t0
            times.append(dt * 1e3)
            total += dt
    y = y.cpu().numpy() if isinstance(y, torch.Tensor) else y
    if req.get('out'):
        np.ascontiguousarray(y, dtype=np.float32).tofile(req['out'])
    return {'ok': True, 'times': times, 'firstCallMs': first_ms, 'outShape': list(y.shape), 'note': note}


def info(_req):
    return {'ok': True, 'torch': torch.__version__, 'cuda': torch.cuda.is_available(), 'device': str(device),
            'deviceName': torch.cuda.get_device_name(device) if device.type == 'cuda' else None,
            'threads': torch.get_num_threads(), 'python': sys.version.split()[0]}


def main():
    serve({'info': info, 'run': run})


if __name__ == '__main__':
    main()
