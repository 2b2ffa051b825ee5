/**
 * Conformance: ONNX ConvTranspose (`convTranspose`, backend 'ts').
 *
 * Sources (read, not copied; every case re-expressed here):
 * - onnx/onnx  onnx/backend/test/case/node/convtranspose.py — every export_* case: the node
 *   tests test_convtranspose, _1d, _3d, _output_shape, _pad, _kernel_shape, _pads, _dilations,
 *   _autopad_same, _group_2, _group_2_image_3. Inputs, attributes and expected outputs are the
 *   numbers of that file. Each case runs twice: with the attribute names the node uses
 *   (snake_case: auto_pad, output_shape, kernel_shape, output_padding) and in camelCase.
 * - onnx/onnx  onnx/backend/test/data/pytorch-converted/test_ConvTranspose2d{,_no_bias}/model.onnx
 *   and pytorch-operator/test_operator_convtranspose/model.onnx — only the node's configuration
 *   (shapes and attributes) is taken; the values are this suite's own pseudo-random data,
 *   checked against `referenceConvTranspose` (the protobuf data is not carried into the repo).
 * - onnx/onnx  onnx/defs/nn/defs.cc (ConvTranspose-22 schema and its doc; the same text as
 *   docs/Operators.md) — the "spec rules" block: attribute defaults, how output_shape and
 *   auto_pad turn into pads (odd total: the extra unit at the end for SAME_UPPER, at the
 *   beginning otherwise), "if output_shape is specified pads values are ignored", the optional
 *   bias B, and the conditions convTransposeShapeInference fails on (refused here with a
 *   TypeError/RangeError naming the attribute).
 *
 * Tolerance: relative 1e-5 with an absolute floor of 1e-5 (see util.ts).
 *
 * Not applicable: nothing in convtranspose.py. (The node tests' .pb copies under
 * onnx/backend/test/data/node/ hold the same numbers as the .py file.)
 */
import { describe, it } from 'vitest';
import { backendsUnderTest } from '../helpers/backends.js';
import { convTranspose } from '../../src/index.js';
import { arange, expectClose, expectThrows, fill, random, referenceConvTranspose, repeat, t, type T } from './util.js';

