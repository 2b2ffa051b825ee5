#!/usr/bin/env python3
"""Golden data for deconv's gradients and layers, from REAL TensorFlow / Keras (CPU).

Writes test/fixtures/golden-grad/manifest.json and data.bin (float32, little endian), next to and
independent of test/fixtures/golden (made by generate.py, left untouched). Three kinds of case:

  * "gradient": tf.GradientTape on tf.nn.conv{1,2,3}d_transpose (+ tf.nn.bias_add), with
    output_gradients = a random dOutput: the gradients of the input, the filters and the bias.
    Where TF's CPU kernels refuse a configuration, the same quantity is still computed by TF on an
    equivalent call, and the case's "note" says how:
      - NCW/NCHW/NCDHW: the tensors are transposed to channels last, TF runs, results transposed back;
      - groups: one TF call per group (input channels and filter/output slices of the group), the
        gradients concatenated;
      - dilations > 1: the filter is spread into a zero-filled dilated filter of extent (k-1)·d+1
        (numpy only places values and zeros), TF runs with dilation 1, and the filter gradient is
        read back at the filter's taps.
  * "keras": a keras.layers.Conv{1,2,3}DTranspose built from a config, its weights set to random
    values: the output shape and values, and the gradients (GradientTape) of the input, kernel and
    bias for a random output gradient, activation included.
  * "batchnorm": keras.layers.BatchNormalization in training mode (output, gradients, updated
    moving statistics) and in inference mode (output).

numpy only makes random inputs, transposes, slices, concatenates and places zeros.
Deterministic (fixed seeds). Usage: .cache/golden-venv/bin/python scripts/golden/generate_grad.py
"""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "test" / "fixtures" / "golden-grad"
GENERATOR = "scripts/golden/generate_grad.py"
rng = np.random.default_rng(20251128)
tf.config.experimental.enable_op_determinism()


def rand(shape) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=tuple(int(s) for s in shape)).astype(np.float32)


class Store:
    def __init__(self) -> None:
        self.chunks: list[np.ndarray] = []
        self.offset = 0

    def add(self, a) -> dict:
        a = np.ascontiguousarray(np.asarray(a, dtype=np.float32))
        ref = {"shape": [int(s) for s in a.shape], "offset": self.offset}
        self.chunks.append(a.reshape(-1))
        self.offset += a.size
        return ref


STORE = Store()
CASES: list[dict] = []
TF_FN = {1: tf.nn.conv1d_transpose, 2: tf.nn.conv2d_transpose, 3: tf.nn.conv3d_transpose}
OPS = {1: "conv1dTranspose", 2: "conv2dTranspose", 3: "conv3dTranspose"}
CF_FORMAT = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
CL_FORMAT = {1: "NWC", 2: "NHWC", 3: "NDHWC"}


def to_cl(a, nd):
    return np.transpose(a, [0, *range(2, nd + 2), 1])


def to_cf(a, nd):
    return np.transpose(a, [0, nd + 1, *range(1, nd + 1)])


def tf_grads_nhwc(nd, x, w, b, dy, out_sp, s, padding):
    """TF's forward and tape gradients, channels last, dilation 1, one group."""
    xt, wt, bt = tf.constant(x), tf.constant(w), tf.constant(b)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt, bt])
        y = TF_FN[nd](xt, wt, [x.shape[0], *out_sp, w.shape[-2]], s, padding)
        y = tf.nn.bias_add(y, bt)
    dx, dw, db = tape.gradient(y, [xt, wt, bt], output_gradients=tf.constant(dy))
    return y.numpy(), dx.numpy(), dw.numpy(), db.numpy()


def dilate_filter(w, nd, d):
    """w [K..., Mg, C] → the equivalent undilated filter with zeros between the taps."""
    k = w.shape[:nd]
    ext = [(k[i] - 1) * d[i] + 1 for i in range(nd)]
    out = np.zeros([*ext, *w.shape[nd:]], np.float32)
    out[tuple(slice(None, None, d[i]) for i in range(nd))] = w
    return out


