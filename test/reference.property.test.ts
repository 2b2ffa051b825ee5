/**
 * Property tests: random problems through the public API (backend 'ts') against the scatter-form
 * definition in test/helpers/naive.ts, with the shape rules derived here from first principles.
 * Tolerance: relative 1e-5 with an absolute floor of 1e-5 (the reference accumulates in float64 and
 * rounds once, the definition is float64 throughout).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv1dTranspose, conv2dTranspose, conv3dTranspose, convTranspose } from '../src/index.js';
import { moveAxis, naiveConvTranspose, randomData, tfFilterToOnnx, worstError } from './helpers/naive.js';

const RTOL = 1e-5;
const ATOL = 1e-5;
const TF_OPS = { 1: conv1dTranspose, 2: conv2dTranspose, 3: conv3dTranspose } as const;
const TF_FORMATS = { 1: ['NWC', 'NCW'], 2: ['NHWC', 'NCHW'], 3: ['NDHWC', 'NCDHW'] } as const;

const axis = fc.record({
  in: fc.integer({ min: 1, max: 5 }),
  k: fc.integer({ min: 1, max: 4 }),
  s: fc.integer({ min: 1, max: 4 }),
  d: fc.integer({ min: 1, max: 2 }),
  pick: fc.nat(1000), // chooses among the valid output sizes / pads
  pick2: fc.nat(1000),
});

const problemShape = fc.record({
  rank: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
  batch: fc.integer({ min: 0, max: 2 }),
  groups: fc.integer({ min: 1, max: 3 }),
  cg: fc.integer({ min: 1, max: 3 }),
  mg: fc.integer({ min: 1, max: 5 }),
  axes: fc.array(axis, { minLength: 3, maxLength: 3 }),
  channelsLast: fc.boolean(),
  bias: fc.boolean(),
  seed: fc.nat(),
});

/** Forward convolution output size, counted from its definition (number of window positions). */
function forwardPositions(size: number, eff: number, stride: number, before: number, after: number): number {
  let count = 0;
  for (let p = 0; p * stride - before + eff - 1 <= size - 1 + after; p++) count++;
  return count;
}

