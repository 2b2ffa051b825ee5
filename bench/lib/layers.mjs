// The suite's layers: what each system needs to know about one (shapes, pads, FLOPs, its TF
// spelling), and the choice of layers a run measures (--suite, --layers, --batch, --quick).
import { readFileSync } from 'node:fs';
import { prod } from './util.mjs';

export const SUITES = ['dcgan', 'radford', 'unet', 'fsrcnn', 'style', 'depthwise', 'dilated', '1d', '3d', 'tiny'];
// --quick: one mid-size layer per suite (10-60 ms each on 2 cores), so that a run stays under a minute.
export const QUICK_LAYERS = ['dcgan-g5-b64', 'radford-4-b16', 'unet-2-b1', 'fsrcnn-x3', 'style-up-64-b4', 'grouped-k4-g32', 'dilated-k3-d2', '1d-hifigan-up1', '3d-k3s2', 'tiny-overhead'];

export function loadSuite(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The spec with batch N (x[0], and the TF output shape's), renamed <name without -bK>-bN. */
export function withBatch(spec, batch) {
  const out = { ...spec, x: [batch, ...spec.x.slice(1)], name: `${spec.name.replace(/-b\d+$/, '')}-b${batch}` };
  if (spec.tfSame) out.tfSame = { ...spec.tfSame, outputShape: [batch, ...spec.tfSame.outputShape.slice(1)] };
  return out;
}

/**
 * The layers a run measures: --suite (names or 'all'), then --layers (names, which win over
 * --suite), --quick (one per suite unless --layers), --batch (every layer at that batch, duplicates
 * dropped). Unknown names throw a RangeError naming the option.
 */
export function selectLayers(suite, { suites = ['all'], layers, quick = false, batch } = {}) {
  let specs = suite.layers;
  if (!suites.includes('all')) {
    for (const s of suites) if (!SUITES.includes(s)) throw new RangeError(`--suite: unknown suite '${s}' (${SUITES.join(', ')}, all)`);
    specs = specs.filter((l) => suites.includes(l.suite));
  }
  if (layers?.length) {
    for (const n of layers) if (!suite.layers.some((l) => l.name === n)) throw new RangeError(`--layers: no layer '${n}' in the suite`);
    specs = suite.layers.filter((l) => layers.includes(l.name));
  } else if (quick) {
    specs = specs.filter((l) => QUICK_LAYERS.includes(l.name));
  }
  if (batch !== undefined) {
    const seen = new Set();
    specs = specs.map((s) => withBatch(s, batch)).filter((s) => !seen.has(s.name) && seen.add(s.name));
  }
  return specs.map(deriveLayer);
}

/** Everything the systems need about one suite layer. */
export function deriveLayer(spec) {
  const rank = spec.x.length - 2;
  const [N, C, ...inS] = spec.x;
  const [wC, Mg, ...K] = spec.w;
  if (wC !== C) throw new Error(`${spec.name}: w[0] = ${wC} but x has ${C} channels`);
  const group = spec.group ?? 1;
  const M = Mg * group;
  const strides = spec.strides ?? Array(rank).fill(1);
  const dilations = spec.dilations ?? Array(rank).fill(1);
  const outputPadding = spec.outputPadding ?? Array(rank).fill(0);
  let padsBegin;
  let padsEnd;
  let padsNote;
  if (spec.pads) {
    padsBegin = spec.pads.slice(0, rank);
    padsEnd = spec.pads.slice(rank);
  } else if (spec.tfSame) {
    // TF SAME with the given output shape: total = (in-1)·s + (k-1)·d + 1 − out, odd unit at the end
    // (= ONNX SAME_UPPER); written as explicit ONNX pads for every ONNX-convention system.
    const outSp = spec.tfSame.outputShape.slice(1, 1 + rank);
    padsBegin = [];
    padsEnd = [];
    for (let i = 0; i < rank; i++) {
      const total = Math.max(0, (inS[i] - 1) * strides[i] + (K[i] - 1) * dilations[i] + 1 + outputPadding[i] - outSp[i]);
      padsBegin.push(Math.floor(total / 2));
      padsEnd.push(total - Math.floor(total / 2));
    }
    padsNote = `pads from TF SAME: [${padsBegin.join(',')}, ${padsEnd.join(',')}]`;
  } else {
    padsBegin = Array(rank).fill(0);
    padsEnd = Array(rank).fill(0);
  }
  const outS = inS.map((n, i) => strides[i] * (n - 1) + outputPadding[i] + (K[i] - 1) * dilations[i] + 1 - padsBegin[i] - padsEnd[i]);
  const xShape = [N, C, ...inS];
  const yShape = [N, M, ...outS];
  const flops = 2 * N * C * Mg * prod(K) * prod(inS);
  const layer = {
    spec,
    name: spec.name,
    suite: spec.suite,
    rank,
    N,
    C,
    M,
    Mg,
    group,
    inS,
    outS,
    K,
    strides,
    dilations,
    outputPadding,
    padsBegin,
    padsEnd,
    padsNote,
    xShape,
    wShape: spec.w,
    yShape,
    flops,
    gflop: flops / 1e9,
  };
  layer.onnxAttrs = {
    strides,
    pads: [...padsBegin, ...padsEnd],
    dilations,
    group,
    outputPadding,
  };
  layer.tf = tfMapping(layer);
  return layer;
}

/**
 * How the layer is spelled as tf.nn.conv{1,2,3}d_transpose (channels last, filters [...K, Mg, C]):
 * VALID or SAME when TF's rule gives exactly the ONNX pads, else explicit padding (2-D only; 1-D
 * as conv2d_transpose over a unit H, which is what tf.nn.conv1d_transpose does inside), else none.
 */
export function tfMapping(L) {
  const { rank, inS, outS, K, strides: s, dilations: d, padsBegin: pb, padsEnd: pe, outputPadding: op } = L;
  const keff = K.map((k, i) => (k - 1) * d[i] + 1);
  const outputShape = [L.N, ...outS, L.M];
  const base = { op: `conv${rank}d_transpose`, rank, xShape: [L.N, ...inS, L.C], wShape: [...K, L.Mg, L.C], outputShape, strides: s, dilations: d };
  // VALID: no padding at the beginning; the output may extend up to s−1 past the full one.
  const valid = pb.every((p) => p === 0) && op.every((o, i) => o - pe[i] >= 0 && o - pe[i] < s[i]);
  if (valid) return { ...base, padding: 'VALID', spelled: 'VALID' };
  // SAME: ceil(out/s) = in and TF's pad_before = floor(total/2) equals ONNX's begin pad.
  const same = outS.every((o, i) => {
    const total = Math.max(0, (inS[i] - 1) * s[i] + keff[i] - o);
    return Math.ceil(o / s[i]) === inS[i] && Math.floor(total / 2) === pb[i];
  });
  if (same) return { ...base, padding: 'SAME', spelled: 'SAME' };
  // Explicit: TF needs floor((out + pb + pe − keff)/s) + 1 = in, i.e. output padding < stride.
  const explicitOk = op.every((o, i) => o < s[i]) && pb.every((p) => p >= 0) && pe.every((p) => p >= 0);
  if (!explicitOk) return { ...base, skip: 'output padding ≥ stride has no TF spelling' };
  if (rank === 2) {
    return { ...base, padding: [[0, 0], [pb[0], pe[0]], [pb[1], pe[1]], [0, 0]], spelled: `explicit [[${pb[0]},${pe[0]}],[${pb[1]},${pe[1]}]]` };
  }
  if (rank === 1) {
    return {
      ...base,
      op: 'conv2d_transpose',
      rank: 2,
      via2d: true,
      xShape: [L.N, 1, inS[0], L.C],
      wShape: [1, K[0], L.Mg, L.C],
      outputShape: [L.N, 1, outS[0], L.M],
      strides: [1, s[0]],
      dilations: [1, d[0]],
      padding: [[0, 0], [0, 0], [pb[0], pe[0]], [0, 0]],
      spelled: `conv2d_transpose over H=1, explicit [[0,0],[${pb[0]},${pe[0]}]] (what conv1d_transpose does inside; it has no explicit padding)`,
    };
  }
  return { ...base, skip: `pads [${pb.join(',')}, ${pe.join(',')}] with output padding [${op.join(',')}] are neither SAME nor VALID, and conv3d_transpose takes no explicit padding` };
}