for (const backend of backendsUnderTest()) describe(`backend ${backend}`, () => {

/** Runs a case with the node's own (snake_case) attribute names and with camelCase ones. */
const SPELLINGS = ['onnx (snake_case)', 'camelCase'] as const;
const CAMEL: Record<string, string> = {
  auto_pad: 'autoPad',
  output_shape: 'outputShape',
  kernel_shape: 'kernelShape',
  output_padding: 'outputPadding',
};
function spell(attrs: Record<string, unknown>, spelling: (typeof SPELLINGS)[number]): Record<string, unknown> {
  if (spelling === 'onnx (snake_case)') return { ...attrs };
  return Object.fromEntries(Object.entries(attrs).map(([k, v]) => [CAMEL[k] ?? k, v]));
}
function run(X: T, W: T, attrs: Record<string, unknown>, spelling: (typeof SPELLINGS)[number], B?: T | null) {
  return convTranspose(X, W, B, { ...spell(attrs, spelling), backend } as Parameters<typeof convTranspose>[3]);
}

// The 3×3 image 0..8 and the all-ones 3×3 kernel with two output channels, shared by most cases.
const X_3x3 = arange([1, 1, 3, 3]);
const W_1x2x3x3 = fill([1, 2, 3, 3], 1);

// test_convtranspose: one output channel of the 5×5 result (both channels are equal: W is all ones).
const Y_DEFAULT_CHANNEL = [
  0, 1, 3, 3, 2,
  3, 8, 15, 12, 7,
  9, 21, 36, 27, 15,
  9, 20, 33, 24, 13,
  6, 13, 21, 15, 8,
];

// test_convtranspose_3d: one output channel of the 5×6×7 result.
const Y_3D_CHANNEL = [
  0, 1, 3, 6, 9, 7, 4,
  5, 12, 21, 27, 33, 24, 13,
  15, 33, 54, 63, 72, 51, 27,
  30, 63, 99, 108, 117, 81, 42,
  25, 52, 81, 87, 93, 64, 33,
  15, 31, 48, 51, 54, 37, 19,

  20, 42, 66, 72, 78, 54, 28,
  50, 104, 162, 174, 186, 128, 66,
  90, 186, 288, 306, 324, 222, 114,
  120, 246, 378, 396, 414, 282, 144,
  90, 184, 282, 294, 306, 208, 106,
  50, 102, 156, 162, 168, 114, 58,

  60, 123, 189, 198, 207, 141, 72,
  135, 276, 423, 441, 459, 312, 159,
  225, 459, 702, 729, 756, 513, 261,
  270, 549, 837, 864, 891, 603, 306,
  195, 396, 603, 621, 639, 432, 219,
  105, 213, 324, 333, 342, 231, 117,

  60, 122, 186, 192, 198, 134, 68,
  130, 264, 402, 414, 426, 288, 146,
  210, 426, 648, 666, 684, 462, 234,
  240, 486, 738, 756, 774, 522, 264,
  170, 344, 522, 534, 546, 368, 186,
  90, 182, 276, 282, 288, 194, 98,

  40, 81, 123, 126, 129, 87, 44,
  85, 172, 261, 267, 273, 184, 93,
  135, 273, 414, 423, 432, 291, 147,
  150, 303, 459, 468, 477, 321, 162,
  105, 212, 321, 327, 333, 224, 113,
  55, 111, 168, 171, 174, 117, 59,
];

// export_convtranspose_attributes (output_shape / pad / kernel_shape): one channel of 10×8.
const Y_ATTRIBUTES_CHANNEL = [
  0, 0, 1, 1, 3, 2, 2, 0,
  0, 0, 1, 1, 3, 2, 2, 0,
  0, 0, 1, 1, 3, 2, 2, 0,
  3, 3, 7, 4, 9, 5, 5, 0,
  3, 3, 7, 4, 9, 5, 5, 0,
  3, 3, 7, 4, 9, 5, 5, 0,
  6, 6, 13, 7, 15, 8, 8, 0,
  6, 6, 13, 7, 15, 8, 8, 0,
  6, 6, 13, 7, 15, 8, 8, 0,
  0, 0, 0, 0, 0, 0, 0, 0,
];

// test_convtranspose_pads: one channel of 7×3.
const Y_PADS_CHANNEL = [
  1, 1, 3,
  1, 1, 3,
  7, 4, 9,
  7, 4, 9,
  7, 4, 9,
  13, 7, 15,
  13, 7, 15,
];

// test_convtranspose_autopad_same: one channel of 6×6.
const Y_AUTOPAD_SAME_CHANNEL = [
  0, 0, 1, 1, 3, 2,
  0, 0, 1, 1, 3, 2,
  3, 3, 8, 5, 12, 7,
  3, 3, 7, 4, 9, 5,
  9, 9, 20, 11, 24, 13,
  6, 6, 13, 7, 15, 8,
];

// group_2 cases: the 5×5 results of the images 0..8, 9..17 and 18..26 with an all-ones 3×3 kernel.
const Y_IMAGE_0_TO_8 = Y_DEFAULT_CHANNEL;
const Y_IMAGE_9_TO_17 = [
  9, 19, 30, 21, 11,
  21, 44, 69, 48, 25,
  36, 75, 117, 81, 42,
  27, 56, 87, 60, 31,
  15, 31, 48, 33, 17,
];
const Y_IMAGE_18_TO_26 = [
  18, 37, 57, 39, 20,
  39, 80, 123, 84, 43,
  63, 129, 198, 135, 69,
  45, 92, 141, 96, 49,
  24, 49, 75, 51, 26,
];
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

interface NodeCase {
  name: string;
  X: T;
  W: T;
  attrs: Record<string, unknown>;
  shape: number[];
  expected: number[];
}

const NODE_CASES: NodeCase[] = [
  {
    name: 'test_convtranspose (export: default attributes)',
    X: X_3x3,
    W: W_1x2x3x3,
    attrs: {},
    shape: [1, 2, 5, 5],
    expected: repeat(Y_DEFAULT_CHANNEL, 2),
  },
  {
    name: 'test_convtranspose_1d',
    X: t([1, 1, 3], [0, 1, 2]),
    W: fill([1, 2, 3], 1),
    attrs: {},
    shape: [1, 2, 5],
    expected: [0, 1, 3, 3, 2, 0, 1, 3, 3, 2],
  },
  {
    name: 'test_convtranspose_3d',
    X: arange([1, 1, 3, 4, 5]),
    W: fill([1, 2, 3, 3, 3], 1),
    attrs: {},
    shape: [1, 2, 5, 6, 7],
    expected: repeat(Y_3D_CHANNEL, 2),
  },
  {
    name: 'test_convtranspose_output_shape (strides [3, 2], output_shape [10, 8])',
    X: X_3x3,
    W: W_1x2x3x3,
    attrs: { strides: [3, 2], output_shape: [10, 8] },
    shape: [1, 2, 10, 8],
    expected: repeat(Y_ATTRIBUTES_CHANNEL, 2),
  },
  {
    name: 'test_convtranspose_pad (strides [3, 2], output_padding [1, 1])',
    X: X_3x3,
    W: W_1x2x3x3,
    attrs: { strides: [3, 2], output_padding: [1, 1] },
    shape: [1, 2, 10, 8],
    expected: repeat(Y_ATTRIBUTES_CHANNEL, 2),
  },
  {
    name: 'test_convtranspose_kernel_shape (strides, output_shape, kernel_shape and output_padding)',
    X: X_3x3,
    W: W_1x2x3x3,
    attrs: { strides: [3, 2], output_shape: [10, 8], kernel_shape: [3, 3], output_padding: [1, 1] },
    shape: [1, 2, 10, 8],
    expected: repeat(Y_ATTRIBUTES_CHANNEL, 2),
  },
  {
    name: 'test_convtranspose_pads (strides [3, 2], pads [1, 2, 1, 2])',
    X: X_3x3,
    W: W_1x2x3x3,
    attrs: { strides: [3, 2], pads: [1, 2, 1, 2] },
    shape: [1, 2, 7, 3],
    expected: repeat(Y_PADS_CHANNEL, 2),
  },
  {
    name: 'test_convtranspose_dilations (dilations [2, 2])',
    X: t([1, 1, 3, 3], [3, 8, 1, 9, 5, 7, 3, 2, 6]),
    W: t([1, 1, 2, 2], [7, 2, 1, 9]),
    attrs: { dilations: [2, 2] },
    shape: [1, 1, 5, 5],
    expected: [
      21, 56, 13, 16, 2,
      63, 35, 67, 10, 14,
      24, 22, 76, 76, 21,
      9, 5, 88, 45, 63,
      3, 2, 33, 18, 54,
    ],
  },
  {
    name: 'test_convtranspose_autopad_same (auto_pad SAME_UPPER, strides [2, 2])',
    X: X_3x3,
    W: W_1x2x3x3,
    attrs: { auto_pad: 'SAME_UPPER', strides: [2, 2] },
    shape: [1, 2, 6, 6],
    expected: repeat(Y_AUTOPAD_SAME_CHANNEL, 2),
  },
  {
    name: 'test_convtranspose_group_2 (group 2)',
    X: t([1, 2, 3, 3], range(0, 18)),
    W: fill([2, 1, 3, 3], 1),
    attrs: { group: 2 },
    shape: [1, 2, 5, 5],
    expected: [...Y_IMAGE_0_TO_8, ...Y_IMAGE_9_TO_17],
  },
  {
    name: 'test_convtranspose_group_2_image_3 (group 2, batch 3)',
    X: t([3, 2, 3, 3], [...range(0, 18), ...range(18, 9), ...range(9, 9), ...range(0, 18)]),
    W: fill([2, 1, 3, 3], 1),
    attrs: { group: 2 },
    shape: [3, 2, 5, 5],
    expected: [
      ...Y_IMAGE_0_TO_8,
      ...Y_IMAGE_9_TO_17,
      ...Y_IMAGE_18_TO_26,
      ...Y_IMAGE_9_TO_17,
      ...Y_IMAGE_0_TO_8,
      ...Y_IMAGE_9_TO_17,
    ],
  },
];

describe('ONNX node tests (onnx/backend/test/case/node/convtranspose.py)', () => {
  for (const c of NODE_CASES) {
    describe(c.name, () => {
      for (const spelling of SPELLINGS) {
        it(`attributes in ${spelling}`, () => {
          expectClose(run(c.X, c.W, c.attrs, spelling), c.shape, c.expected);
        });
      }
    });
  }
});

describe('ONNX pytorch-converted / pytorch-operator models (configuration only)', () => {
  // Each: X shape, W shape, bias or not, attributes of the model's node, output shape, and the
  // pads that the ConvTranspose formula implies (for the reference).
  const cases = [
    {
      name: 'pytorch-converted/test_ConvTranspose2d (bias, strides [3, 2])',
      X: [1, 3, 7, 6],
      W: [3, 4, 3, 3],
      bias: true,
      attrs: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], output_padding: [1, 1], pads: [1, 1, 1, 1], strides: [3, 2] },
      out: [1, 4, 20, 12],
    },
    {
      name: 'pytorch-converted/test_ConvTranspose2d_no_bias (strides [2, 3])',
      X: [1, 3, 6, 7],
      W: [3, 4, 3, 3],
      bias: false,
      attrs: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], output_padding: [1, 1], pads: [1, 1, 1, 1], strides: [2, 3] },
      out: [1, 4, 12, 20],
    },
    {
      name: 'pytorch-operator/test_operator_convtranspose (output_padding [2, 2], strides [3, 3])',
      X: [2, 3, 4, 5],
      W: [3, 3, 3, 3],
      bias: false,
      attrs: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], output_padding: [2, 2], pads: [1, 1, 1, 1], strides: [3, 3] },
      out: [2, 3, 12, 15],
    },
  ];
  cases.forEach((c, n) => {
    it(c.name, () => {
      const X = random(c.X, 100 + n);
      const W = random(c.W, 200 + n, -0.2, 0.2);
      const B = c.bias ? random([c.W[1]!], 300 + n, -0.2, 0.2) : null;
      const y = run(X, W, c.attrs, 'onnx (snake_case)', B);
      const ref = referenceConvTranspose(
        X,
        W,
        { strides: c.attrs.strides, padsBegin: [c.attrs.pads[0]!, c.attrs.pads[1]!], outSpatial: c.out.slice(2) },
        B?.data,
      );
      expectClose(y, c.out, ref.data);
    });
  });
});