def gradient_case(nd, N, in_sp, cin, cout, k, s, d, padding, out_sp, groups=1, cf=False, tag=""):
    mg = cout // groups
    cg = cin // groups
    x_cl = rand([N, *in_sp, cin])
    w = rand([*k, mg, cin])
    b = rand([cout])
    dy_cl = rand([N, *out_sp, cout])
    notes = []
    wd = w
    if any(v > 1 for v in d):
        wd = dilate_filter(w, nd, d)
        notes.append("dilation via a zero-spread filter")
    ys, dxs, dws, dbs = [], [], [], []
    for g in range(groups):
        xg = x_cl[..., g * cg:(g + 1) * cg]
        wg = wd[..., g * cg:(g + 1) * cg]
        bg = b[g * mg:(g + 1) * mg]
        dyg = dy_cl[..., g * mg:(g + 1) * mg]
        y, dx, dw, db = tf_grads_nhwc(nd, xg, wg, bg, dyg, out_sp, s, padding)
        ys.append(y), dxs.append(dx), dws.append(dw), dbs.append(db)
    if groups > 1:
        notes.append("one TF call per group")
    y = np.concatenate(ys, axis=-1)
    dx = np.concatenate(dxs, axis=-1)
    dw = np.concatenate(dws, axis=-1)
    db = np.concatenate(dbs, axis=0)
    if any(v > 1 for v in d):
        dw = dw[tuple(slice(None, None, d[i]) for i in range(nd))]
    if cf:
        notes.append("channels first via transposes")
        x, dy, y, dx = to_cf(x_cl, nd), to_cf(dy_cl, nd), to_cf(y, nd), to_cf(dx, nd)
        out_shape = [N, cout, *out_sp]
    else:
        x, dy = x_cl, dy_cl
        out_shape = [N, *out_sp, cout]
    if isinstance(padding, list) and cf:
        padding = [[0, 0], [0, 0], *padding[1:-1]]
    CASES.append({
        "id": f"grad-{nd}d-{len(CASES)}{tag}",
        "kind": "gradient",
        "op": OPS[nd],
        "oracle": "tf.GradientTape(tf.nn.conv_transpose + bias_add)",
        "note": "; ".join(notes),
        "args": {"outputShape": out_shape, "strides": list(s), "padding": padding,
                 "dataFormat": CF_FORMAT[nd] if cf else CL_FORMAT[nd], "dilations": list(d)},
        "tensors": {"input": STORE.add(x), "filters": STORE.add(w), "bias": STORE.add(b), "dOutput": STORE.add(dy),
                    "output": STORE.add(y), "dX": STORE.add(dx), "dW": STORE.add(dw), "dB": STORE.add(db)},
    })


def gradient_cases():
    # nd, N, in, cin, cout, k, s, d, padding, out, groups, cf
    gradient_case(1, 2, [5], 3, 4, [3], [2], [1], "SAME", [10])
    gradient_case(1, 1, [4], 2, 3, [4], [3], [1], "VALID", [13])                     # output past the full one
    gradient_case(1, 2, [6], 4, 6, [3], [1], [2], "SAME", [6], groups=2)
    gradient_case(2, 2, [3, 4], 3, 5, [3, 3], [2, 2], [1, 1], "SAME", [6, 8])
    gradient_case(2, 1, [3, 3], 2, 3, [3, 2], [2, 3], [1, 1], "SAME", [5, 9])          # odd sizes, uneven pads
    gradient_case(2, 2, [4, 3], 2, 4, [2, 3], [2, 1], [1, 1], "VALID", [9, 5])         # VALID + output padding
    gradient_case(2, 1, [4, 4], 4, 4, [3, 3], [1, 1], [2, 2], "SAME", [4, 4], groups=2)
    gradient_case(2, 2, [3, 3], 6, 3, [3, 3], [2, 2], [1, 1], "SAME", [6, 6], groups=3, cf=True)
    gradient_case(2, 1, [3, 4], 2, 2, [3, 3], [2, 2], [1, 1], [[0, 0], [1, 0], [0, 2], [0, 0]], [6, 7])
    gradient_case(2, 1, [5, 5], 3, 2, [3, 3], [1, 1], [1, 3], "VALID", [7, 11], cf=True)
    gradient_case(3, 1, [2, 3, 2], 2, 3, [3, 2, 2], [2, 2, 1], [1, 1, 1], "SAME", [4, 6, 2])
    gradient_case(3, 2, [2, 2, 3], 2, 2, [2, 2, 3], [1, 2, 2], [1, 1, 1], "VALID", [3, 4, 7], cf=True)
    gradient_case(3, 1, [3, 2, 2], 4, 2, [2, 2, 2], [1, 1, 1], [2, 1, 1], "SAME", [3, 2, 2], groups=2)


KERAS = {1: keras.layers.Conv1DTranspose, 2: keras.layers.Conv2DTranspose, 3: keras.layers.Conv3DTranspose}
CAMEL = {"kernel_size": "kernelSize", "output_padding": "outputPadding", "dilation_rate": "dilationRate",
         "use_bias": "useBias", "strides": "strides", "padding": "padding", "filters": "filters",
         "activation": "activation"}
ACTIVATION_NAMES = {"leaky_relu": "leakyRelu"}


