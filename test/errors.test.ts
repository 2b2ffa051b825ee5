/**
 * Bad input is refused with a TypeError or RangeError whose message names the argument, what was
 * expected and what was given, and never corrupts the caller's data. Zero-size batches are not
 * errors: they give an empty output, as in TensorFlow.
 */
import { describe, expect, it } from 'vitest';
import { conv1dTranspose, conv2dTranspose, conv3dTranspose, convTranspose } from '../src/index.js';

const t = (shape: number[], fill = 1) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });

/** A valid NHWC call: 1×3×3×2 input, 3×3 kernel, 4 output channels, stride 2, SAME → 1×6×6×4. */
const x = () => t([1, 3, 3, 2]);
const f = () => t([3, 3, 4, 2]);
const OUT = [1, 6, 6, 4];

function expectError(fn: () => unknown, kind: typeof TypeError | typeof RangeError, ...mentions: (string | RegExp)[]) {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected the call to throw').toBeInstanceOf(kind);
  const message = (caught as Error).message;
  for (const m of mentions) expect(message).toMatch(m);
}

describe('conv2dTranspose refuses bad tensors', () => {
  it('input of the wrong rank', () => expectError(() => conv2dTranspose(t([3, 3]), f(), OUT, 2), RangeError, /input/, /rank 4 or 3/, /rank 2/));
  it('filters of the wrong rank', () => expectError(() => conv2dTranspose(x(), t([3, 4, 2]), OUT, 2), RangeError, /filters/, /rank 4/));
  it('data that is not a Float32Array', () => {
    expectError(() => conv2dTranspose({ shape: [1, 3, 3, 2], data: new Float64Array(18) as never }, f(), OUT, 2), TypeError, /input\.data/, /Float32Array/, /Float64Array\(18\)/);
    expectError(() => conv2dTranspose({ shape: [1, 3, 3, 2], data: Array(18).fill(0) as never }, f(), OUT, 2), TypeError, /input\.data/);
    expectError(() => conv2dTranspose(x(), { shape: [3, 3, 4, 2], data: new Int32Array(72) as never }, OUT, 2), TypeError, /filters\.data/, /Int32Array/);
  });
  it('a tensor that is not an object', () => expectError(() => conv2dTranspose(null as never, f(), OUT, 2), TypeError, /input/));
  it('data shorter or longer than the shape', () => {
    expectError(() => conv2dTranspose({ shape: [1, 3, 3, 2], data: new Float32Array(17) }, f(), OUT, 2), RangeError, /input\.data/, /18 elements/, /17/);
    expectError(() => conv2dTranspose({ shape: [1, 3, 3, 2], data: new Float32Array(19) }, f(), OUT, 2), RangeError, /input\.data/);
  });
  it('non-integer, negative, NaN or infinite dims', () => {
    for (const bad of [1.5, -1, NaN, Infinity]) {
      expectError(() => conv2dTranspose({ shape: [1, bad, 3, 2], data: new Float32Array(18) }, f(), OUT, 2), RangeError, /input\.shape\[1\]/, /non-negative integer/);
    }
    expectError(() => conv2dTranspose({ shape: [1, '3' as never, 3, 2], data: new Float32Array(18) }, f(), OUT, 2), TypeError, /input\.shape\[1\]/);
  });
  it('a shape whose element count overflows', () => {
    expectError(() => conv2dTranspose({ shape: [2 ** 20, 2 ** 20, 2 ** 20, 2], data: new Float32Array(0) }, f(), OUT, 2), RangeError, /input/, /too many elements/);
    expectError(() => conv2dTranspose(x(), f(), [1, 2 ** 26, 2 ** 26, 4], [2 ** 25, 2 ** 25], 'SAME'), RangeError, /too many elements|outputShape/);
  });
  it('input and filter channels that disagree', () =>
    expectError(() => conv2dTranspose(t([1, 3, 3, 5]), f(), OUT, 2), RangeError, /filters\.shape\[3\]/, /5/, /2/));
  it('an output channel count that is not a multiple of the filter depth', () =>
    expectError(() => conv2dTranspose(x(), f(), [1, 6, 6, 6], 2), RangeError, /outputShape channel/, /filters\.shape\[2\] = 4/, /6/));
  it('groups that do not divide the input channels', () =>
    // groups = 12 / 4 = 3, input channels 2.
    expectError(() => conv2dTranspose(x(), f(), [1, 6, 6, 12], 2), RangeError, /divisible by the group count 3/));
  it('a batch in outputShape that differs from the input', () =>
    expectError(() => conv2dTranspose(x(), f(), [2, 6, 6, 4], 2), RangeError, /outputShape\[0\]/, /batch/));
  it('outputShape of the wrong length', () => expectError(() => conv2dTranspose(x(), f(), [1, 6, 6], 2), RangeError, /outputShape/));
});

