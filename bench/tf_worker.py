#!/usr/bin/env python3
"""TensorFlow peer of the deconv benchmark (bench/run.mjs).

A long-lived subprocess speaking JSON lines: one request per line on stdin, one answer per line on
stdout (anything TensorFlow prints goes to stderr). Started as

    python bench/tf_worker.py --threads N

The thread counts are set before TensorFlow does anything else: intra-op N (the op's own
parallelism, also the pool oneDNN runs on inside TF), inter-op 1 (the graph has one op).

Requests:
  {"cmd": "info"}
      -> {"ok": true, "tf": "2.21.0", "onednn": true|false, "threads": {...}, ...}
  {"cmd": "run", "op": "conv2d_transpose" | "conv1d_transpose" | "conv3d_transpose",
   "x": "/path/x.f32", "xShape": [...channels-last],
   "w": "/path/w.f32", "wShape": [...kernel, M/group, C],
   "outputShape": [...], "strides": [...], "padding": "SAME" | "VALID" | [[0,0],[t,b],[l,r],[0,0]],
   "dilations": [...] (optional), "warmup": 2, "minReps": 3, "maxReps": 50, "targetSeconds": 1.0,
   "out": "/path/y.f32" (optional: where to write the last output, raw float32)}
      -> {"ok": true, "times": [ms, ...], "outShape": [...], "firstCallMs": ms, "sum": ..., "maxAbs": ...}
      -> {"ok": false, "error": "..."} when TensorFlow refuses the layer (e.g. groups or dilations
         it does not implement on CPU)
  {"cmd": "overhead", ...the layer fields of "run"..., "calls": 2000, "rounds": 5}
      -> {"ok": true, "usPerCall": [µs, ...]}  (per-call time of a tiny layer)
  {"cmd": "sgemm", "n": 2048}  -> {"ok": true, "gflops": ...}  (numpy's BLAS, a practical peak)
  {"cmd": "forget"}  drops the cached layer
  {"cmd": "exit"}

A request with a "key" equal to the previous one reuses that layer's tf.function and input.

Each layer is a tf.function (jit_compile=False) over the input, with the filters captured as a
constant; the timed region is the call plus `.numpy()` on its result (time.perf_counter).
"""
import argparse
import os
import re
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument('--threads', type=int, default=os.cpu_count())
args = parser.parse_args()

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
from worker_loop import serve  # noqa: E402  (also moves stdout to stderr: answers only)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.set_visible_devices([], 'GPU')


def onednn_enabled():
    try:
        from tensorflow.python.util import _pywrap_util_port
        return bool(_pywrap_util_port.IsMklEnabled())
    except Exception:  # pragma: no cover - internal API moved
        return None


def short_message(error):
    """TF's message without the Python traceback it embeds ("Detected at node ... File ...")."""
    keep = []
    for line in str(error).splitlines():
        line = line.strip()
        if not line or line.startswith(('File ', 'Detected at node', 'Graph execution error', '[[{{node')):
            continue
        if line.startswith('[[') or line.startswith('(most recent call last)'):
            continue
        keep.append(re.sub(r'\s*\[\[\{\{node.*$', '', line))
    return ' '.join(keep)[:400] or type(error).__name__


def load(path, shape):
    data = np.fromfile(path, dtype=np.float32)
    return data.reshape(shape)


def build(req):
    op = req['op']
    x = tf.constant(load(req['x'], req['xShape']))
    w = tf.constant(load(req['w'], req['wShape']))
    output_shape = list(req['outputShape'])
    strides = list(req['strides'])
    padding = req['padding']
    dilations = req.get('dilations')
    rank = len(strides)
    if dilations is not None and all(d == 1 for d in dilations):
        dilations = None
    kwargs = {}
    if dilations is not None:
        kwargs['dilations'] = list(dilations)

    if op == 'conv2d_transpose':
        fn = tf.nn.conv2d_transpose
    elif op == 'conv1d_transpose':
        fn = tf.nn.conv1d_transpose
    elif op == 'conv3d_transpose':
        fn = tf.nn.conv3d_transpose
    else:
        raise ValueError(f'unknown op {op}')
    if rank == 1:
        strides = strides[0]
        if 'dilations' in kwargs:
            kwargs['dilations'] = kwargs['dilations'][0]

    @tf.function(jit_compile=False)
    def layer(inp):
        return fn(inp, w, output_shape, strides, padding=padding, **kwargs)

    return layer, x


_cache = {}


def cached_build(req):
    """The layer's tf.function and input; kept for the next request with the same 'key'."""
    key = req.get('key')
    if key is not None and _cache.get('key') == key:
        return _cache['layer'], _cache['x']
    _cache.clear()
    layer, x = build(req)
    if key is not None:
        _cache.update(key=key, layer=layer, x=x)
    return layer, x


def run(req):
    layer, x = cached_build(req)
    t0 = time.perf_counter()
    y = layer(x).numpy()  # traces, builds the kernel, first run
    first_ms = (time.perf_counter() - t0) * 1e3
    for _ in range(max(0, int(req.get('warmup', 2)) - 1)):
        y = layer(x).numpy()
    min_reps = int(req.get('minReps', 3))
    max_reps = int(req.get('maxReps', 50))
    target = float(req.get('targetSeconds', 1.0))
    times = []
    total = 0.0
    while len(times) < min_reps or (total < target and len(times) < max_reps):
        t0 = time.perf_counter()
        y = layer(x).numpy()
        dt = time.perf_counter() - t0
        times.append(dt * 1e3)
        total += dt
    out = req.get('out')
    if out:
        np.ascontiguousarray(y, dtype=np.float32).tofile(out)
    return {
        'ok': True,
        'times': times,
        'firstCallMs': first_ms,
        'outShape': list(y.shape),
        'sum': float(np.sum(y, dtype=np.float64)),
        'maxAbs': float(np.max(np.abs(y))) if y.size else 0.0,
    }


def overhead(req):
    """Per-call time of a tiny layer: many calls, total time / count (µs)."""
    layer, x = cached_build(req)
    for _ in range(int(req.get('warmup', 200))):
        layer(x).numpy()
    calls = int(req.get('calls', 2000))
    samples = []
    for _ in range(int(req.get('rounds', 5))):
        t0 = time.perf_counter()
        for _ in range(calls):
            layer(x).numpy()
        samples.append((time.perf_counter() - t0) / calls * 1e6)
    return {'ok': True, 'usPerCall': samples}


def info(_req):
    return {
        'ok': True,
        'tf': tf.__version__,
        'numpy': np.__version__,
        'onednn': onednn_enabled(),
        'TF_ENABLE_ONEDNN_OPTS': os.environ.get('TF_ENABLE_ONEDNN_OPTS'),
        'threads': {
            'intra_op': tf.config.threading.get_intra_op_parallelism_threads(),
            'inter_op': tf.config.threading.get_inter_op_parallelism_threads(),
        },
        'python': sys.version.split()[0],
    }


def forget(_req):
    _cache.clear()
    return {'ok': True}


def sgemm(req):
    """numpy's sgemm (the BLAS numpy ships), as a second, practical peak figure."""
    n = int(req.get('n', 2048))
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = np.random.default_rng(1).random((n, n), dtype=np.float32)
    a @ b
    best = float('inf')
    for _ in range(int(req.get('reps', 5))):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return {'ok': True, 'n': n, 'gflops': 2 * n ** 3 / best / 1e9}


def main():
    serve({'info': info, 'forget': forget, 'run': run, 'overhead': overhead, 'sgemm': sgemm}, describe_error=short_message)


if __name__ == '__main__':
    main()