def keras_case(nd, N, in_sp, cin, config):
    layer = KERAS[nd](**config)
    x = rand([N, *in_sp, cin])
    layer.build(x.shape)
    kernel = rand(layer.kernel.shape)
    weights = [kernel]
    if config.get("use_bias", True):
        weights.append(rand(layer.bias.shape))
    layer.set_weights(weights)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
    dy = rand(y.shape)
    grads = tape.gradient(y, [xt, *layer.trainable_variables], output_gradients=tf.constant(dy))
    camel = {CAMEL[k]: v for k, v in config.items()}
    if "activation" in camel:
        camel["activation"] = ACTIVATION_NAMES.get(camel["activation"], camel["activation"])
    tensors = {"input": STORE.add(x), "kernel": STORE.add(kernel), "output": STORE.add(y.numpy()),
               "dOutput": STORE.add(dy), "dInput": STORE.add(grads[0].numpy()), "dKernel": STORE.add(grads[1].numpy())}
    if len(weights) > 1:
        tensors["bias"] = STORE.add(weights[1])
        tensors["dBias"] = STORE.add(grads[2].numpy())
    CASES.append({
        "id": f"keras-{nd}d-{len(CASES)}",
        "kind": "keras",
        "layer": f"Conv{nd}DTranspose",
        "oracle": f"keras {keras.__version__} Conv{nd}DTranspose + tf.GradientTape",
        "config": camel,
        "inputShape": list(x.shape),
        "outputShape": [int(v) for v in y.shape],
        "tensors": tensors,
    })


def keras_cases():
    keras_case(1, 2, [5], 3, dict(filters=4, kernel_size=3, strides=2, padding="same"))
    keras_case(1, 1, [4], 2, dict(filters=3, kernel_size=4, strides=3, padding="valid", output_padding=2, activation="tanh"))
    keras_case(2, 2, [4, 3], 3, dict(filters=5, kernel_size=3, strides=2, padding="same", activation="relu"))
    keras_case(2, 1, [3, 3], 2, dict(filters=3, kernel_size=(4, 3), strides=(2, 2), padding="same", output_padding=(1, 0),
                                     activation="leaky_relu"))
    keras_case(2, 1, [3, 4], 2, dict(filters=2, kernel_size=3, strides=2, padding="valid", activation="sigmoid", use_bias=False))
    keras_case(2, 1, [3, 3], 3, dict(filters=2, kernel_size=3, strides=3, padding="valid", output_padding=1, activation="elu"))
    keras_case(2, 2, [2, 2], 4, dict(filters=4, kernel_size=2, strides=2, padding="valid"))
    keras_case(3, 1, [2, 3, 2], 2, dict(filters=3, kernel_size=3, strides=2, padding="same", output_padding=1, activation="relu"))
    keras_case(3, 1, [2, 2, 2], 2, dict(filters=2, kernel_size=2, strides=(1, 2, 2), padding="valid"))


def batchnorm_case(shape, momentum, epsilon):
    layer = keras.layers.BatchNormalization(axis=-1, momentum=momentum, epsilon=epsilon)
    x = rand(shape) * 2 + 0.5
    layer.build(x.shape)
    c = shape[-1]
    gamma, beta = rand([c]) + 1.5, rand([c])
    mean0, var0 = rand([c]) * 0.1, rand([c]) * 0.2 + 1.0
    layer.set_weights([gamma, beta, mean0, var0])
    infer = layer(tf.constant(x), training=False).numpy()
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, training=True)
    dy = rand(y.shape)
    dx, dgamma, dbeta = tape.gradient(y, [xt, layer.gamma, layer.beta], output_gradients=tf.constant(dy))
    CASES.append({
        "id": f"batchnorm-{len(CASES)}",
        "kind": "batchnorm",
        "oracle": f"keras {keras.__version__} BatchNormalization(axis=-1) + tf.GradientTape",
        "config": {"momentum": momentum, "epsilon": epsilon},
        "tensors": {"input": STORE.add(x), "gamma": STORE.add(gamma), "beta": STORE.add(beta),
                    "movingMean": STORE.add(mean0), "movingVariance": STORE.add(var0),
                    "inferenceOutput": STORE.add(infer), "output": STORE.add(y.numpy()), "dOutput": STORE.add(dy),
                    "dInput": STORE.add(dx.numpy()), "dGamma": STORE.add(dgamma.numpy()), "dBeta": STORE.add(dbeta.numpy()),
                    "movingMeanAfter": STORE.add(layer.moving_mean.numpy()),
                    "movingVarianceAfter": STORE.add(layer.moving_variance.numpy())},
    })


def main():
    gradient_cases()
    keras_cases()
    batchnorm_case([4, 3, 3, 3], 0.99, 1e-3)
    batchnorm_case([2, 5, 4], 0.9, 1e-5)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    data = np.concatenate(STORE.chunks).astype("<f4")
    (OUT_DIR / "data.bin").write_bytes(data.tobytes())
    manifest = {
        "generator": GENERATOR,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "dataFile": "data.bin",
        "cases": CASES,
    }
    (OUT_DIR / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(CASES)} cases, {data.size} floats to {OUT_DIR}")


if __name__ == "__main__":
    main()
