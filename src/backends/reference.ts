/**
 * The reference backend: transposed convolution in plain TypeScript. It is the oracle every other
 * backend is tested against and the fallback when no native build loads, so it is written to be
 * obviously right first and reasonably fast second:
 *
 * - gather form: each output element is one sum, accumulated in a double (JS numbers) over every
 *   (kernel tap, input channel) pair that reaches it and rounded to float32 once;
 * - channels-last inner loops: a tap's contribution is a dot product of a contiguous input-channel
 *   row with a contiguous weight row;
 * - register blocking: two output pixels of a row that use the same kernel taps (pixels one stride
 *   apart) × four output channels are summed together, so each weight loaded feeds two sums and each
 *   input value four; the last Mg mod 4 channels go together the same way (the last weight row
 *   standing in for missing ones), or two pixels × one channel when that is a single channel;
 * - weights are read in TensorFlow's layout [tap][outChannel][inChannel], where the four weight rows
 *   of a block are adjacent: TF filters are used in place, ONNX filters are repacked once per call;
 * - an output row at a time, channel block by channel block, so the block's weight rows stay in
 *   cache while the row's input is swept;
 * - the hot loops are small functions of their own, so V8 optimizes each one with complete type
 *   feedback (one large function got optimized early, on-stack, and then deoptimized repeatedly);
 * - every spatial rank is run as 3-D (missing dimensions have size 1), so there is one kernel.
 */
import type { ConvTransposeProblem } from '../problem/index.js';

/** Problem dimensions promoted to three spatial axes (D, H, W), leading ones of size 1. */
/** A spatial list of 1–3 entries as 3, padded at the front with `fill` (neutral outer axes). */
export function to3d(values: readonly number[], fill: number): [number, number, number] {
  const padded = [...new Array<number>(3 - values.length).fill(fill), ...values];
  return [padded[0]!, padded[1]!, padded[2]!];
}

/**
 * For each output coordinate along one axis, the (kernel index, input index) pairs that reach it:
 * i·stride + k·dilation − padBegin = o, 0 ≤ i < inSize. Stored flat: pairs of `start[o]..start[o+1]`.
 */
interface AxisTaps {
  readonly start: Int32Array;
  readonly kernelIndex: Int32Array;
  readonly inputIndex: Int32Array;
}

function axisTaps(outSize: number, inSize: number, kernel: number, stride: number, dilation: number, padBegin: number): AxisTaps {
  const start = new Int32Array(outSize + 1);
  const ks: number[] = [];
  const is: number[] = [];
  for (let o = 0; o < outSize; o++) {
    start[o] = ks.length;
    for (let k = 0; k < kernel; k++) {
      const t = o + padBegin - k * dilation;
      if (t < 0 || t % stride !== 0) continue;
      const i = t / stride;
      if (i < inSize) {
        ks.push(k);
        is.push(i);
      }
    }
  }
  start[outSize] = ks.length;
  return { start, kernelIndex: Int32Array.from(ks), inputIndex: Int32Array.from(is) };
}

/** Input as channels-last [N, S, C]; the caller's array itself when it already is. */
function channelsLastInput(p: ConvTransposeProblem, x: Float32Array, spatial: number): Float32Array {
  if (p.layout === 'channelsLast') return x;
  const C = p.inChannels;
  const out = new Float32Array(x.length);
  for (let n = 0; n < p.batch; n++) {
    const base = n * C * spatial;
    for (let c = 0; c < C; c++) {
      const from = base + c * spatial;
      for (let s = 0; s < spatial; s++) out[base + s * C + c] = x[from + s]!;
    }
  }
  return out;
}

/**
 * Weights in TensorFlow's layout [tap][outChannel in group][inChannel], where the weights of one
 * (tap, output channel) pair for one group are the contiguous row of Cg values at
 * `(tap·Mg + m)·C + g·Cg`. TF filters already are: they are used as they come, uncopied. ONNX
 * filters ([C][Mg][tap]) are repacked once per call.
 */
