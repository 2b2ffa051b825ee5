/**
 * Conformance: TensorFlow's tf.nn.conv{1,2,3}d_transpose (`conv1dTranspose`, `conv2dTranspose`,
 * `conv3dTranspose`, backend 'ts').
 *
 * Sources (read, not copied; every case re-expressed here, the expected values re-derived with
 * the same counting rules the source tests loop over):
 * - tensorflow/tensorflow  tensorflow/python/kernel_tests/nn_ops/conv2d_transpose_test.py
 *   (Conv2DTransposeTest: testConv2DTransposeSingleStride, ...Same, ...Valid, ...SingleStrideNCHW,
 *   ...SameNCHW, ...ValidNCHW, ...ShapeInference, ...InvalidOutputShape, ...LargeOutputShape)
 * - tensorflow/tensorflow  tensorflow/python/kernel_tests/nn_ops/conv1d_transpose_test.py
 *   (Conv1DTransposeTest: testConv1DTransposeSingleStride, ...Same, ...Valid, ...SingleStrideNCW,
 *   ...SameNCW, ...ValidNCW)
 * - tensorflow/tensorflow  tensorflow/python/kernel_tests/nn_ops/conv3d_transpose_test.py
 *   (Conv3DTransposeTest: testConv3DTransposeSingleStride, ...Same, ...Valid, ...ShapeMismatch,
 *   ...OutputShapeType)
 * - tensorflow/tensorflow  tensorflow/python/kernel_tests/nn_ops/atrous_conv2d_test.py
 *   (AtrousConv2DTransposeTest: testAtrousConv2DTransposeForward, ...Invalid). atrous_conv2d_transpose
 *   with rate r is conv2d_transpose with dilations r; the test's identity (it equals
 *   conv2d_transpose with the filters upsampled by r) is checked with `options.dilations`.
 *
 * The NCHW/NCW cases run in TensorFlow only on CUDA; they are CPU-independent facts about the
 * layout, so they run here unconditionally.
 *
 * Tolerance: relative 1e-5 with an absolute floor of 1e-5 (see util.ts).
 *
 * Not applicable:
 * - testGradient (conv1d, conv2d, conv3d transpose): checks gradients with TF's gradient checker;
 *   this library has no autodiff.
 * - The dtype int32 half of testConv2DTransposeSingleStride / Same / Valid: this library computes in
 *   float32 only (the float32 half is ported).
 * - testConv3DTransposeOutputShapeType with int64: JavaScript has no 64-bit integer `number`; the
 *   int32 half is ported with an Int32Array outputShape.
 * - The 'InvalidOutputShape' / 'LargeOutputShape' / 'Invalid' cases pass numpy arrays (float64,
 *   nested lists) as input and filters; they are ported with Float32Array tensors of the same shapes.
 */
import { describe, it } from 'vitest';
import { backendsUnderTest } from '../helpers/backends.js';
import { conv1dTranspose, conv2dTranspose, conv3dTranspose } from '../../src/index.js';
import {
  arange,
  expectClose,
  expectThrows,
  fill,
  indices,
  random,
  referenceConvTranspose,
  strides as rowMajorStrides,
  tfFilterToOnnx,
  tfSamePadBefore,
  toChannelsFirst,
  toChannelsLast,
  type T,
} from './util.js';