describe('ONNX ConvTranspose spec rules (onnx/defs/nn/defs.cc, ConvTranspose doc and shape inference)', () => {
  // A 1-channel, 3×3 image with a random 3×3 kernel and two output channels.
  const X = random([1, 1, 3, 3], 7);
  const W = random([1, 2, 3, 3], 8);
  const ref = (strides: number[], padsBegin: number[], outSpatial: number[], bias?: ArrayLike<number>) =>
    referenceConvTranspose(X, W, { strides, padsBegin, outSpatial }, bias).data;

  it('defaults: strides 1, dilations 1, pads 0, group 1, no output_padding', () => {
    const y = convTranspose(X, W, null, { backend });
    expectClose(y, [1, 2, 5, 5], ref([1, 1], [0, 0], [5, 5]));
    const explicit = convTranspose(X, W, undefined, {
      strides: [1, 1],
      dilations: [1, 1],
      pads: [0, 0, 0, 0],
      group: 1,
      outputPadding: [0, 0],
      autoPad: 'NOTSET',
      backend,
    });
    expectClose(explicit, [1, 2, 5, 5], y.data);
  });

  it('output = stride·(in − 1) + output_padding + (k − 1)·d + 1 − pads[start] − pads[end]', () => {
    // strides [2, 3], pads [1, 0, 2, 1], output_padding [1, 2]: H = 4 + 1 + 3 − 1 − 2 = 5, W = 6 + 2 + 3 − 0 − 1 = 10.
    const y = convTranspose(X, W, null, { strides: [2, 3], pads: [1, 0, 2, 1], outputPadding: [1, 2], backend });
    expectClose(y, [1, 2, 5, 10], ref([2, 3], [1, 0], [5, 10]));
  });

  it('output_shape with an odd total padding: NOTSET and SAME_LOWER put the extra unit at the beginning', () => {
    // total = 1·(3 − 1) + 0 + 3 − 4 = 1 → pads[start] = 1 − 0 = 1, pads[end] = 0.
    for (const autoPad of [undefined, 'NOTSET', 'SAME_LOWER'] as const) {
      const y = convTranspose(X, W, null, { outputShape: [4, 4], ...(autoPad ? { autoPad } : {}), backend });
      expectClose(y, [1, 2, 4, 4], ref([1, 1], [1, 1], [4, 4]));
    }
  });

  it('output_shape with an odd total padding: SAME_UPPER puts the extra unit at the end', () => {
    const y = convTranspose(X, W, null, { outputShape: [4, 4], autoPad: 'SAME_UPPER', backend });
    expectClose(y, [1, 2, 4, 4], ref([1, 1], [0, 0], [4, 4]));
  });

  it('output_shape with an even total padding splits it equally', () => {
    // total = 2·2 + 3 − 5 = 2 → 1 and 1; and along W total = 2·2 + 3 − 6 = 1 (NOTSET: 1 at the start).
    const y = convTranspose(X, W, null, { strides: [2, 2], outputShape: [5, 6], backend });
    expectClose(y, [1, 2, 5, 6], ref([2, 2], [1, 1], [5, 6]));
  });

  it('if output_shape is specified, pads values are ignored', () => {
    const withPads = convTranspose(X_3x3, W_1x2x3x3, null, { strides: [3, 2], outputShape: [10, 8], pads: [1, 2, 1, 2], backend });
    expectClose(withPads, [1, 2, 10, 8], repeat(Y_ATTRIBUTES_CHANNEL, 2));
  });

  it('auto_pad SAME_LOWER: output = input · stride, an odd total padding goes at the beginning', () => {
    // total = 2·2 + 3 − 6 = 1 → pads[start] = 1.
    const y = convTranspose(X, W, null, { autoPad: 'SAME_LOWER', strides: [2, 2], backend });
    expectClose(y, [1, 2, 6, 6], ref([2, 2], [1, 1], [6, 6]));
  });

  it('auto_pad SAME_UPPER: output = input · stride, an odd total padding goes at the end', () => {
    const y = convTranspose(X, W, null, { autoPad: 'SAME_UPPER', strides: [2, 2], backend });
    expectClose(y, [1, 2, 6, 6], ref([2, 2], [0, 0], [6, 6]));
  });

  it('auto_pad VALID: no padding (the full output)', () => {
    const y = convTranspose(X, W, null, { autoPad: 'VALID', strides: [2, 1], backend });
    expectClose(y, [1, 2, 7, 5], ref([2, 1], [0, 0], [7, 5]));
  });

  it('the optional bias B (size M) is added to every element of its channel', () => {
    const B = t([2], [0.5, -2]);
    const y = convTranspose(X, W, B, { strides: [2, 2], pads: [1, 1, 1, 1], backend });
    expectClose(y, [1, 2, 5, 5], ref([2, 2], [1, 1], [5, 5], B.data));
  });

  it('output channels = W.shape[1] · group', () => {
    const Xg = random([2, 4, 3, 2], 11);
    const Wg = random([4, 3, 2, 2], 12);
    const y = convTranspose(Xg, Wg, null, { group: 2, strides: [2, 1], backend });
    const expected = referenceConvTranspose(Xg, Wg, { groups: 2, strides: [2, 1], padsBegin: [0, 0], outSpatial: [6, 3] });
    expectClose(y, [2, 6, 6, 3], expected.data);
  });

  describe('refusals (where ONNX shape inference fails)', () => {
    it('X of rank < 3', () => {
      expectThrows(() => convTranspose(fill([1, 3], 1), fill([1, 1, 3], 1), null, { backend }), RangeError, /\bX\b/);
    });
    it('input channels C not divisible by group', () => {
      expectThrows(
        () => convTranspose(fill([1, 3, 2, 2], 1), fill([3, 1, 1, 1], 1), null, { group: 2, backend }),
        RangeError,
        /group/,
      );
    });
    it('group ≤ 0', () => {
      expectThrows(() => convTranspose(X, W, null, { group: 0, backend }), RangeError, /group/);
    });
    it('strides of the wrong size, or not positive', () => {
      expectThrows(() => convTranspose(X, W, null, { strides: [1, 1, 1], backend }), RangeError, /strides/);
      expectThrows(() => convTranspose(X, W, null, { strides: [0, 1], backend }), RangeError, /strides/);
    });
    it('dilations of the wrong size, or not positive', () => {
      expectThrows(() => convTranspose(X, W, null, { dilations: [1], backend }), RangeError, /dilations/);
      expectThrows(() => convTranspose(X, W, null, { dilations: [1, 0], backend }), RangeError, /dilations/);
    });
    it('pads of the wrong size, or negative', () => {
      expectThrows(() => convTranspose(X, W, null, { pads: [0, 0], backend }), RangeError, /pads/);
      expectThrows(() => convTranspose(X, W, null, { pads: [0, -1, 0, 0], backend }), RangeError, /pads/);
    });
    it('output_shape of the wrong size, or negative', () => {
      expectThrows(() => convTranspose(X, W, null, { outputShape: [5], backend }), RangeError, /outputShape|output_shape/);
      expectThrows(() => convTranspose(X, W, null, { outputShape: [5, -5], backend }), RangeError, /outputShape|output_shape/);
    });
    it('output_padding of the wrong size, or negative', () => {
      expectThrows(() => convTranspose(X, W, null, { outputPadding: [0], backend }), RangeError, /outputPadding|output_padding/);
      expectThrows(
        () => convTranspose(X, W, null, { outputPadding: [0, -1], backend }),
        RangeError,
        /outputPadding|output_padding/,
      );
    });
    it('output_padding not less than the stride (and the dilation)', () => {
      expectThrows(
        () => convTranspose(X, W, null, { strides: [2, 2], outputPadding: [2, 0], backend }),
        RangeError,
        /outputPadding|output_padding/,
      );
    });
    it('kernel_shape of the wrong size', () => {
      expectThrows(() => convTranspose(X, W, null, { kernelShape: [3], backend }), RangeError, /kernelShape|kernel_shape/);
    });
    it('an unknown auto_pad value', () => {
      expectThrows(
        () => convTranspose(X, W, null, { autoPad: 'SAME' as 'SAME_UPPER', backend }),
        RangeError,
        /autoPad|auto_pad/,
      );
    });
    it('W whose first dimension is not C', () => {
      expectThrows(() => convTranspose(X, fill([2, 1, 3, 3], 1), null, { backend }), RangeError, /\bW\b/);
    });
    it('B of the wrong size', () => {
      expectThrows(() => convTranspose(X, W, t([3], [1, 2, 3]), { backend }), RangeError, /\bB\b/);
    });
  });
});
});