describe('conv2dTranspose refuses impossible geometry', () => {
  it('strides or dilations below 1', () => {
    expectError(() => conv2dTranspose(x(), f(), OUT, 0), RangeError, /strides/, /≥ 1/, /0/);
    expectError(() => conv2dTranspose(x(), f(), OUT, [2, 0]), RangeError, /strides\[1\]/);
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'SAME', { dilations: [1, 0] }), RangeError, /options\.dilations\[1\]/);
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'SAME', { dilations: -1 }), RangeError, /options\.dilations/);
  });
  it('strides in the batch or channel dimension', () =>
    expectError(() => conv2dTranspose(x(), f(), OUT, [2, 2, 2, 1]), RangeError, /strides/, /batch and channel/));
  it('strides of a wrong length or type', () => {
    expectError(() => conv2dTranspose(x(), f(), OUT, [2, 2, 2]), RangeError, /strides/);
    expectError(() => conv2dTranspose(x(), f(), OUT, '2' as never), TypeError, /strides/);
  });
  it('an outputShape the input cannot produce (TF raises here too)', () => {
    // Stride 2 SAME maps 7 or 8 to 4 (not 3); 5 and 6 map to 3.
    expectError(() => conv2dTranspose(x(), f(), [1, 7, 6, 4], 2), RangeError, /outputShape cannot be produced along H/, /7 to 4/, /input has 3/);
    expectError(() => conv2dTranspose(x(), f(), [1, 6, 4, 4], 2), RangeError, /along W/);
    // VALID with k=3, s=2: out 7 or 8 maps to 3.
    expect(() => conv2dTranspose(x(), f(), [1, 8, 7, 4], 2, 'VALID')).not.toThrow();
    expectError(() => conv2dTranspose(x(), f(), [1, 9, 7, 4], 2, 'VALID'), RangeError, /along H/);
  });
  it('bad padding', () => {
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'FULL' as never), RangeError, /padding/, /"FULL"/);
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, [[0, 0], [1, 1], [1, 1]] as never), RangeError, /padding/);
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, [[1, 0], [1, 1], [1, 1], [0, 0]]), RangeError, /padding/, /batch and channel/);
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, [[0, 0], [-1, 1], [1, 1], [0, 0]]), RangeError, /padding\[1\]\[0\]/);
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, {} as never), TypeError, /padding/);
  });
  it('a bad data format', () => {
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'SAME', { dataFormat: 'NWC' as never }), RangeError, /options\.dataFormat/, /'NHWC', 'NCHW'/);
  });
  it('unknown option keys (a typo would otherwise be ignored)', () => {
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'SAME', { dilation: 2 } as never), TypeError, /options/, /"dilation"/);
  });
  it('an unknown or unavailable backend', () => {
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'SAME', { backend: 'gpu' as never }), RangeError, /options\.backend/, /'auto', 'cudnn', 'onednn', 'ts'/);
    let caught: unknown;
    try {
      conv2dTranspose(x(), f(), OUT, 2, 'SAME', { backend: 'cudnn' });
    } catch (e) {
      caught = e;
    }
    // Either it ran on a GPU build, or it says why cuDNN cannot run here.
    if (caught !== undefined) expect((caught as Error).message).toMatch(/backend 'cudnn' is not available: .+/);
  });
  it('a bias or out tensor of the wrong shape, and an out that aliases the input', () => {
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'SAME', { bias: t([3]) }), RangeError, /options\.bias/, /\[4\]/);
    expectError(() => conv2dTranspose(x(), f(), OUT, 2, 'SAME', { out: t([1, 6, 6, 3]) }), RangeError, /options\.out/, /\[1, 6, 6, 4\]/);
    const buffer = new Float32Array(18 + 144);
    const input = { shape: [1, 3, 3, 2], data: buffer.subarray(0, 18) };
    const out = { shape: OUT, data: buffer.subarray(10, 154) };
    expectError(() => conv2dTranspose(input, f(), OUT, 2, 'SAME', { out }), RangeError, /options\.out/, /share memory/);
  });
});

