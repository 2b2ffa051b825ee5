/**
 * The reference backend: transposed convolution in plain TypeScript. It is the oracle every other
 * backend is tested against and the fallback when no native build loads, so it is written to be
 * obviously right first and reasonably fast second:
 *
 * - gather form: each output element is one sum, accumulated in a double (JS numbers) over every
 *   (kernel tap, input channel) pair that reaches it and rounded to float32 once;
 * - channels-last inner loops: a tap's contribution is a dot product of a contiguous input-channel
 *   row with a contiguous weight row, four output channels at a time to reuse each input load;
 * - weights are repacked once per call into [group][outChannel][tap][inChannel] so that the four
 *   weight rows of a block stay in cache while one output row is produced;
 * - every spatial rank is run as 3-D (missing dimensions have size 1), so there is one kernel.
 */
import type { ConvTransposeProblem } from '../problem/index.js';

/** Problem dimensions promoted to three spatial axes (D, H, W), leading ones of size 1. */
function to3d(values: readonly number[], fill: number): [number, number, number] {
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

/** Weights as [group][outChannel in group][tap][inChannel in group]. */
function packWeights(p: ConvTransposeProblem, w: Float32Array, taps: number): Float32Array {
  const { groups, inChannels: C } = p;
  const Cg = C / groups;
  const Mg = p.outChannels / groups;
  const packed = new Float32Array(groups * Mg * taps * Cg);
  for (let g = 0; g < groups; g++) {
    for (let m = 0; m < Mg; m++) {
      for (let t = 0; t < taps; t++) {
        const dst = ((g * Mg + m) * taps + t) * Cg;
        for (let c = 0; c < Cg; c++) {
          const ic = g * Cg + c;
          // TF: [K..., Mg, C]; ONNX: [C, Mg, K...].
          const src = p.filterLayout === 'spatialOutIn' ? (t * Mg + m) * C + ic : (ic * Mg + m) * taps + t;
          packed[dst + c] = w[src]!;
        }
      }
    }
  }
  return packed;
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
  const wp = packWeights(p, w, K);
  const tapsD = axisTaps(OD, ID, KD, SD, DD, PD);
  const tapsH = axisTaps(OH, IH, KH, SH, DH, PH);
  const tapsW = axisTaps(OW, IW, KW, SW, DW, PW);

  // Where output element (n, pixel, m) lives.
  const channelsLast = p.layout === 'channelsLast';
  const pixelStride = channelsLast ? M : 1;
  const channelStride = channelsLast ? 1 : outPixels;
  const batchStride = M * outPixels;

  // One output row's taps: for pixel j of the row, entries rowStart[j]..rowStart[j+1] give the
  // input pixel (times C) and the tap index (times Cg) of each contribution.
  const maxRowTaps = OW * K;
  const rowStart = new Int32Array(OW + 1);
  const rowInput = new Int32Array(maxRowTaps);
  const rowTap = new Int32Array(maxRowTaps);
  const mRowStride = K * Cg; // distance between two output channels' rows in wp

  for (let n = 0; n < N; n++) {
    const xBatch = n * inPixels * C;
    const outBatch = n * batchStride;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        // Gather the row's contributions once; they are the same for every group and channel.
        let count = 0;
        for (let ow = 0; ow < OW; ow++) {
          rowStart[ow] = count;
          for (let a = tapsD.start[od]!; a < tapsD.start[od + 1]!; a++) {
            const kd = tapsD.kernelIndex[a]!;
            const id = tapsD.inputIndex[a]!;
            for (let b = tapsH.start[oh]!; b < tapsH.start[oh + 1]!; b++) {
              const kdh = kd * KH + tapsH.kernelIndex[b]!;
              const idh = id * IH + tapsH.inputIndex[b]!;
              for (let e = tapsW.start[ow]!; e < tapsW.start[ow + 1]!; e++) {
                rowInput[count] = xBatch + (idh * IW + tapsW.inputIndex[e]!) * C;
                rowTap[count] = (kdh * KW + tapsW.kernelIndex[e]!) * Cg;
                count++;
              }
            }
          }
        }
        rowStart[OW] = count;
        const rowPixel = (od * OH + oh) * OW;

        for (let g = 0; g < G; g++) {
          const xGroup = g * Cg;
          let m = 0;
          // Four output channels at a time: each input value loaded once feeds four sums.
          for (; m + 4 <= Mg; m += 4) {
            const wBase = (g * Mg + m) * mRowStride;
            const oc = g * Mg + m;
            const b0 = bias ? bias[oc]! : 0;
            const b1 = bias ? bias[oc + 1]! : 0;
            const b2 = bias ? bias[oc + 2]! : 0;
            const b3 = bias ? bias[oc + 3]! : 0;
            for (let ow = 0; ow < OW; ow++) {
              let a0 = 0;
              let a1 = 0;
              let a2 = 0;
              let a3 = 0;
              const end = rowStart[ow + 1]!;
              for (let t = rowStart[ow]!; t < end; t++) {
                const xo = rowInput[t]! + xGroup;
                const w0 = wBase + rowTap[t]!;
                const w1 = w0 + mRowStride;
                const w2 = w1 + mRowStride;
                const w3 = w2 + mRowStride;
                for (let c = 0; c < Cg; c++) {
                  const xv = xs[xo + c]!;
                  a0 += xv * wp[w0 + c]!;
                  a1 += xv * wp[w1 + c]!;
                  a2 += xv * wp[w2 + c]!;
                  a3 += xv * wp[w3 + c]!;
                }
              }
              const o = outBatch + (rowPixel + ow) * pixelStride + oc * channelStride;
              out[o] = a0 + b0;
              out[o + channelStride] = a1 + b1;
              out[o + 2 * channelStride] = a2 + b2;
              out[o + 3 * channelStride] = a3 + b3;
            }
          }
          for (; m < Mg; m++) {
            const w0Base = (g * Mg + m) * mRowStride;
            const oc = g * Mg + m;
            const b0 = bias ? bias[oc]! : 0;
            for (let ow = 0; ow < OW; ow++) {
              let a0 = 0;
              const end = rowStart[ow + 1]!;
              for (let t = rowStart[ow]!; t < end; t++) {
                const xo = rowInput[t]! + xGroup;
                const w0 = w0Base + rowTap[t]!;
                for (let c = 0; c < Cg; c++) a0 += xs[xo + c]! * wp[w0 + c]!;
              }
              out[outBatch + (rowPixel + ow) * pixelStride + oc * channelStride] = a0 + b0;
            }
          }
        }
      }
    }
  }
}
