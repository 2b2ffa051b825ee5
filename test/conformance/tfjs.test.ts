/**
 * Conformance: TensorFlow.js's tf.conv2dTranspose / tf.conv3dTranspose (`conv2dTranspose`,
 * `conv3dTranspose`, on every available backend: 'ts' always, 'onednn' and 'cudnn' where built).
 *
 * Sources (read, not copied; every case re-expressed here with the source's numbers):
 * - tensorflow/tfjs  tfjs-core/src/ops/conv2d_transpose_test.ts  (describe 'conv2dTranspose')
 * - tensorflow/tfjs  tfjs-core/src/ops/conv3d_transpose_test.ts  (describe 'conv3dTranspose')
 * tfjs has no conv1dTranspose op and so no test for one.
 *
 * tfjs's call is conv2dTranspose(x, filter, outputShape, strides, pad, dimRoundingMode?); ours is
 * conv2dTranspose(input, filters, outputShape, strides, padding, options), so the first five
 * arguments carry over unchanged (rank-3 input, lowercase 'same'/'valid', a number pad, explicit
 * pads). Tensors are { shape, data: Float32Array } instead of tf.Tensor.
 *
 * Tolerance: relative 1e-5 with an absolute floor of 1e-5 (see util.ts), tighter than tfjs's own
 * expectArraysClose (1e-3 for float32); every expected value of these files is exact to the
 * digits given at that tolerance.
 *
 * Adapted cases (the source's numbers, checked another way; each says so in its title):
 * - 'throws when dimRoundingMode is set and pad is a non-integer number' and '... pad is explicit
 *   by non-integer number': our API has no dimRoundingMode; the non-integer pads themselves
 *   (1.2, and 1.1 in an explicit list) are what must be refused, so the same calls without
 *   dimRoundingMode must throw a RangeError naming `padding`.
 * - The five 'gradient ...' cases: tf.grads (the tape) does not exist here, but the op is linear
 *   in each argument, so with dy constant c the expected dx[i] = c · Σ y(e_i, filter) and
 *   dfilter[k] = c · Σ y(x, e_k), where e_i is the i-th unit tensor. That checks the forward op
 *   against the source's expected gradient values.
 * - 'input=8x8x8,output=4x4x8,f=8,s=1,inDepth=8,p=same vec4': the input is 8×8 but a stride-1 SAME
 *   transposed convolution to a 4×4 output needs a 4×4 input. tfjs does not check this and its
 *   kernels read the top-left 4×4 window of the input; TensorFlow refuses the call (out_backprop
 *   size mismatch), and so do we (this library follows tf.nn.conv2d_transpose). The case checks
 *   both: the literal call throws a RangeError naming outputShape, and the source's expected values
 *   are the result for the input's top-left 4×4 window.
 *
 * Not applicable:
 * - 'throws when dimRoundingMode is set and pad is same' / '... pad is valid': dimRoundingMode is
 *   a tfjs-only argument (output-size rounding of the forward conv) that this API does not have.
 * - 'accepts a tensor-like object': passes nested JavaScript arrays as x and filter (tfjs's
 *   TensorLike); this API takes { shape, data: Float32Array } only. Its numbers are those of
 *   'input=2x2x1,d2=1,f=2,s=1,p=0', which is ported.
 * - The gradient machinery itself (tf.grads, clone() inside the tape, gradient shapes): no
 *   autodiff here; the values are checked through linearity as described above.
 */
import { describe, expect, it } from 'vitest';
import { backendsUnderTest } from '../helpers/backends.js';
import { conv2dTranspose, conv3dTranspose } from '../../src/index.js';
import { expectClose, expectThrows, size, t, type T } from './util.js';