describe('the caller’s data survives', () => {
  it('inputs are never modified, and an error leaves out untouched', () => {
    const input = x();
    input.data.forEach((_, i) => (input.data[i] = i));
    const before = Float32Array.from(input.data);
    const filt = f();
    const out = t(OUT, 7);
    conv2dTranspose(input, filt, OUT, 2, 'SAME', { out });
    expect(input.data).toEqual(before);
    expect(filt.data.every((v) => v === 1)).toBe(true);
    const wrong = t([1, 6, 6, 4], 7);
    expect(() => conv2dTranspose(input, t([3, 3, 4, 5]), OUT, 2, 'SAME', { out: wrong })).toThrow(RangeError);
    expect(wrong.data.every((v) => v === 7)).toBe(true);
  });
});

describe('zero-size and degenerate shapes', () => {
  it('a zero-size batch gives an empty output of the right shape', () => {
    const y = conv2dTranspose(t([0, 3, 3, 2]), f(), [0, 6, 6, 4], 2);
    expect(y.shape).toEqual([0, 6, 6, 4]);
    expect(y.data.length).toBe(0);
    const z = convTranspose(t([0, 2, 3]), t([2, 3, 2]), null, { strides: [2] });
    expect(z.shape).toEqual([0, 3, 6]);
  });
  it('NaN and Infinity in the data propagate (they are not errors)', () => {
    const input = x();
    input.data[0] = NaN;
    input.data[1] = Infinity;
    const y = conv2dTranspose(input, f(), OUT, 2);
    expect(y.data.some(Number.isNaN)).toBe(true);
  });
});

describe('the other TF front ends check the same way', () => {
  it('conv1dTranspose', () => {
    expectError(() => conv1dTranspose(t([1, 4, 2]), t([3, 5, 2]), [1, 9, 5], 2), RangeError, /outputShape cannot be produced along W/);
    expectError(() => conv1dTranspose(t([1, 4, 2]), t([3, 5, 2]), [1, 8, 5], 2, 'SAME', { dataFormat: 'NHWC' as never }), RangeError, /'NWC', 'NCW'/);
    expect(conv1dTranspose(t([1, 4, 2]), t([3, 5, 2]), [1, 8, 5], 2).shape).toEqual([1, 8, 5]);
  });
  it('conv3dTranspose', () => {
    expectError(() => conv3dTranspose(t([1, 2, 2, 2, 3]), t([2, 2, 2, 4, 2]), [1, 4, 4, 4, 4], 2), RangeError, /filters\.shape\[4\]/);
    expectError(() => conv3dTranspose(t([1, 2, 2, 2, 3]), t([2, 2, 2, 4, 3]), [1, 4, 4, 4, 4], [1, 2, 2, 2, 2]), RangeError, /strides/);
    expect(conv3dTranspose(t([1, 2, 2, 2, 3]), t([2, 2, 2, 4, 3]), [1, 4, 4, 4, 4], 2).shape).toEqual([1, 4, 4, 4, 4]);
  });
});

