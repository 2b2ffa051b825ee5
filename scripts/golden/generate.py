#!/usr/bin/env python3
"""Golden-data generator for deconv.

Produces test/fixtures/golden/manifest.json and test/fixtures/golden/data.bin
using REAL TensorFlow (CPU) for the TF front ends (tf.nn.conv{1,2,3}d_transpose)
and REAL ONNX Runtime (cross-checked against onnx.reference.ReferenceEvaluator)
for ONNX ConvTranspose.  See scripts/golden/README.md.

Rules kept by this script:
  * every stored output was computed by TensorFlow, ONNX Runtime or the ONNX
    reference evaluator; numpy is used only to make random inputs, to
    transpose / slice / concatenate tensors, to build zero blocks, and to
    compare engines with each other;
  * when TF CPU refuses a configuration, the same quantity is computed with
    real TF another way (layout transpose, per-group split, space-to-batch
    gradient, Jacobian of the forward convolution) and the case's "note"
    says so; when TF CPU can do none of these the case is produced with
    ONNX Runtime under op "convTranspose";
  * every ONNX case is run on ORT *and* on the reference evaluator, and both
    are compared with a "spec-canonical" rewrite of the node (explicit pads
    computed from the ONNX spec formula, group=1 per group) evaluated by
    both engines; the stored answer is the one that follows the spec.

Deterministic: fixed seeds for the configuration and the data streams.
Usage: .cache/golden-venv/bin/python scripts/golden/generate.py
"""
from __future__ import annotations

import json
import os
import platform
import sys
import warnings
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "test" / "fixtures" / "golden"
GENERATOR = "scripts/golden/generate.py"

CFG_SEED = 20240611
DATA_SEED = 777
RTOL, ATOL = 1e-4, 1e-5
ONNX_OPSET = 17
ONNX_IR_VERSION = 8

tf.config.experimental.enable_op_determinism()
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"onnx\.reference")
ort.set_default_logger_severity(4)

cfg = np.random.default_rng(CFG_SEED)
drng = np.random.default_rng(DATA_SEED)

LOG: list[str] = []


def log(msg: str) -> None:
    LOG.append(msg)
    print(msg, flush=True)


def rand(shape) -> np.ndarray:
    return drng.uniform(-1.0, 1.0, size=tuple(int(s) for s in shape)).astype(np.float32)


def first_line(e: BaseException) -> str:
    s = str(e).strip()
    return s.splitlines()[0] if s else type(e).__name__


def close(a, b) -> bool:
    return a is not None and b is not None and a.shape == b.shape and np.allclose(a, b, rtol=RTOL, atol=ATOL)


# ----------------------------------------------------------------------------
# Binary store
# ----------------------------------------------------------------------------
class Store:
    def __init__(self):
        self.chunks: list[np.ndarray] = []
        self.n = 0

    def add(self, arr: np.ndarray) -> dict:
        a = np.ascontiguousarray(arr, dtype="<f4")
        off = self.n
        self.chunks.append(a.ravel())
        self.n += a.size
        return {"shape": [int(d) for d in a.shape], "offset": int(off)}

    def bytes(self) -> bytes:
        if not self.chunks:
            return b""
        return np.concatenate(self.chunks).astype("<f4").tobytes()


STORE = Store()
CASES: list[dict] = []
ERRORS: list[dict] = []
STATS = Counter()
FINDINGS: list[str] = []          # ORT / reference vs spec findings
TF_GAPS: Counter = Counter()      # TF refusal messages -> count
CROSS = Counter()                 # TF vs ORT cross-check results
CROSS_MAXDIFF: list[float] = []
COUNTERS = Counter()


def next_id(prefix: str, tags: list[str]) -> str:
    COUNTERS[prefix] += 1
    short = [t for t in tags if t not in ("1d", "2d", "3d")][:4]
    return f"{prefix}-{COUNTERS[prefix]:03d}" + ("-" + "-".join(short) if short else "")


# ----------------------------------------------------------------------------
# Small helpers shared by TF and ONNX
# ----------------------------------------------------------------------------
def dk(k, d):
    return (k - 1) * d + 1


def cf_to_cl(nd):  # channels-first -> channels-last permutation
    return (0, *range(2, nd + 2), 1)


def cl_to_cf(nd):
    return (0, nd + 1, *range(1, nd + 1))


TF_FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}
TF_OPS = {1: "conv1dTranspose", 2: "conv2dTranspose", 3: "conv3dTranspose"}


def tf_seq(v, nd, channels_last):
    """Spatial values of a TF strides/dilations argument (tf.nn _get_sequence)."""
    if v is None:
        return [1] * nd
    if isinstance(v, int):
        return [v] * nd
    v = list(v)
    if len(v) == 1:
        return v * nd
    if len(v) == nd:
        return v
    if len(v) == nd + 2:
        return v[1:-1] if channels_last else v[2:]
    raise ValueError(f"bad sequence {v}")


def tf_fn(nd):
    return {1: tf.nn.conv1d_transpose, 2: tf.nn.conv2d_transpose, 3: tf.nn.conv3d_transpose}[nd]


# ----------------------------------------------------------------------------
# ONNX execution
# ----------------------------------------------------------------------------
ATTR_NAMES = {
    "autoPad": "auto_pad", "dilations": "dilations", "group": "group", "kernelShape": "kernel_shape",
    "outputPadding": "output_padding", "outputShape": "output_shape", "pads": "pads", "strides": "strides",
}


def onnx_model(attrs_camel: dict, with_bias: bool) -> onnx.ModelProto:
    ins = ["X", "W"] + (["B"] if with_bias else [])
    kw = {ATTR_NAMES[k]: v for k, v in attrs_camel.items()}
    node = helper.make_node("ConvTranspose", ins, ["Y"], name="ct", **kw)
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ins],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ONNX_OPSET)])
    m.ir_version = ONNX_IR_VERSION
    return m


def feeds_of(X, W, B):
    f = {"X": X, "W": W}
    if B is not None:
        f["B"] = B
    return f


def run_ort(attrs, X, W, B=None):
    m = onnx_model(attrs, B is not None)
    so = ort.SessionOptions()
    so.log_severity_level = 4
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return s.run(None, feeds_of(X, W, B))[0]


def run_ref(attrs, X, W, B=None):
    m = onnx_model(attrs, B is not None)
    return np.asarray(ReferenceEvaluator(m).run(None, feeds_of(X, W, B))[0])


