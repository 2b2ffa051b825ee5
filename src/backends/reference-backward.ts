/**
 * The reference gradients (see src/problem/backward.ts for the formulas): plain TypeScript,
 * every sum accumulated in a double and rounded to float32 once. Activations and dy are read in
 * channels-last order [N, pixels, channels] and weights in TensorFlow's [tap][Mg][C] order, so the
 * innermost loops run over contiguous channel rows; other layouts are converted once per call.
 * Every rank runs as 3-D (missing leading axes have size 1).
 */
import type { ConvTransposeProblem } from '../problem/index.js';
import { to3d } from './reference.js';

/** Gradient buffers to fill; absent ones are not computed. Lengths are exact. */
export interface GradientOutputs {
  dX?: Float32Array;
  dW?: Float32Array;
  dB?: Float32Array;
}

/**
 * For each input coordinate i along one axis, the (kernel index, output index) pairs it reaches:
 * o = i·stride + k·dilation − padBegin with 0 ≤ o < outSize. Pairs of i are start[i]..start[i+1].
 */
interface AxisReach {
  readonly start: Int32Array;
  readonly kernelIndex: Int32Array;
  readonly outputIndex: Int32Array;
}

function axisReach(inSize: number, outSize: number, kernel: number, stride: number, dilation: number, padBegin: number): AxisReach {
  const start = new Int32Array(inSize + 1);
  const ks: number[] = [];
  const os: number[] = [];
  for (let i = 0; i < inSize; i++) {
    start[i] = ks.length;
    for (let k = 0; k < kernel; k++) {
      const o = i * stride + k * dilation - padBegin;
      if (o >= 0 && o < outSize) {
        ks.push(k);
        os.push(o);
      }
    }
  }
  start[inSize] = ks.length;
  return { start, kernelIndex: Int32Array.from(ks), outputIndex: Int32Array.from(os) };
}

/** [N, C, S] → [N, S, C] (or the array itself when already channels last). */
function toChannelsLast(channelsLast: boolean, data: Float32Array, batch: number, channels: number, spatial: number): Float32Array {
  if (channelsLast) return data;
  const out = new Float32Array(data.length);
  for (let n = 0; n < batch; n++) {
    const base = n * channels * spatial;
    for (let c = 0; c < channels; c++) {
      for (let s = 0; s < spatial; s++) out[base + s * channels + c] = data[base + c * spatial + s]!;
    }
  }
  return out;
}

/** Writes one pixel's channel sums (float64) into a tensor of the problem's layout. */
function storePixel(
  channelsLast: boolean,
  target: Float32Array,
  acc: Float64Array,
  n: number,
  pixel: number,
  channels: number,
  spatial: number,
): void {
  if (channelsLast) {
    const base = (n * spatial + pixel) * channels;
    for (let c = 0; c < channels; c++) target[base + c] = acc[c]!;
  } else {
    const base = n * channels * spatial + pixel;
    for (let c = 0; c < channels; c++) target[base + c * spatial] = acc[c]!;
  }
}

/** Filter in TF layout [tap][Mg][C] (the caller's array when already so). */
function tfLayoutFilter(p: ConvTransposeProblem, w: Float32Array, taps: number, Mg: number): Float32Array {
  if (p.filterLayout === 'spatialOutIn') return w;
  const C = p.inChannels;
  const out = new Float32Array(w.length);
  for (let c = 0; c < C; c++)
    for (let m = 0; m < Mg; m++) for (let t = 0; t < taps; t++) out[(t * Mg + m) * C + c] = w[(c * Mg + m) * taps + t]!;
  return out;
}

/**
 * Visits, for every batch item and input pixel, every (tap, output pixel) pair the pixel reaches,
 * calling `pixelStart` once per pixel and `reach` once per pair, then `pixelEnd`.
 */