describe('convTranspose refuses what the ONNX operator cannot mean', () => {
  const X = () => t([1, 4, 3, 3]);
  const W = () => t([4, 2, 3, 3]);
  it('ranks', () => {
    expectError(() => convTranspose(t([4, 3]), W()), RangeError, /X/, /rank 3, 4 or 5/);
    expectError(() => convTranspose(X(), t([4, 2, 3])), RangeError, /W/, /rank 4/);
  });
  it('channels and groups', () => {
    expectError(() => convTranspose(X(), t([3, 2, 3, 3])), RangeError, /W\.shape\[0\]/, /4/, /3/);
    expectError(() => convTranspose(X(), W(), null, { group: 3 }), RangeError, /attrs\.group/, /divide/);
    expectError(() => convTranspose(X(), W(), null, { group: 0 }), RangeError, /attrs\.group/);
  });
  it('strides, dilations, pads, kernelShape', () => {
    expectError(() => convTranspose(X(), W(), null, { strides: [1, 0] }), RangeError, /attrs\.strides\[1\]/);
    expectError(() => convTranspose(X(), W(), null, { strides: [1] }), RangeError, /attrs\.strides/, /2 integers/);
    expectError(() => convTranspose(X(), W(), null, { dilations: [0, 1] }), RangeError, /attrs\.dilations\[0\]/);
    expectError(() => convTranspose(X(), W(), null, { pads: [1, 1, 1] }), RangeError, /attrs\.pads/);
    expectError(() => convTranspose(X(), W(), null, { pads: [1, -1, 1, 1] }), RangeError, /attrs\.pads\[1\]/);
    expectError(() => convTranspose(X(), W(), null, { kernelShape: [2, 2] }), RangeError, /attrs\.kernelShape/);
    expectError(() => convTranspose(X(), W(), null, { autoPad: 'SAME' as never }), RangeError, /attrs\.autoPad/);
  });
  it('output_padding not smaller than the stride or the dilation', () => {
    expectError(() => convTranspose(X(), W(), null, { strides: [2, 2], outputPadding: [2, 0] }), RangeError, /attrs\.outputPadding\[0\]/, /stride \(2\)/);
    expect(convTranspose(X(), W(), null, { strides: [2, 2], outputPadding: [1, 1] }).shape).toEqual([1, 2, 8, 8]);
    // Allowed when smaller than the dilation even with stride 1 (PyTorch's rule).
    expect(convTranspose(X(), W(), null, { dilations: [2, 2], outputPadding: [1, 0] }).shape).toEqual([1, 2, 8, 7]);
  });
  it('pads so large that the output would be empty', () =>
    expectError(() => convTranspose(X(), W(), null, { pads: [3, 0, 3, 0] }), RangeError, /output size along spatial axis 0/));
  it('an outputShape of the wrong length or inconsistent N, M', () => {
    expectError(() => convTranspose(X(), W(), null, { outputShape: [5] }), RangeError, /attrs\.outputShape/);
    expectError(() => convTranspose(X(), W(), null, { outputShape: [1, 3, 5, 5] }), RangeError, /attrs\.outputShape/, /\[1, 2\]/);
  });
  it('a bias of the wrong size', () => expectError(() => convTranspose(X(), W(), t([3])), RangeError, /\bB\b/, /\[2\]/));
  it('unknown attributes, and both spellings of one', () => {
    expectError(() => convTranspose(X(), W(), null, { padding: [1, 1] } as never), TypeError, /attrs/, /"padding"/);
    expectError(() => convTranspose(X(), W(), null, { autoPad: 'VALID', auto_pad: 'VALID' } as never), TypeError, /auto_pad/);
  });
});