def spec_pads(xshape, wshape, attrs):
    """Pads per the ONNX ConvTranspose spec text (opset 11+), Python floor division.

    Returns (begin, end, out_spatial) or raises if not applicable."""
    nd = len(xshape) - 2
    ins = list(xshape[2:])
    s = attrs.get("strides", [1] * nd)
    d = attrs.get("dilations", [1] * nd)
    op = attrs.get("outputPadding", [0] * nd)
    k = attrs.get("kernelShape", list(wshape[2:]))
    ap = attrs.get("autoPad", "NOTSET")
    osh = attrs.get("outputShape")
    if osh is not None and len(osh) == nd + 2:
        osh = osh[2:]
    full = [s[i] * (ins[i] - 1) + op[i] + dk(k[i], d[i]) for i in range(nd)]
    if osh is not None or ap in ("SAME_UPPER", "SAME_LOWER"):
        if osh is None:
            osh = [ins[i] * s[i] for i in range(nd)]
        total = [full[i] - osh[i] for i in range(nd)]
        if ap == "SAME_UPPER":
            b = [t // 2 for t in total]
            e = [t - t // 2 for t in total]
        else:
            b = [t - t // 2 for t in total]
            e = [t // 2 for t in total]
    elif ap == "VALID":
        b, e = [0] * nd, [0] * nd
    else:
        p = attrs.get("pads", [0] * (2 * nd))
        b, e = list(p[:nd]), list(p[nd:])
    out = [full[i] - b[i] - e[i] for i in range(nd)]
    return b, e, out


def spec_canonical(attrs, X, W, B, engine):
    """Evaluate the node rewritten to its spec meaning: explicit non-negative pads,
    group=1 per group, no auto_pad/output_shape.  Negative pads (only possible
    with auto_pad SAME_* / output_shape when the kernel is shorter than the
    stride) become extra output_padding at the end and a zero block (numpy
    concatenate) at the start.  `engine` is run_ort or run_ref."""
    nd = X.ndim - 2
    b, e, out = spec_pads(X.shape, W.shape, attrs)
    G = attrs.get("group", 1)
    op = attrs.get("outputPadding", [0] * nd)
    cg = X.shape[1] // G
    mg = W.shape[1]
    if any(v < 0 for v in b) and B is not None:
        raise RuntimeError("negative begin pad with bias not supported by canonical form")
    pieces = []
    for g in range(G):
        Xg = X[:, g * cg:(g + 1) * cg]
        Wg = W[g * cg:(g + 1) * cg]
        Bg = None if B is None else B[g * mg:(g + 1) * mg]
        a = {
            "strides": attrs.get("strides", [1] * nd),
            "dilations": attrs.get("dilations", [1] * nd),
            "pads": [max(0, v) for v in b] + [max(0, v) for v in e],
            "outputPadding": [op[i] + max(0, -e[i]) for i in range(nd)],
        }
        y = engine(a, Xg, Wg, Bg)
        for i in range(nd):
            if b[i] < 0:
                zshape = list(y.shape)
                zshape[2 + i] = -b[i]
                y = np.concatenate([np.zeros(zshape, np.float32), y], axis=2 + i)
        pieces.append(y)
    y = np.concatenate(pieces, axis=1)
    assert list(y.shape[2:]) == out, (y.shape, out)
    return y


def onnx_case(nd, X, W, B, attrs, tags, note=None, prefix=None):
    """Run ORT + reference + spec-canonical; store the spec-following answer."""
    tags = list(tags)
    notes = [note] if note else []
    pb, pe, _ = spec_pads(X.shape, W.shape, attrs)
    if any(v < 0 for v in pb + pe):
        notes.append(f"the spec formula gives negative pads here (begin {pb}, end {pe}, computed with Python floor "
                     f"division of the negative total as onnx.reference does; the spec text's total/2 is ambiguous "
                     f"for odd negative totals); output size = input*stride")
    try:
        y_ort = run_ort(attrs, X, W, B)
        ort_err = None
    except Exception as ex:  # noqa: BLE001
        y_ort, ort_err = None, first_line(ex)
    try:
        y_ref = run_ref(attrs, X, W, B)
        ref_err = None
    except Exception as ex:  # noqa: BLE001
        y_ref, ref_err = None, f"{type(ex).__name__}: {first_line(ex)}"
    y_can = spec_canonical(attrs, X, W, B, run_ort)
    try:
        y_can_ref = spec_canonical(attrs, X, W, B, run_ref)
    except Exception as ex:  # noqa: BLE001
        y_can_ref = None
        log(f"  canonical reference failed: {ex}")
    if y_can_ref is not None and not close(y_can, y_can_ref):
        raise RuntimeError(f"canonical forms disagree between ORT and reference for {attrs}")

    ort_ok = close(y_ort, y_can)
    ref_ok = close(y_ref, y_can)
    desc = json.dumps(attrs, separators=(",", ":"))

    def describe(y, err):
        if err is not None:
            return f"raised '{err}'"
        if y.shape != y_can.shape:
            return f"returned shape {list(y.shape)} (spec: {list(y_can.shape)})"
        return f"returned different values (max abs diff {float(np.max(np.abs(y - y_can))):.3g})"

    if ort_ok:
        y, oracle = y_ort, "onnxruntime"
    elif ref_ok:
        y, oracle = y_ref, "onnx-reference"
        tags.append("ort-spec-disagreement")
        notes.append(f"ONNX Runtime {ort.__version__} {describe(y_ort, ort_err)}; stored the spec answer "
                     f"(onnx.reference.ReferenceEvaluator, equal to ORT on the explicit-pads rewrite)")
        FINDINGS.append(f"ORT!=spec {desc} X{list(X.shape)} W{list(W.shape)}: ORT {describe(y_ort, ort_err)}")
    else:
        y, oracle = y_can, "onnxruntime"
        tags.append("ort-spec-disagreement")
        notes.append(f"ONNX Runtime {describe(y_ort, ort_err)} and the reference evaluator "
                     f"{describe(y_ref, ref_err)}; stored ORT's result on the spec-equivalent rewrite "
                     f"(explicit pads from the spec formula, per-group)")
        FINDINGS.append(f"ORT!=spec & ref!=spec {desc} X{list(X.shape)} W{list(W.shape)}")
    if oracle == "onnxruntime" and not ref_ok:
        if ref_err is not None:
            tags.append("reference-error")
            notes.append(f"onnx.reference.ReferenceEvaluator {onnx.__version__} raised: {ref_err[:160]}")
            FINDINGS.append(f"ref raises {desc} X{list(X.shape)} W{list(W.shape)}: {ref_err[:120]}")
        else:
            tags.append("reference-spec-disagreement")
            notes.append(f"onnx.reference.ReferenceEvaluator {onnx.__version__} {describe(y_ref, ref_err)}")
            FINDINGS.append(f"ref!=spec {desc} X{list(X.shape)} W{list(W.shape)}: ref {describe(y_ref, ref_err)}")
    if oracle == "onnxruntime" and ref_ok:
        tags.append("reference-agrees")

    tensors = {"X": STORE.add(X), "W": STORE.add(W)}
    if B is not None:
        tensors["B"] = STORE.add(B)
    tensors["Y"] = STORE.add(y)
    case = {
        "id": next_id(prefix or f"onnx{nd}d", tags),
        "op": "convTranspose",
        "oracle": oracle,
        "tags": tags,
        "tensors": tensors,
        "args": {"attrs": attrs},
    }
    if notes:
        case["note"] = " | ".join(notes)
    CASES.append(case)
    STATS[("convTranspose", oracle)] += 1
    return case


# ----------------------------------------------------------------------------
# TensorFlow execution
# ----------------------------------------------------------------------------
class NeedsOrt(Exception):
    pass


def tf_direct(nd, x, w, args):
    kw = dict(strides=args["strides"], padding=args["padding"], data_format=args["dataFormat"])
    if "dilations" in args:
        kw["dilations"] = args["dilations"]
    return tf_fn(nd)(tf.constant(x), tf.constant(w), args["outputShape"], **kw).numpy()


def tf_grad_space_to_batch(nd, x, w, out_full, d_sp, pad):
    """Dilated, stride-1 transposed conv = gradient (w.r.t. its input) of the
    dilated forward conv written as tf.nn.with_space_to_batch(tf.nn.conv{nd}d)."""
    wt = tf.constant(w)

    def op(inp, num_spatial_dims, padding):
        if nd == 1:
            return tf.nn.conv1d(inp, wt, stride=1, padding=padding, data_format="NWC")
        if nd == 2:
            return tf.nn.conv2d(inp, wt, strides=1, padding=padding, data_format="NHWC")
        return tf.nn.conv3d(inp, wt, strides=[1, 1, 1, 1, 1], padding=padding, data_format="NDHWC")

    y = tf.zeros(out_full, tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(y)
        z = tf.nn.with_space_to_batch(y, dilation_rate=d_sp, padding=pad, op=op, filter_shape=list(w.shape[:nd]))
    if list(z.shape) != list(x.shape):
        raise RuntimeError(f"space_to_batch forward shape {z.shape} != input {x.shape}")
    return tape.gradient(z, y, output_gradients=tf.constant(x)).numpy()


def tf_jacobian(nd, x, w, out_full, s_sp, pad, d_sp):
    """Transposed conv = J^T x where J is the Jacobian of TF's forward conv.
    J is obtained by running tf.nn.conv{1,2}d (with strides+dilations, which TF
    CPU supports in the forward direction) on a batch of one-hot images; the
    product is tf.matmul."""
    P = int(np.prod(out_full[1:]))
    E = tf.reshape(tf.eye(P, dtype=tf.float32), [P] + list(out_full[1:]))
    if nd == 1:
        F = tf.nn.conv1d(E, tf.constant(w), stride=s_sp[0], padding=pad, dilations=d_sp[0])
    elif nd == 2:
        F = tf.nn.conv2d(E, tf.constant(w), strides=s_sp, padding=pad, dilations=d_sp)
    else:
        raise NeedsOrt("no TF CPU path")
    if list(F.shape[1:]) != list(x.shape[1:]):
        raise RuntimeError(f"forward shape {F.shape} != input {x.shape}")
    J = tf.reshape(F, [P, -1])
    Y = tf.matmul(tf.reshape(tf.constant(x), [x.shape[0], -1]), J, transpose_b=True)
    return tf.reshape(Y, out_full).numpy()


def tf_single_cl(nd, x, w, out_full, s_sp, pad, d_sp):
    """Channels-last, one group.  Returns (y, method)."""
    fmt = TF_FORMATS[nd][0]
    kw = dict(strides=s_sp, padding=pad, data_format=fmt)
    if any(v > 1 for v in d_sp):
        kw["dilations"] = d_sp
    try:
        return tf_fn(nd)(tf.constant(x), tf.constant(w), out_full, **kw).numpy(), None
    except tf.errors.InvalidArgumentError as ex:
        if not any(v > 1 for v in d_sp):
            raise
        TF_GAPS[f"{TF_OPS[nd]} dilation: {first_line(ex)}"] += 1
    if all(v == 1 for v in s_sp) and isinstance(pad, str):
        return tf_grad_space_to_batch(nd, x, w, out_full, d_sp, pad), (
            f"dilation: tf.GradientTape gradient of tf.nn.with_space_to_batch(tf.nn.conv{nd}d) "
            "(stride 1) w.r.t. its input")
    if nd in (1, 2):
        return tf_jacobian(nd, x, w, out_full, s_sp, pad, d_sp), (
            f"dilation with stride>1 or explicit padding: Jacobian of the forward tf.nn.conv{nd}d "
            "(strides+dilations) taken on a one-hot basis batch, applied with tf.matmul")
    raise NeedsOrt("3-D dilation with stride>1")


def tf_compute(nd, x, w, args):
    """Returns (y, note or None)."""
    try:
        return tf_direct(nd, x, w, args), None
    except tf.errors.InvalidArgumentError as ex:
        refusal = first_line(ex)
    fmt = args["dataFormat"]
    cl = fmt == TF_FORMATS[nd][0]
    s_sp = tf_seq(args["strides"], nd, cl)
    d_sp = tf_seq(args.get("dilations"), nd, cl)
    os_ = list(args["outputShape"])
    N = x.shape[0]
    if len(os_) == nd:
        out_sp, cout = os_, w.shape[-2]
    else:
        out_sp, cout = (os_[1:-1], os_[-1]) if cl else (os_[2:], os_[1])
    pad = args["padding"]
    if not isinstance(pad, str):
        pairs = pad[1:-1] if cl else pad[2:]
        pad = [[0, 0]] + [list(p) for p in pairs] + [[0, 0]]
    steps = []
    x_cl = x if cl else np.transpose(x, cf_to_cl(nd))
    if not cl:
        steps.append(f"{fmt} input transposed to {TF_FORMATS[nd][0]} (numpy), run, output transposed back")
    G = cout // w.shape[-2]
    cin = x_cl.shape[-1]
    cg, mg = cin // G, w.shape[-2]
    if G > 1:
        steps.append(f"groups={G}: TF run per group on channel slices, outputs concatenated (numpy)")
    pieces, methods = [], set()
    for g in range(G):
        xg = np.ascontiguousarray(x_cl[..., g * cg:(g + 1) * cg])
        wg = np.ascontiguousarray(w[..., g * cg:(g + 1) * cg])
        yg, m = tf_single_cl(nd, xg, wg, [N] + list(out_sp) + [mg], s_sp, pad, d_sp)
        pieces.append(yg)
        if m:
            methods.add(m)
    y = np.concatenate(pieces, axis=-1)
    if not cl:
        y = np.transpose(y, cl_to_cf(nd))
    steps.extend(sorted(methods))
    TF_GAPS[f"{TF_OPS[nd]}: {refusal}"] += 1
    note = f"TF CPU refused the direct call ('{refusal}'); computed with real TF instead: " + "; ".join(steps)
    return np.ascontiguousarray(y), note


def tf_to_onnx(nd, x, w, args):
    """Map a TF front-end configuration to an ONNX ConvTranspose (X, W, attrs, perm_back)."""
    fmt = args["dataFormat"]
    cl = fmt == TF_FORMATS[nd][0]
    s_sp = tf_seq(args["strides"], nd, cl)
    d_sp = tf_seq(args.get("dilations"), nd, cl)
    os_ = list(args["outputShape"])
    if len(os_) == nd:
        out_sp, cout = os_, w.shape[-2]
    else:
        out_sp, cout = (os_[1:-1], os_[-1]) if cl else (os_[2:], os_[1])
    X = x if not cl else np.transpose(x, cl_to_cf(nd))
    in_sp = list(X.shape[2:])
    k = list(w.shape[:nd])
    G = cout // w.shape[-2]
    W = np.ascontiguousarray(np.transpose(w, (nd + 1, nd, *range(nd))))
    pad = args["padding"]
    b, e, op = [], [], []
    for i in range(nd):
        full = (in_sp[i] - 1) * s_sp[i] + dk(k[i], d_sp[i])
        if pad == "SAME":
            tot = max(0, full - out_sp[i])
            pb, pe = tot // 2, tot - tot // 2
        elif pad == "VALID":
            pb = pe = 0
        else:
            pairs = pad[1:-1] if cl else pad[2:]
            pb, pe = pairs[i]
        b.append(pb)
        e.append(pe)
        op.append(out_sp[i] - (full - pb - pe))
    attrs = {"strides": s_sp, "pads": b + e}
    if any(v != 1 for v in d_sp):
        attrs["dilations"] = d_sp
    if G != 1:
        attrs["group"] = G
    if any(op):
        attrs["outputPadding"] = op
    return np.ascontiguousarray(X), W, attrs, cl


def tf_out_range(in_, k, s, d, pad):
    """All TF output sizes for one spatial dim that TF accepts."""
    if pad == "SAME":
        lo = (in_ - 1) * s + 1
    elif pad == "VALID":
        lo = (in_ - 1) * s + dk(k, d)
    else:
        lo = (in_ - 1) * s + dk(k, d) - pad[0] - pad[1]
    return [v for v in range(lo, lo + s) if v >= 1]


def tf_case(nd, N, in_sp, cin, cout, k, *, groups=1, s=None, d=None, padding="SAME", cf=False,
            out_pick=None, out_sp=None, strides_form="auto", dil_form="auto", os_form="full",
            extra_tags=(), force_dil_arg=False):
    """Build, compute and store one TF front-end case."""
    s = s or [1] * nd
    d = d or [1] * nd
    fmt = TF_FORMATS[nd][1 if cf else 0]
    cl = not cf
    # output size per dim
    if out_sp is None:
        out_sp = []
        for i in range(nd):
            pi = padding if isinstance(padding, str) else padding[i]
            rng_ = tf_out_range(in_sp[i], k[i], s[i], d[i], pi)
            idx = (out_pick[i] if out_pick is not None and out_pick[i] is not None
                   else int(cfg.integers(len(rng_))))
            out_sp.append(rng_[idx % len(rng_)])
    tags = [f"{nd}d"]
    # strides as passed
    def form(vals, f, name):
        iso = all(v == vals[0] for v in vals)
        if f == "auto":
            choices = (["int", "list1"] if iso else []) + ["spatial", "full"]
            f = choices[int(cfg.integers(len(choices)))]
        if f == "int":
            return int(vals[0])
        if f == "list1":
            return [int(vals[0])]
        if f == "spatial":
            return [int(v) for v in vals]
        full = [1] + [int(v) for v in vals] + [1] if cl else [1, 1] + [int(v) for v in vals]
        return full
    strides_arg = form(s, strides_form, "strides")
    args = {}
    x_shape = [N] + list(in_sp) + [cin] if cl else [N, cin] + list(in_sp)
    if os_form == "spatial":
        output_shape = list(out_sp)
        tags.append("output-shape-spatial")
    else:
        output_shape = [N] + list(out_sp) + [cout] if cl else [N, cout] + list(out_sp)
    args["outputShape"] = [int(v) for v in output_shape]
    args["strides"] = strides_arg
    if isinstance(padding, str):
        args["padding"] = padding
        tags.append(padding.lower())
    else:
        pairs = [[int(a), int(b)] for a, b in padding]
        args["padding"] = [[0, 0]] + pairs + [[0, 0]] if cl else [[0, 0], [0, 0]] + pairs
        tags.append("explicit")
        if any(a != b for a, b in pairs):
            tags.append("asym-pad")
    args["dataFormat"] = fmt
    if any(v > 1 for v in d) or force_dil_arg:
        args["dilations"] = form(d, dil_form, "dilations")
    if any(v > 1 for v in d):
        tags.append("dilation")
    if cf:
        tags.append(fmt.lower())
    # odd/even SAME padding, extra rows
    if padding == "SAME":
        tots = [max(0, (in_sp[i] - 1) * s[i] + dk(k[i], d[i]) - out_sp[i]) for i in range(nd)]
        if any(t % 2 for t in tots):
            tags.append("odd-pad")
        if any(t == 0 for t in tots) and any(dk(k[i], d[i]) < s[i] for i in range(nd)):
            tags.append("k-lt-s")
    if padding == "VALID" and any(out_sp[i] > (in_sp[i] - 1) * s[i] + dk(k[i], d[i]) for i in range(nd)):
        tags.append("extra-rows")
    if groups > 1:
        tags.append("depthwise" if groups == cin else "groups")
    if N > 1:
        tags.append("batch")
    rel = set()
    for i in range(nd):
        rel.add("k-lt-s" if k[i] < s[i] else "k-eq-s" if k[i] == s[i] else "k-gt-s")
        if s[i] > 1 and k[i] % s[i]:
            rel.add("k-not-div-s")
    tags += sorted(rel - set(tags))
    tags += list(extra_tags)
    assert cout % groups == 0 and cin % groups == 0
    w_shape = list(k) + [cout // groups, cin]
    x = rand(x_shape)
    w = rand(w_shape)
    try:
        y, note = tf_compute(nd, x, w, args)
    except NeedsOrt as ex:
        X, W, attrs, _ = tf_to_onnx(nd, x, w, args)
        note = (f"TF CPU cannot compute this {TF_OPS[nd]} configuration in any way ({ex}: Conv3DBackpropInputV2 and the "
                f"forward Conv3D both refuse dilation>1 on CPU); produced with ONNX Runtime from the TF config "
                f"{json.dumps(args, separators=(',', ':'))} mapped to ConvTranspose (X=input in channels-first, "
                f"W=filters transposed to [Cin,Cout/groups,K...], TF SAME/VALID padding → explicit pads/outputPadding)")
        t2 = [t for t in tags if t not in ("same", "valid", "explicit")] + ["from-tf-config"]
        log(f"  -> ORT fallback for {args}")
        return onnx_case(nd, X, W, None, attrs, t2, note=note)
    # cross-check against ORT (not stored)
    try:
        X, W, attrs, was_cl = tf_to_onnx(nd, x, w, args)
        yo = run_ort(attrs, X, W, None)
        y_cf = np.transpose(y, cl_to_cf(nd)) if was_cl else y
        if close(yo, y_cf):
            CROSS["agree"] += 1
            CROSS_MAXDIFF.append(float(np.max(np.abs(yo - y_cf))) if yo.size else 0.0)
        else:
            CROSS["disagree"] += 1
            log(f"  !! TF vs ORT disagree for {args} x{x_shape} w{w_shape}")
    except Exception as ex:  # noqa: BLE001
        CROSS["ort-failed"] += 1
        log(f"  !! ORT cross-check failed for {args}: {first_line(ex)}")
    if note:
        tags.append("tf-workaround")
        if "Jacobian" in note:
            tags.append("tf-jacobian")
    case = {
        "id": next_id(f"tf{nd}d", tags),
        "op": TF_OPS[nd],
        "oracle": "tensorflow",
        "tags": tags,
        "tensors": {"input": STORE.add(x), "filters": STORE.add(w), "output": STORE.add(y)},
        "args": args,
    }
    if note:
        case["note"] = note
    CASES.append(case)
    STATS[(TF_OPS[nd], "tensorflow")] += 1
    return case


# ----------------------------------------------------------------------------
# Case lists
# ----------------------------------------------------------------------------
def ri(lo, hi):
    return int(cfg.integers(lo, hi + 1))


def pick(seq):
    return seq[int(cfg.integers(len(seq)))]


def tf_cases():
    # ---------------- 2-D -----------------
    ks_for = {1: [1, 2, 3], 2: [1, 2, 3, 4, 5], 3: [1, 2, 3, 4, 5], 4: [1, 3, 4, 5, 6, 7]}
    # sweep: strides x kernels x SAME/VALID, cycling through every accepted output size on H
    for s in (1, 2, 3, 4):
        j = 0
        for kk in ks_for[s]:
            for pad in ("SAME", "VALID"):
                sw = s if cfg.random() < 0.6 else ri(1, 4)
                kw = kk if cfg.random() < 0.6 else ri(1, 5)
                tf_case(2, ri(1, 2), [ri(1, 5), ri(1, 5)], ri(1, 4), ri(1, 4), [kk, kw], s=[s, sw],
                        padding=pad, out_pick=[j % s, None])
                j += 1
    # NCHW
    for i in range(10):
        s = [ri(1, 3), ri(1, 3)]
        k = [ri(1, 4), ri(1, 4)]
        pad = ("SAME", "VALID")[i % 2] if i < 8 else [(ri(0, 2), ri(0, 2)), (ri(0, 2), ri(0, 2))]
        tf_case(2, ri(1, 3), [ri(1, 5), ri(1, 5)], ri(1, 4), ri(1, 4), k, s=s, padding=pad, cf=True)
    # explicit padding (asymmetric), NHWC and NCHW
    for i in range(14):
        s = [ri(1, 4), ri(1, 4)]
        k = [ri(1, 5), ri(1, 5)]
        pad = [(ri(0, 3), ri(0, 3)), (ri(0, 3), ri(0, 3))]
        if i == 0:
            pad = [(0, 0), (0, 0)]
        if i == 1:
            pad = [(1, 2), (0, 1)]
        in_sp = [ri(1, 5), ri(1, 5)]
        # make sure the smallest output is >= 1
        for d_ in range(2):
            while (in_sp[d_] - 1) * s[d_] + k[d_] - sum(pad[d_]) < 1:
                pad[d_] = (max(0, pad[d_][0] - 1), pad[d_][1]) if pad[d_][0] else (0, max(0, pad[d_][1] - 1))
        tf_case(2, ri(1, 3), in_sp, ri(1, 4), ri(1, 4), k, s=s, padding=pad, cf=(i % 4 == 3),
                out_pick=[i % s[0], None])
    # dilation
    dil_cfgs = [
        ([1, 1], [2, 2], "VALID", False), ([1, 1], [2, 2], "SAME", False), ([1, 1], [3, 2], "SAME", False),
        ([1, 1], [2, 3], "VALID", True), ([2, 2], [2, 2], "SAME", False), ([2, 2], [2, 2], "VALID", False),
        ([3, 2], [2, 1], "SAME", False), ([2, 3], [3, 2], "VALID", True), ([4, 2], [2, 2], "SAME", False),
        ([2, 2], [2, 2], [(1, 0), (2, 1)], False), ([1, 1], [2, 2], [(0, 2), (1, 1)], False),
        ([3, 3], [2, 2], "SAME", True), ([1, 2], [2, 2], "VALID", False), ([2, 1], [1, 3], "SAME", False),
    ]
    for s, d, pad, cf in dil_cfgs:
        k = [ri(2, 3), ri(2, 3)]
        tf_case(2, ri(1, 2), [ri(2, 5), ri(2, 5)], ri(1, 3), ri(1, 3), k, s=s, d=d, padding=pad, cf=cf)
    # a dilations argument of all ones (passed explicitly)
    tf_case(2, 1, [3, 4], 2, 3, [3, 3], s=[2, 2], d=[1, 1], padding="SAME", force_dil_arg=True)
    # groups (filter-depth rule), depthwise
    grp_cfgs = [
        (4, 4, 2, [2, 2], "SAME", False), (6, 6, 3, [1, 1], "VALID", False), (4, 4, 4, [2, 2], "SAME", False),
        (4, 8, 4, [2, 2], "VALID", False), (6, 4, 2, [3, 3], "SAME", True), (4, 2, 2, [2, 1], "VALID", True),
        (3, 3, 3, [1, 2], "SAME", False), (8, 8, 4, [2, 2], [(1, 0), (0, 2)], False),
        (4, 4, 2, [1, 1], "SAME", False), (2, 6, 2, [3, 2], "VALID", False),
    ]
    for cin, cout, g, s, pad, cf in grp_cfgs:
        tf_case(2, ri(1, 2), [ri(2, 4), ri(2, 4)], cin, cout, [ri(1, 3), ri(1, 3)], groups=g, s=s,
                padding=pad, cf=cf)
    # groups + dilation
    tf_case(2, 1, [3, 3], 4, 4, [3, 2], groups=2, s=[1, 1], d=[2, 2], padding="SAME")
    tf_case(2, 1, [3, 4], 4, 6, [2, 3], groups=2, s=[2, 1], d=[2, 2], padding="VALID")
    # TF's 2-element (spatial only) output_shape
    for i, (s, pad) in enumerate([([2, 2], "SAME"), ([3, 2], "VALID"), ([2, 3], [(1, 0), (0, 1)]),
                                  ([1, 1], "SAME"), ([4, 4], "VALID")]):
        tf_case(2, 1 + (i % 3), [ri(2, 4), ri(2, 4)], ri(1, 4), ri(1, 4), [ri(1, 4), ri(1, 4)], s=s,
                padding=pad, os_form="spatial")
    # larger
    tf_case(2, 2, [12, 10], 8, 8, [4, 4], s=[2, 2], padding="SAME")
    tf_case(2, 1, [9, 11], 6, 5, [5, 3], s=[3, 2], padding="VALID", cf=True)
    tf_case(2, 1, [16, 16], 4, 8, [3, 3], s=[1, 1], padding="SAME")

    # ---------------- 1-D -----------------
    for s in (1, 2, 3, 4):
        for j, kk in enumerate(sorted({1, s, s + 1, 5})):
            pad = ("SAME", "VALID")[(j + s) % 2]
            tf_case(1, ri(1, 3), [ri(1, 9)], ri(1, 6), ri(1, 6), [kk], s=[s], padding=pad, out_pick=[j % s])
    for i in range(5):
        tf_case(1, ri(1, 3), [ri(1, 8)], ri(1, 5), ri(1, 5), [ri(1, 5)], s=[ri(1, 4)],
                padding=("SAME", "VALID")[i % 2], cf=True)
    for s, d, pad, cf in [([1], [2], "SAME", False), ([1], [3], "VALID", True), ([2], [2], "SAME", False),
                          ([3], [2], "VALID", False), ([2], [3], "SAME", True)]:
        tf_case(1, ri(1, 2), [ri(2, 7)], ri(1, 4), ri(1, 4), [ri(2, 4)], s=s, d=d, padding=pad, cf=cf)
    for cin, cout, g, s, pad, cf in [(4, 4, 2, [2], "SAME", False), (3, 6, 3, [1], "VALID", False),
                                     (4, 4, 4, [3], "SAME", True)]:
        tf_case(1, ri(1, 2), [ri(2, 6)], cin, cout, [ri(1, 4)], groups=g, s=s, padding=pad, cf=cf)
    tf_case(1, 2, [40], 8, 8, [7], s=[3], padding="SAME")

    # ---------------- 3-D -----------------
    for i, (s, pad) in enumerate([([1, 1, 1], "SAME"), ([1, 1, 1], "VALID"), ([2, 2, 2], "SAME"),
                                  ([2, 2, 2], "VALID"), ([3, 2, 1], "SAME"), ([1, 2, 3], "VALID"),
                                  ([2, 3, 2], "SAME"), ([3, 3, 3], "VALID"), ([4, 2, 2], "SAME"),
                                  ([2, 4, 1], "VALID"), ([2, 1, 2], "SAME"), ([1, 3, 4], "SAME")]):
        k = [ri(1, 4) for _ in range(3)]
        tf_case(3, ri(1, 2), [ri(1, 4) for _ in range(3)], ri(1, 3), ri(1, 3), k, s=s, padding=pad,
                out_pick=[i % s[0], None, None])
    for i in range(4):
        tf_case(3, ri(1, 2), [ri(1, 3) for _ in range(3)], ri(1, 3), ri(1, 3), [ri(1, 3) for _ in range(3)],
                s=[ri(1, 3) for _ in range(3)], padding=("SAME", "VALID")[i % 2], cf=True)
    for cin, cout, g, s, pad, cf in [(4, 4, 2, [2, 2, 2], "SAME", False), (3, 3, 3, [1, 2, 1], "VALID", False),
                                     (4, 2, 2, [2, 1, 2], "SAME", True)]:
        tf_case(3, 1, [ri(2, 3) for _ in range(3)], cin, cout, [ri(1, 3) for _ in range(3)], groups=g, s=s,
                padding=pad, cf=cf)
    for s, d, pad, cf in [([1, 1, 1], [2, 2, 2], "SAME", False), ([1, 1, 1], [2, 1, 3], "VALID", False),
                          ([1, 1, 1], [2, 2, 1], "SAME", True)]:
        tf_case(3, 1, [ri(2, 4) for _ in range(3)], 2, 3, [ri(2, 3) for _ in range(3)], s=s, d=d, padding=pad,
                cf=cf)
    # 3-D dilation with stride > 1: no TF CPU path -> ORT (convTranspose)
    for s, d, pad in [([2, 2, 2], [2, 2, 2], "SAME"), ([2, 1, 3], [2, 2, 1], "VALID"),
                      ([3, 2, 2], [1, 2, 2], "SAME")]:
        tf_case(3, 1, [ri(2, 3) for _ in range(3)], 2, 2, [ri(2, 3) for _ in range(3)], s=s, d=d, padding=pad)
    tf_case(3, 1, [6, 5, 4], 4, 4, [3, 3, 3], s=[2, 2, 2], padding="SAME")


def onnx_random(nd, *, N=None, C=None, M=None, group=1, k=None, s=None, d=None, pads=None, op=None,
                auto_pad=None, output_shape=None, os_form="spatial", bias=None, kernel_attr=None, in_sp=None,
                tags=(), note=None, total_parity=None):
    """Build + run an ONNX case. Unspecified pieces are randomized from the config RNG."""
    N = N or ri(1, 3)
    C = C or group * ri(1, 3)
    M = M or group * ri(1, 3)
    k = k or [ri(1, 4) for _ in range(nd)]
    s = s or [ri(1, 3) for _ in range(nd)]
    in_sp = in_sp or [ri(1, 6 if nd < 3 else 4) for _ in range(nd)]
    bias = (cfg.random() < 0.35) if bias is None else bias
    kernel_attr = (cfg.random() < 0.2) if kernel_attr is None else kernel_attr
    attrs = {}
    t = [f"{nd}d"]
    if auto_pad is not None:
        attrs["autoPad"] = auto_pad
        t.append(auto_pad.lower().replace("_", "-"))
    if d is not None:
        attrs["dilations"] = d
        if any(v > 1 for v in d):
            t.append("dilation")
    if group != 1:
        attrs["group"] = group
        t.append("depthwise" if group == C else "groups")
    if kernel_attr:
        attrs["kernelShape"] = list(k)
        t.append("kernel-shape-attr")
    if op is not None:
        attrs["outputPadding"] = op
        if any(op):
            t.append("output-padding")
    if output_shape is not None:
        attrs["outputShape"] = list(output_shape) if os_form == "spatial" else [N, M] + list(output_shape)
        t.append("output-shape" + ("-full" if os_form == "full" else "-spatial"))
    if pads is not None:
        pads = list(pads)
        while True:  # keep every output dim >= 1 (shrink the larger pad of a dim)
            _, _, out = spec_pads([N, C] + list(in_sp), [C, M // group] + list(k),
                                  {"strides": s, "dilations": d or [1] * nd, "outputPadding": op or [0] * nd,
                                   "pads": pads})
            bad = [i for i in range(nd) if out[i] < 1]
            if not bad:
                break
            i = bad[0]
            j = i if pads[i] >= pads[i + nd] else i + nd
            pads[j] -= 1
        attrs["pads"] = pads
        t.append("pads")
        if any(pads[i] != pads[i + nd] for i in range(nd)):
            t.append("asym-pads")
    if s is not None:
        attrs["strides"] = s
    # canonical attribute order
    order = ["autoPad", "dilations", "group", "kernelShape", "outputPadding", "outputShape", "pads", "strides"]
    attrs = {kk: attrs[kk] for kk in order if kk in attrs}
    X = rand([N, C] + list(in_sp))
    W = rand([C, M // group] + list(k))
    B = rand([M]) if bias else None
    if bias:
        t.append("bias")
    if N > 1:
        t.append("batch")
    # padding parity tags (spec formula)
    dd = d or [1] * nd
    oo = op or [0] * nd
    if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        osp = output_shape or [in_sp[i] * s[i] for i in range(nd)]
        tot = [s[i] * (in_sp[i] - 1) + oo[i] + dk(k[i], dd[i]) - osp[i] for i in range(nd)]
        if any(v < 0 for v in tot):
            t.append("negative-total-padding")
        t.append("odd-pad" if any(v % 2 for v in tot) else "even-pad")
    rel = set()
    for i in range(nd):
        rel.add("k-lt-s" if k[i] < s[i] else "k-eq-s" if k[i] == s[i] else "k-gt-s")
        if s[i] > 1 and k[i] % s[i]:
            rel.add("k-not-div-s")
    t += sorted(rel)
    t += list(tags)
    return onnx_case(nd, X, W, B, attrs, t, note=note)


def onnx_cases():
    # A. explicit pads / strides sweep (NOTSET)
    for nd, count in ((1, 14), (2, 26), (3, 10)):
        for i in range(count):
            s = [((i + j) % 4) + 1 for j in range(nd)] if i % 3 else [ri(1, 4) for _ in range(nd)]
            k = [pick([1, s[j], s[j] + 1, 2 * s[j] + 1, ri(1, 5)]) for j in range(nd)]
            k = [min(v, 5 if nd < 3 else 4) for v in k]
            pads = [ri(0, max(0, k[j] - 1)) for j in range(nd)] + [ri(0, max(0, k[j] - 1)) for j in range(nd)]
            if i % 5 == 0:
                pads = None  # default pads (all zero)
            onnx_random(nd, k=k, s=s, pads=pads, in_sp=[ri(1, 7 if nd < 3 else 4) for _ in range(nd)])
    # B. dilations
    for nd, s, d in [(1, [1], [2]), (1, [2], [3]), (1, [3], [2]), (2, [1, 1], [2, 2]), (2, [2, 2], [2, 2]),
                     (2, [2, 3], [3, 2]), (2, [3, 1], [1, 2]), (2, [4, 2], [2, 3]), (3, [1, 1, 1], [2, 2, 2]),
                     (3, [2, 2, 2], [2, 1, 2]), (3, [2, 1, 3], [1, 3, 2]), (2, [1, 1], [1, 1])]:
        k = [ri(2, 3) for _ in range(nd)]
        onnx_random(nd, k=k, s=s, d=d, pads=[ri(0, 2) for _ in range(2 * nd)],
                    in_sp=[ri(2, 5 if nd < 3 else 3) for _ in range(nd)])
    # C. groups / depthwise
    for nd, C, M, g, s in [(2, 4, 4, 2, [2, 2]), (2, 6, 3, 3, [1, 2]), (2, 4, 4, 4, [2, 2]), (2, 4, 8, 4, [2, 1]),
                           (2, 3, 6, 3, [3, 3]), (2, 8, 8, 8, [1, 1]), (2, 6, 4, 2, [2, 3]), (1, 4, 6, 2, [2]),
                           (1, 5, 5, 5, [3]), (1, 6, 3, 3, [1]), (3, 4, 4, 2, [2, 2, 2]), (3, 3, 3, 3, [1, 2, 1]),
                           (2, 2, 4, 2, [4, 4]), (2, 6, 6, 3, [2, 2])]:
        k = [ri(1, 3) for _ in range(nd)]
        pads = [ri(0, max(0, k[j] - 1)) for j in range(nd)] * 2 if cfg.random() < 0.5 else None
        onnx_random(nd, C=C, M=M, group=g, k=k, s=s, pads=pads, bias=None,
                    in_sp=[ri(1, 5 if nd < 3 else 3) for _ in range(nd)])
    onnx_random(2, C=4, M=4, group=2, k=[3, 3], s=[2, 2], d=[2, 2], pads=[1, 0, 0, 1], bias=True)
    onnx_random(2, C=4, M=4, group=4, k=[3, 3], s=[1, 1], auto_pad="SAME_UPPER", bias=True)
    # D. output_padding
    for nd, s, op, d in [(1, [2], [1], None), (1, [3], [2], None), (1, [4], [3], [2]), (2, [2, 2], [1, 0], None),
                         (2, [3, 2], [2, 1], None), (2, [2, 3], [1, 2], [2, 1]), (2, [4, 4], [3, 1], None),
                         (3, [2, 2, 2], [1, 0, 1], None), (3, [3, 2, 1], [1, 1, 0], None), (2, [1, 3], [0, 2], [3, 1])]:
        k = [ri(1, 4) for _ in range(nd)]
        onnx_random(nd, k=k, s=s, op=op, d=d, pads=[ri(0, 1) for _ in range(2 * nd)] if cfg.random() < 0.6 else None,
                    in_sp=[ri(1, 5 if nd < 3 else 3) for _ in range(nd)])
    onnx_random(2, k=[3, 3], s=[2, 2], op=[1, 1], auto_pad="VALID")
    # E. output_shape (NOTSET): whole accepted range, spatial + full form, with output_padding
    for i in range(18):
        nd = (1, 2, 2, 3)[i % 4]
        s = [ri(1, 4) for _ in range(nd)]
        k = [ri(1, 4) for _ in range(nd)]
        in_sp = [ri(1, 5 if nd < 3 else 3) for _ in range(nd)]
        op = [ri(0, s[j] - 1) for j in range(nd)] if i % 6 == 5 else None
        full = [s[j] * (in_sp[j] - 1) + (op[j] if op else 0) + k[j] for j in range(nd)]
        # total padding 0..min(full-1, 2*k) : covers odd and even totals
        osp = [max(1, full[j] - (i + j) % (min(full[j] - 1, 2 * k[j]) + 1)) for j in range(nd)]
        onnx_random(nd, k=k, s=s, op=op, output_shape=osp, os_form="full" if i % 3 == 1 else "spatial", in_sp=in_sp)
    # output_shape together with auto_pad SAME_UPPER / SAME_LOWER / VALID
    for i, ap in enumerate(["SAME_UPPER", "SAME_LOWER", "SAME_UPPER", "SAME_LOWER", "VALID", "SAME_UPPER"]):
        nd = (2, 2, 1, 3, 2, 1)[i]
        s = [ri(2, 3) for _ in range(nd)]
        k = [ri(2, 4) for _ in range(nd)]
        in_sp = [ri(2, 4) for _ in range(nd)]
        full = [s[j] * (in_sp[j] - 1) + k[j] for j in range(nd)]
        osp = [full[j] - 1 - (i + j) % 2 for j in range(nd)]
        onnx_random(nd, k=k, s=s, auto_pad=ap, output_shape=osp, os_form="full" if i % 2 else "spatial",
                    in_sp=in_sp)
    # F. auto_pad SAME_UPPER / SAME_LOWER without output_shape (odd and even total padding)
    for i in range(20):
        ap = ("SAME_UPPER", "SAME_LOWER")[i % 2]
        nd = (1, 2, 2, 3, 2)[(i // 2) % 5]
        s = [ri(1, 4) for _ in range(nd)]
        d = [ri(1, 2) for _ in range(nd)] if i % 5 == 4 else None
        dd = d or [1] * nd
        want_odd = (i // 2) % 2 == 0
        # total = dk - s (+op): choose k >= s so total >= 0, parity as wanted
        k = []
        for j in range(nd):
            cands = [kk for kk in range(1, 6) if dk(kk, dd[j]) >= s[j] and ((dk(kk, dd[j]) - s[j]) % 2 == 1) == want_odd]
            k.append(pick(cands) if cands else s[j])
        onnx_random(nd, k=k, s=s, d=d, auto_pad=ap, in_sp=[ri(1, 5 if nd < 3 else 3) for _ in range(nd)])
    # SAME_* with output_padding
    for ap, nd in [("SAME_UPPER", 2), ("SAME_LOWER", 2), ("SAME_UPPER", 1), ("SAME_LOWER", 3)]:
        s = [2] * nd
        onnx_random(nd, k=[3] * nd, s=s, op=[1] * nd, auto_pad=ap, in_sp=[ri(2, 4) for _ in range(nd)])
    # SAME_* with kernel shorter than stride (negative total padding per the spec formula)
    for ap, nd, k, s in [("SAME_UPPER", 1, [1], [2]), ("SAME_LOWER", 1, [1], [2]), ("SAME_UPPER", 1, [1], [3]),
                         ("SAME_LOWER", 1, [2], [3]), ("SAME_UPPER", 2, [2, 3], [4, 3]), ("SAME_LOWER", 2, [1, 2], [2, 4]),
                         ("SAME_UPPER", 2, [2, 2], [3, 3]), ("SAME_LOWER", 3, [1, 2, 1], [2, 2, 3])]:
        onnx_random(nd, k=k, s=s, auto_pad=ap, bias=False, in_sp=[ri(1, 4) for _ in range(nd)])
    # (NOTSET output_shape larger than the unpadded output is deliberately not stored: the spec formula
    # gives negative pads there, which the spec forbids; ORT appends the extra rows at the end or raises
    # "Explicit output_shape is inconsistent ..." -- see README.  Two such calls are in the error list.)
    # the onnx node test test_convtranspose_autopad_same
    X = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    W = np.ones((1, 2, 3, 3), np.float32)
    onnx_case(2, X, W, None, {"autoPad": "SAME_UPPER", "strides": [2, 2]},
              ["2d", "same-upper", "odd-pad", "onnx-node-test"],
              note="inputs of onnx backend node test test_convtranspose_autopad_same (expected first row [0,0,1,1,3,2])")
    onnx_case(2, X, W, None, {"autoPad": "SAME_LOWER", "strides": [2, 2]},
              ["2d", "same-lower", "odd-pad", "onnx-node-test"],
              note="as test_convtranspose_autopad_same but SAME_LOWER")
    # G. VALID
    for i in range(8):
        nd = (1, 2, 3, 2)[i % 4]
        s = [ri(1, 4) for _ in range(nd)]
        onnx_random(nd, k=[ri(1, 4) for _ in range(nd)], s=s, auto_pad="VALID",
                    d=[ri(1, 2) for _ in range(nd)] if i % 3 == 2 else None,
                    in_sp=[ri(1, 5 if nd < 3 else 3) for _ in range(nd)])
    # defaults only (no attributes except what is needed)
    onnx_random(2, k=[3, 3], s=None or [1, 1], bias=True)
    # H. larger
    onnx_random(2, N=2, C=8, M=8, k=[4, 4], s=[2, 2], pads=[1, 1, 1, 1], in_sp=[12, 12], bias=True)
    onnx_random(3, N=1, C=4, M=4, group=2, k=[3, 3, 3], s=[2, 2, 2], auto_pad="SAME_LOWER", in_sp=[5, 5, 4], bias=True)
    onnx_random(1, N=3, C=8, M=6, k=[5], s=[3], pads=[2, 1], in_sp=[30], bias=True)


# ----------------------------------------------------------------------------
# Error cases
# ----------------------------------------------------------------------------
def tf_error(nd, x_shape, w_shape, args, what):
    x = np.zeros(x_shape, np.float32)
    w = np.zeros(w_shape, np.float32)
    try:
        tf_direct(nd, x, w, args)
    except Exception as ex:  # noqa: BLE001
        msg = first_line(ex)
        e = {
            "id": next_id(f"err-tf{nd}d", [what]),
            "op": TF_OPS[nd],
            "oracle": "tensorflow",
            "shapes": {"input": list(x_shape), "filters": list(w_shape)},
            "args": args,
            "message": msg,
            "errorType": type(ex).__name__,
        }
        ERRORS.append(e)
        return
    log(f"  (TF accepted error candidate '{what}': {args}; not recorded)")


def ort_error(x_shape, w_shape, b_shape, attrs, what):
    X = np.zeros(x_shape, np.float32)
    W = np.zeros(w_shape, np.float32)
    B = None if b_shape is None else np.zeros(b_shape, np.float32)
    try:
        y = run_ort(attrs, X, W, B)
    except Exception as ex:  # noqa: BLE001
        shapes = {"X": list(x_shape), "W": list(w_shape)}
        if b_shape is not None:
            shapes["B"] = list(b_shape)
        e = {
            "id": next_id("err-onnx", [what]),
            "op": "convTranspose",
            "oracle": "onnxruntime",
            "shapes": shapes,
            "args": {"attrs": attrs},
            "message": first_line(ex),
            "errorType": type(ex).__name__,
        }
        try:
            run_ref(attrs, X, W, B)
            e["referenceAccepted"] = True
        except Exception as ex2:  # noqa: BLE001
            e["referenceMessage"] = f"{type(ex2).__name__}: {first_line(ex2)}"[:300]
        ERRORS.append(e)
        return
    log(f"  (ORT accepted error candidate '{what}': {attrs} -> {list(y.shape)}; not recorded)")


def error_cases():
    A = lambda os_, s, p, f="NHWC", **kw: dict(outputShape=os_, strides=s, padding=p, dataFormat=f, **kw)  # noqa: E731
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 4, 4, 4], 2, "SAME"), "same-out-too-small")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 7, 6, 4], 2, "SAME"), "same-out-too-large")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 9, 8, 4], 2, "VALID"), "valid-out-too-large")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 6, 7, 4], 2, "VALID"), "valid-out-too-small")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2],
             A([1, 8, 7, 4], 2, [[0, 0], [1, 0], [0, 1], [0, 0]]), "explicit-out-mismatch")
    tf_error(2, [1, 3, 3, 3], [3, 3, 4, 2], A([1, 6, 6, 4], 2, "SAME"), "channel-mismatch")
    tf_error(2, [1, 3, 3, 4], [3, 3, 2, 4], A([1, 6, 6, 5], 2, "SAME"), "groups-not-dividing")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 6, 6, 4], 0, "SAME"), "stride-zero")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 6, 6, 4], [2, 2, 2, 1], "SAME"), "batch-stride")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 3, 3, 4], 1, "SAME", dilations=[2, 1, 1, 1]), "batch-dilation")
    tf_error(2, [3, 3, 2], [3, 3, 4, 2], A([1, 6, 6, 4], 2, "SAME"), "input-rank-3")
    tf_error(2, [1, 3, 3, 2], [3, 4, 2], A([1, 6, 6, 4], 2, "SAME"), "filter-rank-3")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 6, 4], 2, "SAME"), "output-shape-len-3")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([2, 6, 6, 4], 2, "SAME"), "batch-mismatch")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2],
             A([1, 4, 6, 4], 2, [[0, 0], [-1, 2], [1, 0], [0, 0]]), "negative-explicit-pad")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2],
             A([1, 6, 5, 4], 2, [[1, 0], [1, 0], [1, 1], [0, 0]]), "explicit-pad-batch")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 6, 6, 4], 2, "FULL"), "bad-padding-string")
    tf_error(2, [1, 3, 3, 2], [3, 3, 4, 2], A([1, 6, 6, 4], [2, 2, 2], "SAME"), "strides-len-3")
    tf_error(1, [1, 5, 2], [3, 4, 2], A([1, 10, 4], 2, [[0, 0], [1, 0], [0, 0]], "NWC"), "explicit-pad-1d")
    tf_error(1, [1, 5, 2], [3, 4, 2], A([1, 12, 4], 2, "SAME", "NWC"), "same-out-mismatch")
    tf_error(1, [1, 5, 3], [3, 4, 2], A([1, 10, 4], 2, "SAME", "NWC"), "channel-mismatch")
    tf_error(1, [1, 5, 2], [3, 4, 2], A([1, 10, 4], 0, "SAME", "NWC"), "stride-zero")
    tf_error(3, [1, 2, 3, 2, 2], [2, 2, 2, 4, 2], A([1, 4, 7, 4, 4], 2, "SAME", "NDHWC"), "same-out-mismatch")
    tf_error(3, [1, 2, 3, 2, 4], [2, 2, 2, 2, 2], A([1, 4, 6, 4, 4], 2, "SAME", "NDHWC"), "channel-mismatch")
    tf_error(3, [1, 2, 3, 2, 2], [2, 2, 2, 4, 2], A([4, 6, 4], 2, "SAME", "NDHWC"), "output-shape-spatial-3d")
    tf_error(3, [1, 2, 3, 2, 2], [2, 2, 2, 4, 2], A([1, 4, 6, 4, 4], 0, "SAME", "NDHWC"), "stride-zero")
    tf_error(3, [1, 2, 3, 2, 2], [2, 2, 2, 4, 2],
             A([1, 4, 6, 4, 4], 2, [[0, 0], [1, 0], [0, 0], [0, 1], [0, 0]], "NDHWC"), "explicit-pad-3d")

    ort_error([1, 3, 4, 4], [2, 2, 3, 3], None, {"strides": [2, 2]}, "channel-mismatch")
    ort_error([1, 3, 4, 4], [3, 2, 3, 3], None, {"group": 2, "strides": [1, 1]}, "group-not-dividing")
    ort_error([1, 2, 4, 4], [2, 2, 3], None, {"strides": [1, 1]}, "w-rank-mismatch")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"kernelShape": [2, 2]}, "kernel-shape-mismatch")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"strides": [0, 1]}, "stride-zero")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"pads": [1, 1]}, "pads-wrong-length")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], [3], {"strides": [1, 1]}, "bias-wrong-size")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"outputShape": [8, 8, 8], "strides": [2, 2]}, "output-shape-len")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"dilations": [2, 2, 2]}, "dilations-len")
    ort_error([1, 2], [2, 2], None, {}, "no-spatial-dims")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"group": 0}, "group-zero")
    ort_error([1, 3, 3], [3, 1, 2], None, {"outputShape": [8], "strides": [2]}, "output-shape-too-large")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"outputShape": [12, 12], "strides": [2, 2]}, "output-shape-too-large")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"pads": [5, 5, 5, 5]}, "pads-too-large")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"dilations": [0, 1]}, "dilation-zero")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"outputPadding": [2, 0], "strides": [2, 2]}, "output-padding-ge-stride")
    ort_error([1, 2, 4, 4], [2, 2, 3, 3], None, {"autoPad": "FOO"}, "bad-auto-pad")