function forEachReach(
  p: ConvTransposeProblem,
  pixelStart: (n: number, inPixel: number) => void,
  reach: (n: number, inPixel: number, tap: number, outPixel: number) => void,
  pixelEnd: (n: number, inPixel: number) => void,
): void {
  const [ID, IH, IW] = to3d(p.inSpatial, 1);
  const [OD, OH, OW] = to3d(p.outSpatial, 1);
  const [KD, KH, KW] = to3d(p.kernel, 1);
  const [SD, SH, SW] = to3d(p.strides, 1);
  const [DD, DH, DW] = to3d(p.dilations, 1);
  const [PD, PH, PW] = to3d(p.padsBegin, 0);
  const rd = axisReach(ID, OD, KD, SD, DD, PD);
  const rh = axisReach(IH, OH, KH, SH, DH, PH);
  const rw = axisReach(IW, OW, KW, SW, DW, PW);
  for (let n = 0; n < p.batch; n++) {
    for (let id = 0; id < ID; id++) {
      for (let ih = 0; ih < IH; ih++) {
        for (let iw = 0; iw < IW; iw++) {
          const inPixel = (id * IH + ih) * IW + iw;
          pixelStart(n, inPixel);
          for (let a = rd.start[id]!; a < rd.start[id + 1]!; a++) {
            const kd = rd.kernelIndex[a]!;
            const od = rd.outputIndex[a]!;
            for (let b = rh.start[ih]!; b < rh.start[ih + 1]!; b++) {
              const kdh = kd * KH + rh.kernelIndex[b]!;
              const odh = od * OH + rh.outputIndex[b]!;
              for (let e = rw.start[iw]!; e < rw.start[iw + 1]!; e++) {
                reach(n, inPixel, kdh * KW + rw.kernelIndex[e]!, odh * OW + rw.outputIndex[e]!);
              }
            }
          }
          pixelEnd(n, inPixel);
        }
      }
    }
  }
}

/**
 * Computes the wanted gradients of `p` (bias and activation ignored) from the input x, the
 * filters w and the output gradient dy, each in the problem's layouts. Every element of every
 * given output buffer is written.
 */
export function referenceConvTransposeBackward(
  p: ConvTransposeProblem,
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  outputs: GradientOutputs,
): void {
  const prod = (a: readonly number[]) => a.reduce((u, v) => u * v, 1);
  const N = p.batch;
  const C = p.inChannels;
  const M = p.outChannels;
  const G = p.groups;
  const Cg = C / G;
  const Mg = M / G;
  const taps = prod(p.kernel);
  const inPixels = prod(p.inSpatial);
  const outPixels = prod(p.outSpatial);
  const last = p.layout === 'channelsLast';
  const dys = toChannelsLast(last, dy, N, M, outPixels);

  if (outputs.dB) {
    const acc = new Float64Array(M);
    for (let q = 0; q < N * outPixels; q++) for (let m = 0; m < M; m++) acc[m]! += dys[q * M + m]!;
    outputs.dB.set(acc);
  }

  const { dX, dW } = outputs;
  if (dX) {
    const wt = tfLayoutFilter(p, w, taps, Mg);
    const acc = new Float64Array(C);
    forEachReach(
      p,
      () => acc.fill(0),
      (n, _inPixel, tap, outPixel) => {
        const dyBase = (n * outPixels + outPixel) * M;
        for (let g = 0; g < G; g++) {
          const cBase = g * Cg;
          for (let m = 0; m < Mg; m++) {
            const v = dys[dyBase + g * Mg + m]!;
            if (v === 0) continue;
            const wBase = (tap * Mg + m) * C + cBase;
            for (let c = 0; c < Cg; c++) acc[cBase + c]! += v * wt[wBase + c]!;
          }
        }
      },
      (n, inPixel) => storePixel(last, dX, acc, n, inPixel, C, inPixels),
    );
  }

  if (dW) {
    const xs = toChannelsLast(last, x, N, C, inPixels);
    const acc = new Float64Array(taps * Mg * C); // TF layout [tap][Mg][C]
    forEachReach(
      p,
      () => undefined,
      (n, inPixel, tap, outPixel) => {
        const dyBase = (n * outPixels + outPixel) * M;
        const xBase = (n * inPixels + inPixel) * C;
        for (let g = 0; g < G; g++) {
          const cBase = g * Cg;
          for (let m = 0; m < Mg; m++) {
            const v = dys[dyBase + g * Mg + m]!;
            if (v === 0) continue;
            const wBase = (tap * Mg + m) * C + cBase;
            for (let c = 0; c < Cg; c++) acc[wBase + c]! += v * xs[xBase + cBase + c]!;
          }
        }
      },
      () => undefined,
    );
    if (p.filterLayout === 'spatialOutIn') {
      dW.set(acc);
    } else {
      for (let c = 0; c < C; c++)
        for (let m = 0; m < Mg; m++) for (let t = 0; t < taps; t++) dW[(c * Mg + m) * taps + t] = acc[(t * Mg + m) * C + c]!;
    }
  }
}