for (const backend of backendsUnderTest()) describe(`backend ${backend}`, () => {

/**
 * The expected output of an all-ones input and filter: the value at a spatial position, the same
 * for every batch entry and channel, laid out channels last or channels first.
 */
function perPosition(
  layout: 'channelsLast' | 'channelsFirst',
  batch: number,
  channels: number,
  spatial: number[],
  value: (pos: number[]) => number,
): number[] {
  const grid = [...indices(spatial)].map(value);
  const out: number[] = [];
  for (let n = 0; n < batch; n++) {
    if (layout === 'channelsLast') {
      for (const v of grid) for (let c = 0; c < channels; c++) out.push(v);
    } else {
      for (let c = 0; c < channels; c++) out.push(...grid);
    }
  }
  return out;
}

/** The "copy values in the border" step of the VALID tests: along the last axis first, then outwards. */
function copyBorders(spatial: number[], value: (pos: number[]) => number): (pos: number[]) => number {
  const st = rowMajorStrides(spatial);
  const grid = [...indices(spatial)].map(value);
  for (let axis = spatial.length - 1; axis >= 0; axis--) {
    const n = spatial[axis]!;
    for (const pos of indices(spatial)) {
      const p = pos[axis]!;
      if (p !== 0 && p !== n - 1) continue;
      const from = [...pos];
      from[axis] = p === 0 ? 1 : n - 2;
      grid[pos.reduce((o, v, i) => o + v * st[i]!, 0)] = grid[from.reduce((o, v, i) => o + v * st[i]!, 0)]!;
    }
  }
  return (pos) => grid[pos.reduce((o, v, i) => o + v * st[i]!, 0)]!;
}

/** `count(pos)` = how many axes satisfy `inside(axis, p)`. */
const countInside = (pos: number[], inside: (axis: number, p: number) => boolean) =>
  pos.reduce((n, p, axis) => n + (inside(axis, p) ? 1 : 0), 0);

describe('conv2d_transpose_test.py', () => {
  // x: [2, 6, 4, 3] all ones; f: [3, 3, 2, 3] all ones (NHWC unless said otherwise).
  const f = fill([3, 3, 2, 3], 1);

  it('testConv2DTransposeSingleStride (strides [1,1,1,1], SAME)', () => {
    const yShape = [2, 6, 4, 2];
    const y = conv2dTranspose(fill([2, 6, 4, 3], 1), f, yShape, [1, 1, 1, 1], 'SAME', { backend });
    const spatial = [6, 4];
    // 4·3 at a corner; +2·3 on an edge; +5·3 inside.
    const expected = perPosition('channelsLast', 2, 2, spatial, ([h, w]) => {
      const hIn = h! > 0 && h! < spatial[0]! - 1;
      const wIn = w! > 0 && w! < spatial[1]! - 1;
      return 4 * 3 + (hIn && wIn ? 5 * 3 : hIn || wIn ? 2 * 3 : 0);
    });
    expectClose(y, yShape, expected);
  });

  it('testConv2DTransposeSame (strides [1,2,2,1], SAME)', () => {
    const yShape = [2, 12, 8, 2];
    const y = conv2dTranspose(fill([2, 6, 4, 3], 1), f, yShape, [1, 2, 2, 1], 'SAME', { backend });
    const spatial = [12, 8];
    const expected = perPosition('channelsLast', 2, 2, spatial, (pos) => {
      const inside = countInside(pos, (a, p) => p % 2 === 0 && p > 0 && p < spatial[a]! - 1);
      return 3 + (inside === 2 ? 9 : inside === 1 ? 3 : 0);
    });
    expectClose(y, yShape, expected);
  });

  it('testConv2DTransposeValid (strides [1,2,2,1], VALID)', () => {
    const yShape = [2, 13, 9, 2];
    const y = conv2dTranspose(fill([2, 6, 4, 3], 1), f, yShape, [1, 2, 2, 1], 'VALID', { backend });
    const spatial = [13, 9];
    const pad = 1;
    const value = copyBorders(spatial, (pos) => {
      const inside = countInside(pos, (a, p) => p % 2 === 0 && p > pad && p < spatial[a]! - 1 - pad);
      return 3 + (inside === 2 ? 9 : inside === 1 ? 3 : 0);
    });
    expectClose(y, yShape, perPosition('channelsLast', 2, 2, spatial, value));
  });

  it('testConv2DTransposeSingleStrideNCHW (strides [1,1,1,1], SAME, NCHW)', () => {
    const yShape = [2, 2, 6, 4];
    const y = conv2dTranspose(fill([2, 3, 6, 4], 1), f, yShape, [1, 1, 1, 1], 'SAME', { dataFormat: 'NCHW', backend });
    const spatial = [6, 4];
    const expected = perPosition('channelsFirst', 2, 2, spatial, ([h, w]) => {
      const hIn = h! > 0 && h! < spatial[0]! - 1;
      const wIn = w! > 0 && w! < spatial[1]! - 1;
      return 4 * 3 + (hIn && wIn ? 5 * 3 : hIn || wIn ? 2 * 3 : 0);
    });
    expectClose(y, yShape, expected);
  });

  it('testConv2DTransposeSameNCHW (strides [1,1,2,2], SAME, NCHW)', () => {
    const yShape = [2, 2, 12, 8];
    const y = conv2dTranspose(fill([2, 3, 6, 4], 1), f, yShape, [1, 1, 2, 2], 'SAME', { dataFormat: 'NCHW', backend });
    const spatial = [12, 8];
    const expected = perPosition('channelsFirst', 2, 2, spatial, (pos) => {
      const inside = countInside(pos, (a, p) => p % 2 === 0 && p > 0 && p < spatial[a]! - 1);
      return 3 + (inside === 2 ? 9 : inside === 1 ? 3 : 0);
    });
    expectClose(y, yShape, expected);
  });

  it('testConv2DTransposeValidNCHW (strides [1,1,2,2], VALID, NCHW)', () => {
    const yShape = [2, 2, 13, 9];
    const y = conv2dTranspose(fill([2, 3, 6, 4], 1), f, yShape, [1, 1, 2, 2], 'VALID', { dataFormat: 'NCHW', backend });
    const spatial = [13, 9];
    const pad = 1;
    const value = copyBorders(spatial, (pos) => {
      const inside = countInside(pos, (a, p) => p % 2 === 0 && p > pad && p < spatial[a]! - 1 - pad);
      return 3 + (inside === 2 ? 9 : inside === 1 ? 3 : 0);
    });
    expectClose(y, yShape, perPosition('channelsFirst', 2, 2, spatial, value));
  });

  it('testConv2DTransposeShapeInference (x [3,10,5,1], f [3,3,5,1], output [3,10,5,5])', () => {
    const x = random([3, 10, 5, 1], 1);
    const w = random([3, 3, 5, 1], 2, -0.02, 0.02);
    const y = conv2dTranspose(x, w, [3, 10, 5, 5], [1, 1, 1, 1], 'SAME', { backend });
    const ref = referenceConvTranspose(toChannelsFirst(x), tfFilterToOnnx(w), {
      strides: [1, 1],
      padsBegin: [tfSamePadBefore(10, 10, 3, 1), tfSamePadBefore(5, 5, 3, 1)],
      outSpatial: [10, 5],
    });
    expectClose(y, [3, 10, 5, 5], toChannelsLast(ref).data);
  });

  it('testConv2DTransposeInvalidOutputShape (output_shape [2, -2]) throws', () => {
    expectThrows(
      () => conv2dTranspose(fill([1, 1, 1, 1], 1), fill([1, 1, 1, 1], 1), [2, -2], [1], 'SAME', { backend }),
      RangeError,
      /outputShape/,
    );
  });

  it('testConv2DTransposeLargeOutputShape (output_shape [114078056, 179835296], strides [10]) throws', () => {
    // As in the source: input [2, 2, 2, 2], filters [[[[1]]]] (shape [1, 1, 1, 1]).
    expectThrows(
      () =>
        conv2dTranspose(fill([2, 2, 2, 2], 1), fill([1, 1, 1, 1], 1), [114078056, 179835296], [10], 'SAME', { backend }),
      RangeError,
      /filters|outputShape/,
    );
    // The same with filters whose depth matches, so that only the output shape is at fault.
    expectThrows(
      () =>
        conv2dTranspose(fill([2, 2, 2, 2], 1), fill([1, 1, 1, 2], 1), [114078056, 179835296], [10], 'SAME', { backend }),
      RangeError,
      /outputShape/,
    );
  });
});

describe('conv1d_transpose_test.py', () => {
  // x all ones with 3 channels; f: [3, 2, 3] all ones.
  const f = fill([3, 2, 3], 1);

  it('testConv1DTransposeSingleStride (strides [1,1,1], SAME)', () => {
    const yShape = [2, 6, 2];
    const y = conv1dTranspose(fill([2, 6, 3], 1), f, yShape, [1, 1, 1], 'SAME', { backend });
    const expected = perPosition('channelsLast', 2, 2, [6], ([w]) => 2 * 3 + (w! > 0 && w! < 5 ? 3 : 0));
    expectClose(y, yShape, expected);
  });

  it('testConv1DTransposeSame (strides [1,2,1], SAME)', () => {
    const yShape = [2, 8, 2];
    const y = conv1dTranspose(fill([2, 4, 3], 1), f, yShape, [1, 2, 1], 'SAME', { backend });
    const expected = perPosition('channelsLast', 2, 2, [8], ([w]) => 3 + (w! % 2 === 0 && w! > 0 && w! < 7 ? 3 : 0));
    expectClose(y, yShape, expected);
  });

  it('testConv1DTransposeValid (strides [1,2,1], VALID)', () => {
    const yShape = [2, 9, 2];
    const y = conv1dTranspose(fill([2, 4, 3], 1), f, yShape, [1, 2, 1], 'VALID', { backend });
    const pad = 1;
    const value = copyBorders([9], ([w]) => 3 + (w! % 2 === 0 && w! > pad && w! < 9 - 1 - pad ? 3 : 0));
    expectClose(y, yShape, perPosition('channelsLast', 2, 2, [9], value));
  });

  it('testConv1DTransposeSingleStrideNCW (strides [1,1,1], SAME, NCW)', () => {
    const yShape = [2, 2, 4];
    const y = conv1dTranspose(fill([2, 3, 4], 1), f, yShape, [1, 1, 1], 'SAME', { dataFormat: 'NCW', backend });
    const expected = perPosition('channelsFirst', 2, 2, [4], ([w]) => 2 * 3 + (w! > 0 && w! < 3 ? 3 : 0));
    expectClose(y, yShape, expected);
  });

  it('testConv1DTransposeSameNCW (strides [1,1,2], SAME, NCW)', () => {
    const yShape = [2, 2, 8];
    const y = conv1dTranspose(fill([2, 3, 4], 1), f, yShape, [1, 1, 2], 'SAME', { dataFormat: 'NCW', backend });
    const expected = perPosition('channelsFirst', 2, 2, [8], ([w]) => 3 + (w! % 2 === 0 && w! > 0 && w! < 7 ? 3 : 0));
    expectClose(y, yShape, expected);
  });

  it('testConv1DTransposeValidNCW (strides [1,1,2], VALID, NCW)', () => {
    const yShape = [2, 2, 9];
    const y = conv1dTranspose(fill([2, 3, 4], 1), f, yShape, [1, 1, 2], 'VALID', { dataFormat: 'NCW', backend });
    const pad = 1;
    const value = copyBorders([9], ([w]) => 3 + (w! % 2 === 0 && w! > pad && w! < 9 - 1 - pad ? 3 : 0));
    expectClose(y, yShape, perPosition('channelsFirst', 2, 2, [9], value));
  });
});

describe('conv3d_transpose_test.py', () => {
  // x: [2, 5, 6, 4, 3] all ones; f: [3, 3, 3, 2, 3] all ones.
  const x = fill([2, 5, 6, 4, 3], 1);
  const f = fill([3, 3, 3, 2, 3], 1);

  it('testConv3DTransposeSingleStride (strides [1,1,1,1,1], SAME)', () => {
    const yShape = [2, 5, 6, 4, 2];
    const y = conv3dTranspose(x, f, yShape, [1, 1, 1, 1, 1], 'SAME', { backend });
    const spatial = [5, 6, 4];
    const cells = [8, 12, 18, 27]; // by how many axes are away from the border
    const expected = perPosition('channelsLast', 2, 2, spatial, (pos) => {
      return cells[countInside(pos, (a, p) => p > 0 && p < spatial[a]! - 1)]! * 3;
    });
    expectClose(y, yShape, expected);
  });

  it('testConv3DTransposeSame (strides [1,2,2,2,1], SAME)', () => {
    const yShape = [2, 10, 12, 8, 2];
    const y = conv3dTranspose(x, f, yShape, [1, 2, 2, 2, 1], 'SAME', { backend });
    const spatial = [10, 12, 8];
    const cells = [1, 2, 4, 8];
    const expected = perPosition('channelsLast', 2, 2, spatial, (pos) => {
      return cells[countInside(pos, (a, p) => p % 2 === 0 && p > 0 && p < spatial[a]! - 1)]! * 3;
    });
    expectClose(y, yShape, expected);
  });

  it('testConv3DTransposeValid (strides [1,2,2,2,1], VALID)', () => {
    const yShape = [2, 11, 13, 9, 2];
    const y = conv3dTranspose(x, f, yShape, [1, 2, 2, 2, 1], 'VALID', { backend });
    const spatial = [11, 13, 9];
    const pad = 1;
    const cells = [1, 2, 4, 8];
    const value = copyBorders(spatial, (pos) => {
      return cells[countInside(pos, (a, p) => p % 2 === 0 && p > pad && p < spatial[a]! - 1 - pad)]! * 3;
    });
    expectClose(y, yShape, perPosition('channelsLast', 2, 2, spatial, value));
  });

  it('testConv3DTransposeShapeMismatch (NCDHW, strides [1,1,2,2,2], default padding): runs, and is right', () => {
    const xs = random([2, 2, 3, 4, 3], 31);
    const fs = random([3, 3, 3, 2, 2], 32);
    const yShape = [2, 2, 6, 8, 6];
    const y = conv3dTranspose(xs, fs, yShape, [1, 1, 2, 2, 2], undefined, { dataFormat: 'NCDHW', backend });
    const ref = referenceConvTranspose(xs, tfFilterToOnnx(fs), {
      strides: [2, 2, 2],
      padsBegin: [tfSamePadBefore(6, 3, 3, 2), tfSamePadBefore(8, 4, 3, 2), tfSamePadBefore(6, 3, 3, 2)],
      outSpatial: [6, 8, 6],
    });
    expectClose(y, yShape, ref.data);
  });

  it('testConv3DTransposeOutputShapeType (int32 output_shape)', () => {
    const yShape = [2, 5, 6, 4, 2];
    const y = conv3dTranspose(x, f, Int32Array.from(yShape) as unknown as number[], [1, 1, 1, 1, 1], 'SAME', { backend });
    const viaArray = conv3dTranspose(x, f, yShape, [1, 1, 1, 1, 1], 'SAME', { backend });
    expectClose(y, yShape, viaArray.data);
  });
});

describe('atrous_conv2d_test.py (AtrousConv2DTransposeTest)', () => {
  /** [h, w, a, b] → [h + (h−1)(r−1), w + (w−1)(r−1), a, b] with r − 1 zeros between taps. */
  function upsampleFilters(f: T, rate: number): T {
    const [h, w, a, b] = f.shape as [number, number, number, number];
    const hu = h + (h - 1) * (rate - 1);
    const wu = w + (w - 1) * (rate - 1);
    const out = new Float32Array(hu * wu * a * b);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let k = 0; k < a * b; k++) out[((i * rate) * wu + j * rate) * a * b + k] = f.data[(i * w + j) * a * b + k]!;
    return { shape: [hu, wu, a, b], data: out };
  }

  it('testAtrousConv2DTransposeForward: dilations r equals the filters upsampled by r', () => {
    const height = 9;
    let checked = 0;
    for (const width of [9, 10]) {
      const x = arange([2, height, width, 2]);
      for (let kh = 1; kh <= 3; kh++) {
        for (let kw = 1; kw <= 3; kw++) {
          const f = arange([kh, kw, 2, 2]);
          for (let rate = 1; rate <= 3; rate++) {
            const fUp = upsampleFilters(f, rate);
            const khUp = kh + (kh - 1) * (rate - 1);
            const kwUp = kw + (kw - 1) * (rate - 1);
            for (const padding of ['SAME', 'VALID'] as const) {
              const yShape = padding === 'SAME' ? [2, height, width, 2] : [2, height + khUp - 1, width + kwUp - 1, 2];
              const y1 = conv2dTranspose(x, f, yShape, [1, 1, 1, 1], padding, { dilations: rate, backend });
              const y2 = conv2dTranspose(x, fUp, yShape, [1, 1, 1, 1], padding, { backend });
              expectClose(y1, yShape, y2.data);
              // And both are the definition.
              const ref = referenceConvTranspose(toChannelsFirst(x), tfFilterToOnnx(f), {
                strides: [1, 1],
                dilations: [rate, rate],
                padsBegin:
                  padding === 'SAME'
                    ? [tfSamePadBefore(yShape[1]!, height, kh, 1, rate), tfSamePadBefore(yShape[2]!, width, kw, 1, rate)]
                    : [0, 0],
                outSpatial: yShape.slice(1, 3),
              });
              expectClose(y1, yShape, toChannelsLast(ref).data);
              checked++;
            }
          }
        }
      }
    }
    if (checked !== 2 * 3 * 3 * 3 * 2) throw new Error('test bug: not every combination ran');
  });

  it('testAtrousConv2DTransposeInvalid (rate 1356819205, batch 10 vs output_shape [1,1,1,1]) throws', () => {
    expectThrows(
      () =>
        conv2dTranspose(fill([10, 1, 1, 1], 1), fill([1, 1, 1, 1], 1), [1, 1, 1, 1], [1, 1, 1, 1], 'SAME', {
          dilations: 1356819205,
          backend,
        }),
      RangeError,
      /outputShape|dilations/,
    );
  });
});
});