# ----------------------------------------------------------------------------
def verify(out_dir: Path = OUT_DIR) -> None:
    """Re-read manifest.json + data.bin and check structure, offsets and shapes."""
    man = json.loads((out_dir / "manifest.json").read_text())
    raw = (out_dir / man["dataFile"]).read_bytes()
    assert len(raw) % 4 == 0
    data = np.frombuffer(raw, dtype="<f4")
    total = data.size
    assert set(man["versions"]) == {"tensorflow", "onnxruntime", "onnx", "numpy", "python"}
    ids = set()
    spans = []
    for c in man["cases"]:
        assert c["id"] not in ids, c["id"]
        ids.add(c["id"])
        assert c["op"] in ("conv1dTranspose", "conv2dTranspose", "conv3dTranspose", "convTranspose")
        assert c["oracle"] in ("tensorflow", "onnxruntime", "onnx-reference")
        t = {}
        for name, ten in c["tensors"].items():
            n = int(np.prod(ten["shape"])) if ten["shape"] else 1
            off = ten["offset"]
            assert 0 <= off and off + n <= total, (c["id"], name)
            spans.append((off, off + n))
            arr = data[off:off + n].reshape(ten["shape"])
            assert np.all(np.isfinite(arr)), (c["id"], name)
            t[name] = arr
        if c["op"] == "convTranspose":
            assert set(t) in ({"X", "W", "Y"}, {"X", "W", "B", "Y"}), c["id"]
            a = c["args"]["attrs"]
            assert set(a) <= set(ATTR_NAMES), c["id"]
            _, _, out = spec_pads(t["X"].shape, t["W"].shape, a)
            g = a.get("group", 1)
            assert list(t["Y"].shape) == [t["X"].shape[0], t["W"].shape[1] * g] + out, c["id"]
        else:
            nd = int(c["op"][4])
            assert set(t) == {"input", "filters", "output"}, c["id"]
            a = c["args"]
            assert set(a) <= {"outputShape", "strides", "padding", "dataFormat", "dilations"}, c["id"]
            assert a["dataFormat"] in TF_FORMATS[nd]
            os_ = a["outputShape"]
            if len(os_) == nd + 2:
                assert list(t["output"].shape) == os_, c["id"]
            else:
                assert len(os_) == nd
                cl = a["dataFormat"] == TF_FORMATS[nd][0]
                sp = list(t["output"].shape[1:-1] if cl else t["output"].shape[2:])
                assert sp == os_, c["id"]
            assert t["filters"].ndim == nd + 2 and t["input"].ndim == nd + 2
    spans.sort()
    for (a0, a1), (b0, _) in zip(spans, spans[1:]):
        assert a1 <= b0, "overlapping tensors"
    assert spans[-1][1] == total, "unused tail in data.bin"
    for e in man["errors"]:
        assert e["id"] not in ids, e["id"]
        ids.add(e["id"])
        assert e["oracle"] in ("tensorflow", "onnxruntime") and e["message"]
        assert set(e) >= {"id", "op", "oracle", "shapes", "args", "message"}
    print(f"verify: OK ({len(man['cases'])} cases, {len(man['errors'])} errors, {total} floats)")