for (const backend of backendsUnderTest()) describe(`backend ${backend}`, () => {

/** Sum of every element. */
const total = (y: { data: ArrayLike<number> }) => Array.from(y.data).reduce((a, b) => a + b, 0);
/** The i-th unit tensor of a shape. */
function unit(shape: number[], i: number): T {
  const data = new Float32Array(size(shape));
  data[i] = 1;
  return { shape, data };
}

describe('conv2d_transpose_test.ts', () => {
  // Shared by the 'p=same' / 'p=explicit' / dimRoundingMode cases.
  const x1x2x2x4 = t(
    [1, 2, 2, 4],
    [1.24, 1.66, 0.9, 1.39, 0.16, 0.27, 0.42, 0.61, 0.04, 0.17, 0.34, 0.28, 0, 0.06, 0.14, 0.24],
  );
  const w2x2x1x4 = t([2, 2, 1, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

  it('input=2x2x1,d2=1,f=2,s=1,p=0 (rank-3 input)', () => {
    const x = t([1, 1, 1], [2]);
    const w = t([2, 2, 1, 1], [3, 1, 5, 0]);
    const y = conv2dTranspose(x, w, [2, 2, 1], 1, 0, { backend });
    expectClose(y, [2, 2, 1], [6, 2, 10, 0]);
  });

  it('input=3x3x1,d2=1,f=2,s=2,p=same', () => {
    const y = conv2dTranspose(x1x2x2x4, w2x2x1x4, [1, 3, 3, 1], 2, 'same', { backend });
    expectClose(y, [1, 3, 3, 1], [7.63, 28.39, 2.94, 49.15, 69.91, 14.62, 1.69, 5.01, 1.06]);
  });

  it('input=3x3x1,d2=1,f=2,s=2,p=explicit', () => {
    const pad = [[0, 0], [0, 1], [0, 1], [0, 0]];
    const y = conv2dTranspose(x1x2x2x4, w2x2x1x4, [1, 3, 3, 1], 2, pad, { backend });
    expectClose(y, [1, 3, 3, 1], [7.63, 28.39, 2.94, 49.15, 69.91, 14.62, 1.69, 5.01, 1.06]);
  });

  it('input=2x2x1,d2=1,f=2,s=1,p=0, batch=2', () => {
    const x = t([2, 1, 1, 1], [2, 3]);
    const w = t([2, 2, 1, 1], [3, 1, 5, 0]);
    const y = conv2dTranspose(x, w, [2, 2, 2, 1], 1, 0, { backend });
    expectClose(y, [2, 2, 2, 1], [6, 2, 10, 0, 9, 3, 15, 0]);
  });

  it('input=2x2x2,output=3x3x2,f=2,s=2,inDepth=2,p=same', () => {
    const x = t([1, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7]);
    const w = t([2, 2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const y = conv2dTranspose(x, w, [1, 3, 3, 2], 2, 'same', { backend });
    expectClose(y, [1, 3, 3, 2], [1, 3, 5, 7, 3, 13, 9, 11, 13, 15, 43, 53, 5, 23, 41, 59, 7, 33]);
  });

  it('adapted: throws when ... pad is a non-integer number (1.2), without dimRoundingMode', () => {
    expectThrows(() => conv2dTranspose(x1x2x2x4, w2x2x1x4, [1, 3, 3, 1], 2, 1.2, { backend }), RangeError, /padding/);
  });

  it('adapted: throws when ... pad is explicit by non-integer number (1.1), without dimRoundingMode', () => {
    const pad = [[0, 0], [0, 1.1], [0, 1], [0, 0]];
    expectThrows(() => conv2dTranspose(x1x2x2x4, w2x2x1x4, [1, 3, 3, 1], 2, pad, { backend }), RangeError, /padding/);
  });

  describe('adapted: gradient cases, checked through linearity', () => {
    /**
     * Asserts dx and dfilter of L = Σ dy·conv2dTranspose(x, f) for a constant dy = c:
     * dx[i] = c·Σ y(e_i, f), dfilter[k] = c·Σ y(x, e_k).
     */
    function checkGradients(
      x: T,
      f: T,
      outputShape: number[],
      strides: number | number[],
      pad: 'valid' | 'same' | number[][],
      c: number,
      expectedDx: number[],
      expectedDf: number[],
    ) {
      const dx = Array.from({ length: size(x.shape) }, (_, i) =>
        c * total(conv2dTranspose(unit(x.shape, i), f, outputShape, strides, pad, { backend })),
      );
      const df = Array.from({ length: size(f.shape) }, (_, k) =>
        c * total(conv2dTranspose(x, unit(f.shape, k), outputShape, strides, pad, { backend })),
      );
      expectClose({ shape: x.shape, data: dx }, x.shape, expectedDx);
      expectClose({ shape: f.shape, data: df }, f.shape, expectedDf);
    }

    it('gradient with clones input=[1,3,3,1] f=[2,2,2,1] s=1 padding=valid', () => {
      const x = t([1, 3, 3, 1], [-0.14656299, 0.32942239, -1.90302866, -0.06487813, -2.02637842, -1.83669377, 0.82650784, -0.89249092, 0.01207666]);
      const f = t([2, 2, 2, 1], [-0.48280062, 1.26770487, -0.83083738, 0.54341856, -0.274904, 0.73111374, 2.01885189, -2.68975237]);
      checkGradients(x, f, [1, 4, 4, 2], 1, 'valid', 1, new Array(9).fill(0.2827947), new Array(8).fill(-5.70202599));
    });

    it('gradient input=[1,2,2,1] f=[2,2,2,1] s=[2,2] padding=valid (dy = −1)', () => {
      const x = t([1, 2, 2, 1], [-0.36541713, -0.53973116, 0.01731674, 0.90227772]);
      const f = t([2, 2, 2, 1], [-0.01423461, -1.00267384, 1.61163029, 0.66302646, -0.46900087, -0.78649444, 0.87780536, -0.84551637]);
      checkGradients(x, f, [1, 4, 4, 2], [2, 2], 'valid', -1, new Array(4).fill(-0.03454196), new Array(8).fill(-0.01444618));
    });

    const x3 = t([1, 3, 3, 1], [1.52433065, -0.77053435, -0.64562341, 0.77962889, 1.58413887, -0.25581856, -0.58966221, 0.05411662, 0.70749138]);
    const f3 = t([2, 2, 2, 1], [0.11178388, -0.96654977, 1.21021296, 0.84121729, 0.34968338, -0.42306114, 1.27395733, -1.09014535]);
    const dx3 = [1.30709858, 1.30709858, -0.92814366, 1.30709858, 1.30709858, -0.92814366, 1.19666437, 1.19666437, -0.85476589];
    const df3 = [2.38806788, 2.38806788, 2.58201847, 2.58201847, 2.2161221, 2.2161221, 3.11756406, 3.11756406];

    it('gradient input=[1,3,3,1] f=[2,2,2,1] s=[1,1] padding=same', () => {
      checkGradients(x3, f3, [1, 3, 3, 2], [1, 1], 'same', 1, dx3, df3);
    });

    it('gradient input=[1,3,3,1] f=[2,2,2,1] s=[1,1] p=explicit', () => {
      checkGradients(x3, f3, [1, 3, 3, 2], [1, 1], [[0, 0], [0, 1], [0, 1], [0, 0]], 1, dx3, df3);
    });

    it('gradient input=[1,2,2,2] f=[2,2,2,1] s=[2,2] padding=same', () => {
      const x = t([1, 2, 2, 2], [-1.81506593, 1.00900095, -0.05199118, 0.26311377, -1.18469792, -0.34780521, 2.04971242, -0.65154692]);
      const f = t(
        [2, 2, 2, 2],
        [
          0.19529686, -0.79594708, 0.70314057, -0.06081263, 0.28724744, 0.88522715, -0.51824096, -0.97120989,
          0.51872197, -1.17569193, 1.28316791, -0.81225092, -0.44221532, 0.70058174, -0.4849217, 0.03806348,
        ],
      );
      checkGradients(
        x,
        f,
        [1, 3, 3, 2],
        [2, 2],
        'same',
        1,
        [1.54219678, -2.19204008, 2.70032732, -2.84470257, 0.66744391, -0.94274245, 0.89843743, -0.85675972],
        [
          -1.00204261, 0.27276259, -1.00204261, 0.27276259, -2.99976385, 0.66119574, -2.99976385, 0.66119574,
          -1.86705711, 1.27211472, -1.86705711, 1.27211472, -1.81506593, 1.00900095, -1.81506593, 1.00900095,
        ],
      );
    });
  });

  it('throws when x is not rank 3 (rank 2)', () => {
    const x = t([2, 1], [2, 2]);
    const w = t([2, 2, 1, 1], [3, 1, 5, 0]);
    expectThrows(() => conv2dTranspose(x, w, [2, 2, 1], 1, 0, { backend }), RangeError, /\binput\b/);
  });

  it('throws when weights is not rank 4 (rank 3)', () => {
    const x = t([1, 1, 1], [2]);
    const w = t([2, 2, 1], [3, 1, 5, 0]);
    expectThrows(() => conv2dTranspose(x, w, [2, 2, 1], 1, 0, { backend }), RangeError, /\bfilters\b/);
  });

  it('throws when x depth does not match weights original output depth', () => {
    const x = t([1, 1, 2], [2, 2]);
    const w = t([2, 2, 1, 3], Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)));
    expectThrows(() => conv2dTranspose(x, w, [2, 2, 2], 1, 0, { backend }), RangeError, /\bfilters\b/);
  });

  it('throws when passed x as a non-tensor', () => {
    const w = t([2, 2, 1, 1], [3, 1, 5, 0]);
    expectThrows(() => conv2dTranspose({} as T, w, [2, 2, 1], 1, 0, { backend }), TypeError, /\binput\b/);
  });

  it('throws when passed filter as a non-tensor', () => {
    const x = t([1, 1, 1], [2]);
    expectThrows(() => conv2dTranspose(x, {} as T, [2, 2, 1], 1, 0, { backend }), TypeError, /\bfilters\b/);
  });

  describe('adapted: input=8x8x8,output=4x4x8,f=8,s=1,inDepth=8,p=same vec4', () => {
    const input = t([1, 8, 8, 8], Array.from({ length: 8 * 8 * 8 }, (_, i) => i % 5));
    const w = t([8, 8, 8, 8], Array.from({ length: 8 * 8 * 8 * 8 }, (_, i) => i % 5));
    const expected = [
      512, 533, 469, 550, 506, 512, 533, 469, 550, 506, 512, 533, 469, 550, 506,
      512, 533, 469, 550, 506, 512, 533, 469, 550, 506, 512, 533, 469, 550, 506,
      512, 533, 506, 512, 533, 469, 550, 506, 512, 533, 469, 550, 506, 512, 533,
      469, 550, 506, 512, 533, 469, 550, 506, 512, 533, 469, 550, 506, 512, 533,
      469, 550, 506, 512, 550, 506, 512, 533, 469, 550, 506, 512, 533, 469, 550,
      506, 512, 533, 469, 550, 506, 512, 533, 469, 550, 506, 512, 533, 469, 550,
      506, 512, 533, 469, 550, 506, 469, 550, 506, 512, 533, 469, 550, 506, 512,
      533, 469, 550, 506, 512, 533, 469, 550, 506, 512, 533, 469, 550, 506, 512,
      533, 469, 550, 506, 512, 533, 469, 550,
    ];

    it('the literal call (an 8×8 input for a 4×4 stride-1 SAME output) is refused, as TensorFlow refuses it', () => {
      expectThrows(() => conv2dTranspose(input, w, [1, 4, 4, 8], [1, 1], 'same', { backend }), RangeError, /outputShape/);
    });

    it("the source's values are those of the input's top-left 4×4 window (what tfjs reads)", () => {
      const window = new Float32Array(4 * 4 * 8);
      for (let h = 0; h < 4; h++) for (let c = 0; c < 4 * 8; c++) window[h * 32 + c] = input.data[h * 64 + c]!;
      const y = conv2dTranspose({ shape: [1, 4, 4, 8], data: window }, w, [1, 4, 4, 8], [1, 1], 'same', { backend });
      expectClose(y, [1, 4, 4, 8], expected);
    });
  });
});

describe('conv3d_transpose_test.ts', () => {
  const w = t([2, 2, 2, 1, 1], [5, 4, 8, 7, 1, 2, 6, 3]);

  it('input=2x2x2x1,d2=1,f=2,s=1,p=valid (rank-4 input)', () => {
    const y = conv3dTranspose(t([1, 1, 1, 1], [2]), w, [2, 2, 2, 1], 1, 'valid', { backend });
    expectClose(y, [2, 2, 2, 1], [10, 8, 16, 14, 2, 4, 12, 6]);
  });

  it('input=2x2x2x1,d2=1,f=2,s=1,p=valid, batch=2', () => {
    const y = conv3dTranspose(t([2, 1, 1, 1, 1], [2, 3]), w, [2, 2, 2, 2, 1], 1, 'valid', { backend });
    expectClose(y, [2, 2, 2, 2, 1], [10, 8, 16, 14, 2, 4, 12, 6, 15, 12, 24, 21, 3, 6, 18, 9]);
    expect(y.dtype).toBe('float32');
  });
});
});