function tfLayoutWeights(p: ConvTransposeProblem, w: Float32Array, taps: number): Float32Array {
  if (p.filterLayout === 'spatialOutIn') return w;
  const C = p.inChannels;
  const Mg = p.outChannels / p.groups;
  const packed = new Float32Array(w.length);
  for (let c = 0; c < C; c++) {
    for (let m = 0; m < Mg; m++) {
      const from = (c * Mg + m) * taps;
      for (let t = 0; t < taps; t++) packed[(t * Mg + m) * C + c] = w[from + t]!;
    }
  }
  return packed;
}

/**
 * One output row's contributions, gathered once and shared by every group and output channel.
 * For pixel j of the row, entries start[j]..start[j+1] of `input` and `tap` give, per contribution,
 * the input pixel's offset in the channels-last input and the tap's weight offset in the weights.
 * The pixels are then grouped in blocks (first[b], second[b]) of two pixels with the same taps, in
 * the same order, so the same weight rows; second[b] is -1 for a pixel on its own.
 */
interface Row {
  readonly start: Int32Array;
  readonly input: Int32Array;
  readonly tap: Int32Array;
  readonly first: Int32Array;
  readonly second: Int32Array;
  readonly paired: Uint8Array;
  blocks: number;
}

function newRow(width: number, kernelTaps: number): Row {
  return {
    start: new Int32Array(width + 1),
    input: new Int32Array(width * kernelTaps),
    tap: new Int32Array(width * kernelTaps),
    first: new Int32Array(width),
    second: new Int32Array(width),
    paired: new Uint8Array(width),
    blocks: 0,
  };
}

/** Whether pixels p and q of the row have the same taps, in the same order. */
function sameTaps(row: Row, p: number, q: number): boolean {
  const { start, tap } = row;
  const n = start[p + 1]! - start[p]!;
  if (start[q + 1]! - start[q]! !== n) return false;
  for (let i = 0; i < n; i++) {
    if (tap[start[p]! + i] !== tap[start[q]! + i]) return false;
  }
  return true;
}

/**
 * Pairs each pixel with the next one at the same phase (`stride` further on) when their taps are
 * the same, which is every such pair away from the row's ends.
 */
function pairPixels(row: Row, width: number, stride: number): void {
  const { first, second, paired } = row;
  paired.fill(0);
  let blocks = 0;
  for (let j = 0; j < width; j++) {
    if (paired[j]) continue;
    const partner = j + stride;
    const both = partner < width && sameTaps(row, j, partner);
    first[blocks] = j;
    second[blocks] = both ? partner : -1;
    if (both) paired[partner] = 1;
    blocks++;
  }
  row.blocks = blocks;
}

/**
 * Up to four output channels (`width`, 2 to 4) of one output row: for every block of the row, the
 * sums of its pixels over their taps and the Cg input channels of the group (input from `xGroup`
 * within each pixel, weights from `wBase` within each tap's rows, channel rows `mStride` apart);
 * written at `outRow` + pixel·pixelStride + k·channelStride for channel k of the block, plus its
 * bias `bk`. With fewer than four channels the last weight row stands in for the missing ones and
 * their sums are dropped: that costs less than sweeping the row once per channel.
 */