def main():
    if "--verify-only" in sys.argv:
        verify()
        return 0
    log(f"tensorflow {tf.__version__}, onnxruntime {ort.__version__}, onnx {onnx.__version__}, "
        f"numpy {np.__version__}, python {platform.python_version()}")
    tf_cases()
    onnx_cases()
    error_cases()

    ids = [c["id"] for c in CASES] + [e["id"] for e in ERRORS]
    assert len(ids) == len(set(ids)), "duplicate ids"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    data = STORE.bytes()
    manifest = {
        "generator": GENERATOR,
        "versions": {
            "tensorflow": tf.__version__,
            "onnxruntime": ort.__version__,
            "onnx": onnx.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "dataFile": "data.bin",
        "dtype": "float32-le",
        "seeds": {"config": CFG_SEED, "data": DATA_SEED},
        "cases": CASES,
        "errors": ERRORS,
    }
    (OUT_DIR / "data.bin").write_bytes(data)
    with open(OUT_DIR / "manifest.json", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")

    verify()
    print("\n==== summary ====")
    for (op, oracle), n in sorted(STATS.items()):
        print(f"  {op:16s} {oracle:15s} {n}")
    print(f"  cases: {len(CASES)}  errors: {len(ERRORS)}  floats: {STORE.n}  data.bin bytes: {len(data)}")
    print(f"  TF-vs-ORT cross-check of TF cases: {dict(CROSS)}, max |TF-ORT| = {max(CROSS_MAXDIFF):.3g}")
    print("  TF gaps worked around:")
    for k, n in sorted(TF_GAPS.items()):
        print(f"    [{n}] {k}")
    print("  ORT / reference vs spec findings:")
    for fnd in FINDINGS:
        print(f"    {fnd}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
