/**
 * The oneDNN backend's PhaseConvolutions way (native/onednn/phase_convolutions.cc): a strided
 * transposed convolution, channels last, as one oneDNN forward convolution per output phase plus
 * an interleaving copy, its threads within each convolution or across images. Forced with
 * DECONV_ONEDNN_VARIANT=phases and phases-images, against the reference backend:
 * ranks 1–3, strides 1–4 (up to 16 phases), kernels 1–5, dilations 1–3, SAME (whose output_shape
 * rounding gives negative end padding) and VALID, phases that no tap reaches (stride above the
 * kernel), bias and every activation, calls and plans.
 * Channels first (ONNX), x is reordered on the way in and y written back by the interleaving copy:
 * groups, asymmetric and negative padding (output_padding), dilations.
 * Tolerance as in native.test.ts: |a − r| ≤ 1e-4 · (|r| + max(1, max|r|)).
 * Skipped, with the reason printed, where the oneDNN backend is not built.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convTranspose, convTransposePlan } from '../src/index.js';
import { nativeAddon } from '../src/backends/native.js';
import { nativeBackendsUnderTest } from './helpers/backends.js';
import { ACTIVATIONS, tfOpsByRank, withOnednnVariant, worstAgainstPeak } from './helpers/compare.js';
import { randomData } from './helpers/naive.js';

const hasOnednn = nativeBackendsUnderTest().includes('onednn');
if (!hasOnednn) console.warn('[deconv tests] phase-convolutions.test.ts: the oneDNN backend is not built, its tests are skipped');
const addon = () => nativeAddon().addon!;

// Each way and the implementation name it reports.
const WAYS: Array<[variant: string, implementation: string]> = [
  ['phases', 'deconv:phase_convolutions (a oneDNN convolution per output phase; threads within each)'],
  ['phases-images', 'deconv:phase_convolutions (a oneDNN convolution per output phase; threads across images)'],
];

describe.runIf(hasOnednn)('oneDNN phase-convolutions ways', () => {
  it.each(WAYS)('%s matches the reference on strided problems: ranks 1–3, dilations, SAME and VALID, bias, activations', (variant, implementation) => {
    let used = 0;
    withOnednnVariant(variant, () => {
      fc.assert(
        fc.property(
          fc.record({
            rank: fc.constantFrom(1, 2, 2, 3),
            batch: fc.integer({ min: 1, max: 3 }),
            C: fc.integer({ min: 1, max: 9 }),
            M: fc.integer({ min: 1, max: 9 }),
            sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
            kernel: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }),
            strides: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
            dilation: fc.integer({ min: 1, max: 3 }),
            padding: fc.constantFrom('SAME', 'VALID'),
            bias: fc.boolean(),
            activation: fc.constantFrom(...ACTIVATIONS),
            seed: fc.nat(),
          }),
          (c) => {
            const sizes = c.sizes.slice(0, c.rank);
            const kernel = c.kernel.slice(0, c.rank);
            const strides = c.strides.slice(0, c.rank);
            // TF: dilations above 1 only with unit strides; otherwise dilate the last axis alone.
            const dilations = strides.every((s) => s === 1) ? kernel.map(() => c.dilation) : kernel.map(() => 1);
            const eff = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
            const out = sizes.map((n, i) => (c.padding === 'SAME' ? n * strides[i]! : (n - 1) * strides[i]! + eff[i]!));
            const xShape = [c.batch, ...sizes, c.C];
            const X = { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) };
            const F = { shape: [...kernel, c.M, c.C], data: randomData(kernel.reduce((a, b) => a * b, c.M * c.C), c.seed + 1) };
            const outputShape = [c.batch, ...out, c.M];
            const options = { dilations, activation: c.activation, alpha: 0.2, ...(c.bias ? { bias: { shape: [c.M], data: randomData(c.M, c.seed + 2) } } : {}) };
            const [call, makePlan] = tfOpsByRank[c.rank as 1 | 2 | 3];
            const ref = call(X, F, outputShape, strides, c.padding, { ...options, backend: 'ts' });
            const plan = makePlan(X.shape, F, outputShape, strides, c.padding, { ...options, backend: 'onednn' });
            const phases = strides.reduce((a, b) => a * b, 1);
            if (phases > 1 && phases <= 16) {
              expect(addon().onednnDescribePlan!(plan.problem, 'float32')).toBe(implementation);
              used++;
            }
            expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            plan.dispose();
            expect(worstAgainstPeak(call(X, F, outputShape, strides, c.padding, { ...options, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
          },
        ),
        { numRuns: 150 },
      );
    });
    expect(used).toBeGreaterThan(50);
  });

  it.each(WAYS)('%s, channels first (ONNX): groups, asymmetric pads, output_padding, dilations', (variant, implementation) => {
    let used = 0;
    let runs = 0;
    withOnednnVariant(variant, () => {
      fc.assert(
        fc.property(
          fc.record({
            rank: fc.constantFrom(1, 2, 3),
            batch: fc.integer({ min: 1, max: 3 }),
            groups: fc.integer({ min: 1, max: 3 }),
            cg: fc.integer({ min: 1, max: 4 }),
            mg: fc.integer({ min: 1, max: 4 }),
            axes: fc.array(
              fc.record({ in: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 2, max: 3 }), d: fc.integer({ min: 1, max: 2 }), p0: fc.nat(3), p1: fc.nat(3), op: fc.nat(2) }),
              { minLength: 3, maxLength: 3 },
            ),
            bias: fc.boolean(),
            activation: fc.constantFrom(...ACTIVATIONS),
            seed: fc.nat(),
          }),
          (c) => {
            const axes = c.axes.slice(0, c.rank);
            if (axes.reduce((n, a) => n * a.s, 1) > 16) return;
            const C = c.groups * c.cg, M = c.groups * c.mg;
            const eff = axes.map((a) => (a.k - 1) * a.d + 1);
            const pads = axes.map((a, i) => [Math.min(a.p0, eff[i]! - 1), Math.min(a.p1, eff[i]! - 1)] as const);
            const outputPadding = axes.map((a) => a.op % Math.max(a.s, a.d));
            if (axes.some((a, i) => (a.in - 1) * a.s + eff[i]! + outputPadding[i]! - pads[i]![0] - pads[i]![1] < 1)) return;
            const xShape = [c.batch, C, ...axes.map((a) => a.in)];
            const wShape = [C, c.mg, ...axes.map((a) => a.k)];
            const X = { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) };
            const W = { shape: wShape, data: randomData(wShape.reduce((a, b) => a * b, 1), c.seed + 1) };
            const B = c.bias ? { shape: [M], data: randomData(M, c.seed + 2) } : null;
            const attrs = {
              strides: axes.map((a) => a.s),
              dilations: axes.map((a) => a.d),
              pads: [...pads.map((p) => p[0]), ...pads.map((p) => p[1])],
              outputPadding,
              group: c.groups,
              activation: c.activation,
              alpha: 0.4,
            };
            const ref = convTranspose(X, W, B, { ...attrs, backend: 'ts' });
            const plan = convTransposePlan(xShape, W, B, { ...attrs, backend: 'onednn' });
            // Not where a phase would need negative padding on the left (oneDNN builds no such
            // convolution): the plan then computes the caller's way.
            if (addon().onednnDescribePlan!(plan.problem, 'float32')=== implementation) used++;
            runs++;
            expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            plan.dispose();
            expect(worstAgainstPeak(convTranspose(X, W, B, { ...attrs, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
          },
        ),
        { numRuns: 120 },
      );
    });
    expect(used).toBe(runs);
  });
});
