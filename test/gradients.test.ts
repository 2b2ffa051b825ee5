/**
 * Gradients on every backend that has them, for 1/2/3-D, strides, dilations, groups, pads,
 * output_padding and output_shape (ONNX) and SAME/VALID/explicit padding in both data formats (TF):
 * - against the float64 gradient of the scatter-form definition (test/helpers/naive.ts),
 *   tolerance relative 1e-4 with an absolute floor of 1e-4 (native backends accumulate in float32);
 * - against central finite differences of the reference forward ('ts'), the loss Σ y·r summed in
 *   float64; the op is linear, so the step can be large (0.5) and the only error is the forward's
 *   float32 rounding: tolerance 2e-3 absolute plus 1e-3 relative.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conv1dTransposeBackward,
  conv2dTranspose,
  conv2dTransposeBackward,
  conv2dTransposeBackwardAsync,
  conv3dTransposeBackward,
  convTranspose,
  convTransposeBackward,
  convTransposeBackwardAsync,
  type BackendName,
} from '../src/index.js';
import { gradientBackendsUnderTest } from './helpers/backends.js';
import { moveAxis, naiveConvTransposeGradients, randomData, tfFilterToOnnx, worstError } from './helpers/naive.js';

const RTOL = 1e-4;
const ATOL = 1e-4;
const BACKENDS = gradientBackendsUnderTest();
const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);

const axis = fc.record({
  in: fc.integer({ min: 1, max: 4 }),
  k: fc.integer({ min: 1, max: 3 }),
  s: fc.integer({ min: 1, max: 3 }),
  d: fc.integer({ min: 1, max: 2 }),
  pick: fc.nat(1000),
  pick2: fc.nat(1000),
});

const onnxCase = fc.record({
  rank: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
  batch: fc.integer({ min: 1, max: 2 }),
  groups: fc.integer({ min: 1, max: 3 }),
  cg: fc.integer({ min: 1, max: 3 }),
  mg: fc.integer({ min: 1, max: 3 }),
  axes: fc.array(axis, { minLength: 3, maxLength: 3 }),
  mode: fc.constantFrom('pads', 'outputShape', 'SAME_UPPER', 'SAME_LOWER'),
  seed: fc.nat(),
});

/** An ONNX call drawn from a case, with the pads the spec gives it (for the definition). */
type OnnxCase = typeof onnxCase extends fc.Arbitrary<infer T> ? T : never;

function onnxProblem(c: OnnxCase) {
  const r = c.rank;
  const axes = c.axes.slice(0, r);
  const C = c.groups * c.cg;
  const M = c.groups * c.mg;
  const eff = axes.map((a) => (a.k - 1) * a.d + 1);
  const outputPadding = axes.map((a) => a.pick2 % Math.max(a.s, a.d));
  const full = axes.map((a, i) => (a.in - 1) * a.s + eff[i]! + outputPadding[i]!);
  const attrs: Record<string, unknown> = { strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), group: c.groups, outputPadding };
  let padsBegin: number[];
  let outSpatial: number[];
  if (c.mode === 'pads') {
    const pads = axes.map((a, i) => a.pick % eff[i]!);
    const padsEnd = axes.map((a, i) => a.pick2 % Math.max(1, full[i]! - pads[i]!));
    attrs.pads = [...pads, ...padsEnd];
    padsBegin = pads;
    outSpatial = full.map((f, i) => f - pads[i]! - padsEnd[i]!);
  } else {
    outSpatial = axes.map((a, i) => (c.mode === 'outputShape' ? Math.max(1, full[i]! - 3 + (a.pick % (a.s + 3))) : a.in * a.s));
    if (c.mode === 'outputShape') attrs.outputShape = outSpatial;
    else attrs.autoPad = c.mode;
    padsBegin = outSpatial.map((o, i) => {
      const total = full[i]! - o;
      return c.mode === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
    });
  }
  const xShape = [c.batch, C, ...axes.map((a) => a.in)];
  const wShape = [C, c.mg, ...axes.map((a) => a.k)];
  const yShape = [c.batch, M, ...outSpatial];
  const naive = {
    batch: c.batch, inChannels: C, outChannels: M, groups: c.groups, inSpatial: axes.map((a) => a.in), outSpatial,
    kernel: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), padsBegin,
  };
  const X = { shape: xShape, data: randomData(prod(xShape), c.seed) };
  const W = { shape: wShape, data: randomData(prod(wShape), c.seed + 1) };
  const dY = { shape: yShape, data: randomData(prod(yShape), c.seed + 2) };
  return { attrs, naive, X, W, dY, M };
}