function rowChannels4(
  row: Row,
  xs: Float32Array,
  wt: Float32Array,
  xGroup: number,
  wBase: number,
  mStride: number,
  Cg: number,
  out: Float32Array,
  outRow: number,
  pixelStride: number,
  channelStride: number,
  b0: number,
  b1: number,
  b2: number,
  b3: number,
  width: number,
): void {
  const { start, input, tap, first, second, blocks } = row;
  const step1 = width > 1 ? mStride : 0;
  const step2 = width > 2 ? mStride : 0;
  const step3 = width > 3 ? mStride : 0;
  for (let blk = 0; blk < blocks; blk++) {
    const p0 = first[blk]!;
    const p1 = second[blk]!;
    const begin = start[p0]!;
    const end = start[p0 + 1]!;
    const o0 = outRow + p0 * pixelStride;
    if (p1 >= 0) {
      const shift = start[p1]! - begin; // p1's contributions are p0's, this much further on
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0; // pixel p0
      let e0 = 0, e1 = 0, e2 = 0, e3 = 0; // pixel p1
      for (let t = begin; t < end; t++) {
        const xa = input[t]! + xGroup;
        const xb = input[t + shift]! + xGroup;
        const w0 = wBase + tap[t]!;
        const w1 = w0 + step1;
        const w2 = w1 + step2;
        const w3 = w2 + step3;
        for (let c = 0; c < Cg; c++) {
          const xva = xs[xa + c]!;
          const xvb = xs[xb + c]!;
          const v0 = wt[w0 + c]!;
          const v1 = wt[w1 + c]!;
          const v2 = wt[w2 + c]!;
          const v3 = wt[w3 + c]!;
          a0 += xva * v0;
          a1 += xva * v1;
          a2 += xva * v2;
          a3 += xva * v3;
          e0 += xvb * v0;
          e1 += xvb * v1;
          e2 += xvb * v2;
          e3 += xvb * v3;
        }
      }
      const o1 = outRow + p1 * pixelStride;
      out[o1] = e0 + b0;
      out[o1 + channelStride] = e1 + b1;
      if (width > 2) out[o1 + 2 * channelStride] = e2 + b2;
      if (width > 3) out[o1 + 3 * channelStride] = e3 + b3;
      out[o0] = a0 + b0;
      out[o0 + channelStride] = a1 + b1;
      if (width > 2) out[o0 + 2 * channelStride] = a2 + b2;
      if (width > 3) out[o0 + 3 * channelStride] = a3 + b3;
    } else {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let t = begin; t < end; t++) {
        const xa = input[t]! + xGroup;
        const w0 = wBase + tap[t]!;
        const w1 = w0 + step1;
        const w2 = w1 + step2;
        const w3 = w2 + step3;
        for (let c = 0; c < Cg; c++) {
          const xva = xs[xa + c]!;
          a0 += xva * wt[w0 + c]!;
          a1 += xva * wt[w1 + c]!;
          a2 += xva * wt[w2 + c]!;
          a3 += xva * wt[w3 + c]!;
        }
      }
      out[o0] = a0 + b0;
      out[o0 + channelStride] = a1 + b1;
      if (width > 2) out[o0 + 2 * channelStride] = a2 + b2;
      if (width > 3) out[o0 + 3 * channelStride] = a3 + b3;
    }
  }
}

/** As rowChannels4 for one output channel (a lone pixel is summed twice and written once). */
function rowChannel1(
  row: Row,
  xs: Float32Array,
  wt: Float32Array,
  xGroup: number,
  wBase: number,
  Cg: number,
  out: Float32Array,
  outRow: number,
  pixelStride: number,
  b0: number,
): void {
  const { start, input, tap, first, second, blocks } = row;
  for (let blk = 0; blk < blocks; blk++) {
    const p0 = first[blk]!;
    const p1 = second[blk]!;
    const begin = start[p0]!;
    const end = start[p0 + 1]!;
    const shift = p1 >= 0 ? start[p1]! - begin : 0;
    let a0 = 0;
    let e0 = 0;
    for (let t = begin; t < end; t++) {
      const xa = input[t]! + xGroup;
      const xb = input[t + shift]! + xGroup;
      const w0 = wBase + tap[t]!;
      for (let c = 0; c < Cg; c++) {
        const v0 = wt[w0 + c]!;
        a0 += xs[xa + c]! * v0;
        e0 += xs[xb + c]! * v0;
      }
    }
    out[outRow + p0 * pixelStride] = a0 + b0;
    if (p1 >= 0) out[outRow + p1 * pixelStride] = e0 + b0;
  }
}

/** The bias of an output channel, 0 without a bias or for a channel that is not there. */
function biasOf(bias: Float32Array | undefined, channel: number, present: boolean): number {
  return bias && present ? bias[channel]! : 0;
}