describe('ONNX ConvTranspose front end and reference backend match the definition', () => {
  it('on random problems (shape rule from the operator spec, values from the scatter form)', () => {
    fc.assert(
      fc.property(problemShape, fc.constantFrom('pads', 'outputShape', 'SAME_UPPER', 'SAME_LOWER', 'VALID'), (c, mode) => {
        const r = c.rank;
        const axes = c.axes.slice(0, r);
        const C = c.groups * c.cg;
        const M = c.groups * c.mg;
        const eff = axes.map((a) => (a.k - 1) * a.d + 1);
        const outputPadding = axes.map((a) => a.pick2 % Math.max(a.s, a.d));
        const full = axes.map((a, i) => (a.in - 1) * a.s + eff[i]! + outputPadding[i]!);
        let padsBegin: number[];
        let outSpatial: number[];
        const attrs: Record<string, unknown> = { strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), group: c.groups, outputPadding };
        if (mode === 'pads') {
          const pads = axes.map((a, i) => a.pick % eff[i]!);
          const padsEnd = axes.map((a, i) => a.pick2 % Math.max(1, full[i]! - pads[i]!));
          attrs.pads = [...pads, ...padsEnd];
          padsBegin = pads;
          outSpatial = full.map((f, i) => f - pads[i]! - padsEnd[i]!);
        } else {
          // Output size given (or implied by SAME_*: in · stride); total padding split per the spec.
          // output_shape may exceed the full output by less than one stride (ONNX Runtime's check).
          outSpatial = axes.map((a, i) => (mode === 'outputShape' ? Math.max(1, full[i]! - 3 + (a.pick % (a.s + 3))) : a.in * a.s));
          if (mode === 'outputShape') attrs.outputShape = outSpatial;
          if (mode === 'VALID') outSpatial = full;
          if (mode !== 'pads' && mode !== 'outputShape') attrs.autoPad = mode;
          // Python's floor division, as ONNX's reference implementation of the spec formula.
          padsBegin = outSpatial.map((o, i) => {
            const total = full[i]! - o;
            if (mode === 'VALID') return 0;
            return mode === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
          });
        }
        const xShape = [c.batch, C, ...axes.map((a) => a.in)];
        const wShape = [C, c.mg, ...axes.map((a) => a.k)];
        const x = randomData(xShape.reduce((a, b) => a * b, 1), c.seed);
        const w = randomData(wShape.reduce((a, b) => a * b, 1), c.seed + 1);
        const b = c.bias ? randomData(M, c.seed + 2) : undefined;
        const y = convTranspose({ shape: xShape, data: x }, { shape: wShape, data: w }, b && { shape: [M], data: b }, { ...attrs, backend: 'ts' });
        expect(y.shape).toEqual([c.batch, M, ...outSpatial]);
        const expected = naiveConvTranspose(
          { batch: c.batch, inChannels: C, outChannels: M, groups: c.groups, inSpatial: axes.map((a) => a.in), outSpatial, kernel: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), padsBegin },
          x,
          w,
          b,
        );
        expect(worstError(y.data, expected, RTOL, ATOL)).toBeLessThanOrEqual(1);
        if (mode === 'outputShape') {
          const tooLarge = full.map((f, i) => f + axes[i]!.s);
          expect(() => convTranspose({ shape: xShape, data: x }, { shape: wShape, data: w }, null, { ...attrs, outputShape: tooLarge })).toThrow(RangeError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('TF conv{1,2,3}dTranspose front end and reference backend match the definition', () => {
  it('accept exactly the output shapes whose forward convolution has the input size, and compute the scatter form', () => {
    fc.assert(
      fc.property(problemShape, fc.constantFrom('SAME', 'VALID', 'EXPLICIT'), (c, mode) => {
        const r = c.rank;
        if (mode === 'EXPLICIT' && r !== 2) return; // TF has explicit padding for 2-D only
        const axes = c.axes.slice(0, r);
        const C = c.groups * c.cg;
        const M = c.groups * c.mg;
        const eff = axes.map((a) => (a.k - 1) * a.d + 1);
        const explicit = axes.map((a) => [a.pick % 3, a.pick2 % 3] as [number, number]);
        // Independent shape rule: SAME → ceil(out / s) positions; VALID / explicit → count windows.
        const forward = (out: number, i: number) => {
          const a = axes[i]!;
          if (mode === 'SAME') return Math.ceil(out / a.s);
          const [pb, pa] = mode === 'VALID' ? [0, 0] : explicit[i]!;
          return forwardPositions(out, eff[i]!, a.s, pb, pa);
        };
        const candidates = axes.map((a, i) => {
          const ok: number[] = [];
          for (let o = 1; o <= a.in * a.s + eff[i]! + 4; o++) if (forward(o, i) === a.in) ok.push(o);
          return ok;
        });
        if (candidates.some((list) => list.length === 0)) return; // no output size fits (e.g. large explicit pads)
        const outSpatial = candidates.map((list, i) => list[axes[i]!.pick % list.length]!);
        const padsBegin = outSpatial.map((o, i) => {
          const a = axes[i]!;
          if (mode === 'VALID') return 0;
          if (mode === 'EXPLICIT') return explicit[i]![0];
          return Math.floor(Math.max(0, (Math.ceil(o / a.s) - 1) * a.s + eff[i]! - o) / 2);
        });

        const format = TF_FORMATS[r][c.channelsLast ? 0 : 1];
        const inCF = [c.batch, C, ...axes.map((a) => a.in)];
        const xCF = randomData(inCF.reduce((a, b) => a * b, 1), c.seed);
        const input = c.channelsLast ? moveAxis(xCF, inCF, 1, r + 1) : { data: xCF, shape: inCF };
        const fShape = [...axes.map((a) => a.k), c.mg, C];
        const f = randomData(fShape.reduce((a, b) => a * b, 1), c.seed + 1);
        const outShape = c.channelsLast ? [c.batch, ...outSpatial, M] : [c.batch, M, ...outSpatial];
        const padding =
          mode === 'EXPLICIT'
            ? c.channelsLast
              ? [[0, 0], ...explicit, [0, 0]]
              : [[0, 0], [0, 0], ...explicit]
            : mode;
        const b = c.bias ? randomData(M, c.seed + 2) : undefined;
        const options = { dataFormat: format, dilations: axes.map((a) => a.d), backend: 'ts', ...(b ? { bias: { shape: [M], data: b } } : {}) } as const;
        const op = TF_OPS[r] as (...args: unknown[]) => { shape: readonly number[]; data: Float32Array };
        const y = op(input, { shape: fShape, data: f }, outShape, axes.map((a) => a.s), padding, options);
        expect(y.shape).toEqual(outShape);

        const onnxW = tfFilterToOnnx(f, fShape);
        const expectedCF = naiveConvTranspose(
          { batch: c.batch, inChannels: C, outChannels: M, groups: c.groups, inSpatial: axes.map((a) => a.in), outSpatial, kernel: axes.map((a) => a.k), strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), padsBegin },
          xCF,
          onnxW.data,
          b,
        );
        const expected = c.channelsLast ? moveAxis(expectedCF, [c.batch, M, ...outSpatial], 1, r + 1).data : expectedCF;
        expect(worstError(y.data, expected, RTOL, ATOL)).toBeLessThanOrEqual(1);

        // An output size just outside the accepted set along the first axis must be refused.
        const bad = [...outSpatial];
        const list = candidates[0]!;
        bad[0] = list[list.length - 1]! + 1;
        const badShape = c.channelsLast ? [c.batch, ...bad, M] : [c.batch, M, ...bad];
        expect(() => op(input, { shape: fShape, data: f }, badShape, axes.map((a) => a.s), padding, options)).toThrow(RangeError);
      }),
      { numRuns: 300 },
    );
  });
});