describe.each(BACKENDS)("gradients on backend '%s'", (backend: BackendName) => {
  it('ONNX convTransposeBackward equals the gradient of the definition on random problems', () => {
    fc.assert(
      fc.property(onnxCase, (c) => {
        const { attrs, naive, X, W, dY } = onnxProblem(c);
        const g = convTransposeBackward(X, W, dY, { ...attrs, backend });
        const expected = naiveConvTransposeGradients(naive, X.data, W.data, dY.data);
        expect(g.dX.shape).toEqual(X.shape);
        expect(g.dW.shape).toEqual(W.shape);
        expect(g.dB.shape).toEqual([naive.outChannels]);
        expect(worstError(g.dX.data, expected.dx, RTOL, ATOL)).toBeLessThanOrEqual(1);
        expect(worstError(g.dW.data, expected.dw, RTOL, ATOL)).toBeLessThanOrEqual(1);
        expect(worstError(g.dB.data, expected.db, RTOL, ATOL)).toBeLessThanOrEqual(1);
      }),
      { numRuns: backend === 'ts' ? 150 : 100 },
    );
  });

  it('TF conv{1,2,3}dTransposeBackward equal the gradient of the definition in both data formats', () => {
    const ops = { 1: conv1dTransposeBackward, 2: conv2dTransposeBackward, 3: conv3dTransposeBackward } as const;
    const formats = { 1: ['NWC', 'NCW'], 2: ['NHWC', 'NCHW'], 3: ['NDHWC', 'NCDHW'] } as const;
    let refused = 0;
    fc.assert(
      fc.property(onnxCase, fc.boolean(), fc.constantFrom('SAME', 'VALID', 'EXPLICIT'), (c, channelsLast, mode) => {
        const r = c.rank as 1 | 2 | 3;
        if (mode === 'EXPLICIT' && r !== 2) return;
        const axes = c.axes.slice(0, r);
        const C = c.groups * c.cg;
        const M = c.groups * c.mg;
        const eff = axes.map((a) => (a.k - 1) * a.d + 1);
        const explicit = axes.map((a) => [a.pick % 2, a.pick2 % 2] as [number, number]);
        // Output sizes TF accepts: SAME → ceil(out / s) = in; VALID/explicit → the window count is in.
        const outSpatial = axes.map((a, i) => {
          if (mode === 'SAME') return a.in * a.s - (a.pick % a.s);
          const [pb, pa] = mode === 'VALID' ? [0, 0] : explicit[i]!;
          return Math.max(1, (a.in - 1) * a.s + eff[i]! - pb - pa + (a.pick2 % a.s));
        });
        const padsBegin = outSpatial.map((o, i) => {
          const a = axes[i]!;
          if (mode === 'VALID') return 0;
          if (mode === 'EXPLICIT') return explicit[i]![0];
          return Math.floor(Math.max(0, (Math.ceil(o / a.s) - 1) * a.s + eff[i]! - o) / 2);
        });
        const inCF = [c.batch, C, ...axes.map((a) => a.in)];
        const outCF = [c.batch, M, ...outSpatial];
        const xCF = randomData(prod(inCF), c.seed);
        const dyCF = randomData(prod(outCF), c.seed + 2);
        const fShape = [...axes.map((a) => a.k), c.mg, C];
        const f = randomData(prod(fShape), c.seed + 1);
        const input = channelsLast ? moveAxis(xCF, inCF, 1, r + 1) : { shape: inCF, data: xCF };
        const dOut = channelsLast ? moveAxis(dyCF, outCF, 1, r + 1) : { shape: outCF, data: dyCF };
        const padding =
          mode === 'EXPLICIT' ? (channelsLast ? [[0, 0], ...explicit, [0, 0]] : [[0, 0], [0, 0], ...explicit]) : mode;
        const op = ops[r] as unknown as (...args: unknown[]) => { dX: { shape: readonly number[]; data: Float32Array }; dW: { data: Float32Array }; dB: { data: Float32Array } };
        let g;
        try {
          g = op(input, { shape: fShape, data: f }, dOut, dOut.shape, axes.map((a) => a.s), padding, {
            dataFormat: formats[r][channelsLast ? 0 : 1], dilations: axes.map((a) => a.d), backend,
          });
        } catch (error) {
          // An output size TF itself refuses (large explicit pads): the forward refuses it too.
          expect(error).toBeInstanceOf(RangeError);
          refused++;
          return;
        }
        const naive = {
          batch: c.batch, inChannels: C, outChannels: M, groups: c.groups, inSpatial: axes.map((a) => a.in), outSpatial,
          kernel: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), padsBegin,
        };
        const expected = naiveConvTransposeGradients(naive, xCF, tfFilterToOnnx(f, fShape).data, dyCF);
        const dx = channelsLast ? moveAxis(g.dX.data, input.shape, r + 1, 1).data : g.dX.data;
        // The definition's dw is in ONNX order [C, Mg, K...]; TF's [K..., Mg, C].
        const dw = tfFilterToOnnx(g.dW.data, fShape).data;
        expect(g.dX.shape).toEqual(input.shape);
        expect(worstError(dx, expected.dx, RTOL, ATOL)).toBeLessThanOrEqual(1);
        expect(worstError(dw, expected.dw, RTOL, ATOL)).toBeLessThanOrEqual(1);
        expect(worstError(g.dB.data, expected.db, RTOL, ATOL)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 100 },
    );
    expect(refused).toBeLessThan(30); // most drawn calls are valid ones
  });

  it('long strided channels-last signals with few output channels equal the gradient of the definition', () => {
    // Output width > 4096, < 32 output channels, stride 2: the oneDNN backward plan computes these
    // channels first inside (its channels-last build takes seconds, descriptors.h), reordering x,
    // dy and dx on the way (VALID with one more output: also a band past the full output).
    for (const [padding, outLength] of [['SAME', 6000], ['VALID', 6003]] as const) {
      const L = 3000, C = 5, M = 3, K = 4;
      const xCF = randomData(C * L, 51);
      const dyCF = randomData(M * outLength, 52);
      const fShape = [K, M, C];
      const f = randomData(K * M * C, 53);
      const input = moveAxis(xCF, [1, C, L], 1, 2);
      const dOut = moveAxis(dyCF, [1, M, outLength], 1, 2);
      const g = conv1dTransposeBackward(input, { shape: fShape, data: f }, dOut, dOut.shape, 2, padding, { backend });
      const padsBegin = padding === 'SAME' ? [Math.floor(Math.max(0, (L - 1) * 2 + K - outLength) / 2)] : [0];
      const naive = { batch: 1, inChannels: C, outChannels: M, groups: 1, inSpatial: [L], outSpatial: [outLength], kernel: [K], strides: [2], dilations: [1], padsBegin };
      const expected = naiveConvTransposeGradients(naive, xCF, tfFilterToOnnx(f, fShape).data, dyCF);
      expect(worstError(moveAxis(g.dX.data, input.shape, 2, 1).data, expected.dx, RTOL, ATOL)).toBeLessThanOrEqual(1);
      expect(worstError(tfFilterToOnnx(g.dW.data, fShape).data, expected.dw, RTOL, ATOL)).toBeLessThanOrEqual(1);
      expect(worstError(g.dB.data, expected.db, RTOL, ATOL)).toBeLessThanOrEqual(1);
    }
  });

  it('async calls give the sync results, and only the gradients asked for', async () => {
    const { attrs, X, W, dY } = onnxProblem({
      rank: 2, batch: 2, groups: 2, cg: 3, mg: 2, mode: 'pads', seed: 7,
      axes: [{ in: 4, k: 3, s: 2, d: 1, pick: 1, pick2: 1 }, { in: 3, k: 2, s: 1, d: 2, pick: 2, pick2: 0 }, { in: 1, k: 1, s: 1, d: 1, pick: 0, pick2: 0 }],
    });
    const sync = convTransposeBackward(X, W, dY, { ...attrs, backend });
    const only = await convTransposeBackwardAsync(X, W, dY, { ...attrs, backend, gradients: ['dW'] });
    expect(Object.keys(only)).toEqual(['dW']);
    expect(only.dW.data).toEqual(sync.dW.data);
    const all = await convTransposeBackwardAsync(X, W, dY, { ...attrs, backend });
    expect(all.dX.data).toEqual(sync.dX.data);
    expect(all.dB.data).toEqual(sync.dB.data);
    const tf = await conv2dTransposeBackwardAsync(
      { shape: [1, 3, 3, 2], data: randomData(18, 1) }, { shape: [3, 3, 4, 2], data: randomData(72, 2) },
      { shape: [1, 6, 6, 4], data: randomData(144, 3) }, [1, 6, 6, 4], 2, 'SAME', { backend, gradients: ['dX', 'dB'] },
    );
    expect(Object.keys(tf).sort()).toEqual(['dB', 'dX']);
    expect(tf.dX.shape).toEqual([1, 3, 3, 2]);
  });
});

describe('gradients match finite differences of the reference forward', () => {
  it('on random ONNX problems (sampled coordinates of dX, dW and dB)', () => {
    fc.assert(
      fc.property(onnxCase, fc.nat(), (c, pickSeed) => {
        const { attrs, X, W, dY, M } = onnxProblem(c);
        const B = { shape: [M], data: randomData(M, c.seed + 3) };
        const loss = (x: Float32Array, w: Float32Array, b: Float32Array) => {
          const y = convTranspose({ shape: X.shape, data: x }, { shape: W.shape, data: w }, { shape: [M], data: b }, { ...attrs, backend: 'ts' });
          let sum = 0;
          for (let i = 0; i < y.data.length; i++) sum += y.data[i]! * dY.data[i]!;
          return sum;
        };
        const g = convTransposeBackward(X, W, dY, { ...attrs, backend: 'ts' });
        const h = 0.5;
        const check = (which: 0 | 1 | 2, analytic: Float32Array) => {
          const base = [X.data, W.data, B.data];
          for (let t = 0; t < 3; t++) {
            const j = (pickSeed + t * 7919) % analytic.length;
            const plus = base.map((a) => a.slice());
            const minus = base.map((a) => a.slice());
            plus[which]![j]! += h;
            minus[which]![j]! -= h;
            const numeric = (loss(plus[0]!, plus[1]!, plus[2]!) - loss(minus[0]!, minus[1]!, minus[2]!)) / (2 * h);
            expect(Math.abs(numeric - analytic[j]!)).toBeLessThanOrEqual(2e-3 + 1e-3 * Math.abs(numeric));
          }
        };
        check(0, g.dX.data);
        check(1, g.dW.data);
        check(2, g.dB.data);
      }),
      { numRuns: 60 },
    );
  });

  it('for a TF conv2dTranspose with NCHW, dilations and SAME padding (every coordinate)', () => {
    const x = { shape: [2, 3, 3, 4], data: randomData(72, 11) };
    const f = { shape: [3, 2, 2, 3], data: randomData(36, 12) };
    const outShape = [2, 2, 5, 7];
    const dy = { shape: outShape, data: randomData(140, 13) };
    const options = { dataFormat: 'NCHW', dilations: [1, 2] } as const;
    const loss = (xs: Float32Array, fs: Float32Array) => {
      const y = conv2dTranspose({ shape: x.shape, data: xs }, { shape: f.shape, data: fs }, outShape, [2, 2], 'SAME', { ...options, backend: 'ts' });
      return y.data.reduce((s, v, i) => s + v * dy.data[i]!, 0);
    };
    const g = conv2dTransposeBackward(x, f, dy, outShape, [2, 2], 'SAME', { ...options, backend: 'ts' });
    for (const [which, analytic] of [[0, g.dX.data], [1, g.dW.data]] as const) {
      for (let j = 0; j < analytic.length; j++) {
        const p = [x.data.slice(), f.data.slice()];
        const m = [x.data.slice(), f.data.slice()];
        p[which]![j]! += 0.5;
        m[which]![j]! -= 0.5;
        const numeric = loss(p[0]!, p[1]!) - loss(m[0]!, m[1]!);
        expect(Math.abs(numeric - analytic[j]!)).toBeLessThanOrEqual(2e-3 + 1e-3 * Math.abs(numeric));
      }
    }
  });
});

describe('backward calls refuse bad input', () => {
  const X = { shape: [1, 2, 3, 3], data: new Float32Array(18) };
  const W = { shape: [2, 4, 3, 3], data: new Float32Array(72) };
  it('a dY of the wrong shape, naming it and the expected shape', () => {
    expect(() => convTransposeBackward(X, W, { shape: [1, 4, 4, 5], data: new Float32Array(80) })).toThrow(
      /convTransposeBackward: dY must have the forward output's shape \[1, 4, 5, 5\], but got \[1, 4, 4, 5\]/,
    );
  });
  it('unknown gradient names and option keys', () => {
    const dY = { shape: [1, 4, 5, 5], data: new Float32Array(100) };
    expect(() => convTransposeBackward(X, W, dY, { gradients: ['dZ' as 'dX'] })).toThrow(RangeError);
    expect(() => convTransposeBackward(X, W, dY, { gradients: [] })).toThrow(/attrs.gradients must be a non-empty array/);
    expect(() => convTransposeBackward(X, W, dY, { activation: 'relu' } as never)).toThrow(TypeError);
  });
  it('an empty batch gives zero dX and dW and a zero dB', () => {
    const g = convTransposeBackward({ shape: [0, 2, 3, 3], data: new Float32Array(0) }, W, { shape: [0, 4, 5, 5], data: new Float32Array(0) });
    expect(g.dX.shape).toEqual([0, 2, 3, 3]);
    expect(Array.from(g.dW.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(g.dB.data)).toEqual([0, 0, 0, 0]);
  });
});