/**
 * Computes the problem into `out` (which must hold exactly the output's elements; every element is
 * written). `x`, `w` and `bias` are read only.
 */
export function referenceConvTranspose(
  p: ConvTransposeProblem,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | undefined,
  out: Float32Array,
): void {
  const [ID, IH, IW] = to3d(p.inSpatial, 1);
  const [OD, OH, OW] = to3d(p.outSpatial, 1);
  const [KD, KH, KW] = to3d(p.kernel, 1);
  const [SD, SH, SW] = to3d(p.strides, 1);
  const [DD, DH, DW] = to3d(p.dilations, 1);
  const [PD, PH, PW] = to3d(p.padsBegin, 0);
  const N = p.batch;
  const C = p.inChannels;
  const M = p.outChannels;
  const G = p.groups;
  const Cg = C / G;
  const Mg = M / G;
  const K = KD * KH * KW;
  const inPixels = ID * IH * IW;
  const outPixels = OD * OH * OW;
  if (out.length === 0) return;

  const xs = channelsLastInput(p, x, inPixels);
  const wt = tfLayoutWeights(p, w, K);
  const tapsD = axisTaps(OD, ID, KD, SD, DD, PD);
  const tapsH = axisTaps(OH, IH, KH, SH, DH, PH);
  const tapsW = axisTaps(OW, IW, KW, SW, DW, PW);
  // Distances in wt between the rows of consecutive output channels and of consecutive taps.
  const mStride = C;
  const tapStride = Mg * C;

  // Where output element (n, pixel, m) lives.
  const channelsLast = p.layout === 'channelsLast';
  const pixelStride = channelsLast ? M : 1;
  const channelStride = channelsLast ? 1 : outPixels;
  const batchStride = M * outPixels;

  const row = newRow(OW, K);
  for (let n = 0; n < N; n++) {
    const xBatch = n * inPixels * C;
    const outBatch = n * batchStride;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        // Gather the row's contributions.
        let count = 0;
        for (let ow = 0; ow < OW; ow++) {
          row.start[ow] = count;
          for (let a = tapsD.start[od]!; a < tapsD.start[od + 1]!; a++) {
            const kd = tapsD.kernelIndex[a]!;
            const id = tapsD.inputIndex[a]!;
            for (let b = tapsH.start[oh]!; b < tapsH.start[oh + 1]!; b++) {
              const kdh = kd * KH + tapsH.kernelIndex[b]!;
              const idh = id * IH + tapsH.inputIndex[b]!;
              for (let e = tapsW.start[ow]!; e < tapsW.start[ow + 1]!; e++) {
                row.input[count] = xBatch + (idh * IW + tapsW.inputIndex[e]!) * C;
                row.tap[count] = (kdh * KW + tapsW.kernelIndex[e]!) * tapStride;
                count++;
              }
            }
          }
        }
        row.start[OW] = count;
        pairPixels(row, OW, SW);

        const outRow = outBatch + (od * OH + oh) * OW * pixelStride;
        for (let g = 0; g < G; g++) {
          const xGroup = g * Cg;
          // Four output channels at a time; the last Mg mod 4 together as well, unless that is one.
          for (let m = 0; m < Mg; m += 4) {
            const width = Math.min(4, Mg - m);
            const oc = g * Mg + m;
            const wBase = m * mStride + xGroup;
            const outChannel = outRow + oc * channelStride;
            if (width === 1) {
              rowChannel1(row, xs, wt, xGroup, wBase, Cg, out, outChannel, pixelStride, bias ? bias[oc]! : 0);
              continue;
            }
            rowChannels4(
              row, xs, wt, xGroup, wBase, mStride, Cg, out, outChannel, pixelStride, channelStride,
              biasOf(bias, oc, true), biasOf(bias, oc + 1, width > 1), biasOf(bias, oc + 2, width > 2), biasOf(bias, oc + 3, width > 3),
              width,
            );
          }
        }
      }
    }
  }
}
