/**
 * The oneDNN backend's PhaseKernel way (native/onednn/phase_kernel.cc): deconv's own AVX2 kernel
 * per output phase, channels last, writing y in place. Forced with DECONV_ONEDNN_VARIANT=phase-kernel,
 * against the reference backend: ranks 1–3, strides 1–4, kernels 1–5, dilations 1–3, SAME, VALID
 * and explicit padding, phases that no tap reaches, output channels across several blocks of 16
 * with a partial last one (1–40), bias and every activation, calls and plans; channels first
 * (ONNX, x and y reordered around the kernel): asymmetric and negative padding (output_padding),
 * dilations with strides; and the blocked order, where a phase's weights are large (hundreds of
 * input channels), its sums kept in y between chunks of input channels.
 * Tolerance as in native.test.ts: |a − r| ≤ 1e-4 · (|r| + max(1, max|r|)).
 * Skipped, with the reason printed, where the oneDNN backend is not built or this CPU lacks AVX2.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convTranspose, convTransposePlan } from '../src/index.js';
import { nativeAddon } from '../src/backends/native.js';
import { nativeBackendsUnderTest } from './helpers/backends.js';
import { ACTIVATIONS, tfOpsByRank, withOnednnVariant, worstAgainstPeak } from './helpers/compare.js';
import { randomData } from './helpers/naive.js';

const hasOnednn = nativeBackendsUnderTest().includes('onednn');
const isa = hasOnednn ? nativeAddon().addon!.onednnInfo!().isa : '';
const hasKernel = hasOnednn && /avx2|avx512|amx/.test(isa);
if (!hasOnednn) console.warn('[deconv tests] phase-kernel.test.ts: the oneDNN backend is not built, its tests are skipped');
else if (!hasKernel) console.warn(`[deconv tests] phase-kernel.test.ts: this CPU (${isa}) has no AVX2, which the kernel needs; its tests are skipped`);
const addon = () => nativeAddon().addon!;
const IMPLEMENTATION = 'deconv:phase_kernel (AVX2 kernel per output phase, writing y in place)';

describe.runIf(hasKernel)('oneDNN phase-kernel way', () => {
  it('matches the reference: ranks 1–3, strides, dilations, SAME, VALID and explicit padding, 1–40 output channels, bias, activations', () => {
    let used = 0;
    withOnednnVariant('phase-kernel', () => {
      fc.assert(
        fc.property(
          fc.record({
            rank: fc.constantFrom(1, 2, 2, 3),
            batch: fc.integer({ min: 1, max: 3 }),
            C: fc.integer({ min: 1, max: 20 }),
            M: fc.integer({ min: 1, max: 40 }),
            sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
            kernel: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }),
            strides: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
            dilation: fc.integer({ min: 1, max: 3 }),
            padding: fc.constantFrom('SAME', 'VALID', 'explicit'),
            pads: fc.array(fc.nat(3), { minLength: 4, maxLength: 4 }),
            bias: fc.boolean(),
            activation: fc.constantFrom(...ACTIVATIONS),
            seed: fc.nat(),
          }),
          (c) => {
            const sizes = c.sizes.slice(0, c.rank);
            const kernel = c.kernel.slice(0, c.rank);
            const strides = c.strides.slice(0, c.rank);
            // TF: dilations above 1 only with unit strides.
            const dilations = strides.every((s) => s === 1) ? kernel.map(() => c.dilation) : kernel.map(() => 1);
            const eff = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
            // Explicit padding (rank 2 only in TF's API), each side below the dilated kernel.
            const explicit = c.padding === 'explicit' && c.rank === 2;
            const padsOf = (i: number) => [Math.min(c.pads[2 * i]!, eff[i]! - 1), Math.min(c.pads[2 * i + 1]!, eff[i]! - 1)] as const;
            const padding = explicit ? [[0, 0], padsOf(0), padsOf(1), [0, 0]] : c.padding === 'SAME' ? 'SAME' : 'VALID';
            const out = sizes.map((n, i) => {
              if (explicit) return (n - 1) * strides[i]! + eff[i]! - padsOf(i)[0] - padsOf(i)[1];
              return padding === 'SAME' ? n * strides[i]! : (n - 1) * strides[i]! + eff[i]!;
            });
            if (out.some((o) => o < 1)) return;
            const xShape = [c.batch, ...sizes, c.C];
            const X = { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) };
            const F = { shape: [...kernel, c.M, c.C], data: randomData(kernel.reduce((a, b) => a * b, c.M * c.C), c.seed + 1) };
            const outputShape = [c.batch, ...out, c.M];
            const options = { dilations, activation: c.activation, alpha: 0.2, ...(c.bias ? { bias: { shape: [c.M], data: randomData(c.M, c.seed + 2) } } : {}) };
            const [call, makePlan] = tfOpsByRank[c.rank as 1 | 2 | 3];
            const spelled = padding as 'SAME';
            const ref = call(X, F, outputShape, strides, spelled, { ...options, backend: 'ts' });
            const plan = makePlan(X.shape, F, outputShape, strides, spelled, { ...options, backend: 'onednn' });
            // A phase has at most the kernel's taps: up to 64 the way always applies.
            if (kernel.reduce((a, b) => a * b, 1) <= 64) {
              expect(addon().onednnDescribePlan!(plan.problem, 'float32')).toBe(IMPLEMENTATION);
              used++;
            }
            expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            plan.dispose();
            expect(worstAgainstPeak(call(X, F, outputShape, strides, spelled, { ...options, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
          },
        ),
        { numRuns: 200 },
      );
    });
    expect(used).toBeGreaterThan(100);
  });

  it('channels first (ONNX): asymmetric pads, output_padding, dilations with strides', () => {
    let used = 0;
    withOnednnVariant('phase-kernel', () => {
      fc.assert(
        fc.property(
          fc.record({
            rank: fc.constantFrom(1, 2, 3),
            batch: fc.integer({ min: 1, max: 3 }),
            C: fc.integer({ min: 1, max: 12 }),
            M: fc.integer({ min: 1, max: 24 }),
            axes: fc.array(
              fc.record({ in: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 1, max: 4 }), s: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 2 }), p0: fc.nat(3), p1: fc.nat(3), op: fc.nat(2) }),
              { minLength: 3, maxLength: 3 },
            ),
            bias: fc.boolean(),
            activation: fc.constantFrom(...ACTIVATIONS),
            seed: fc.nat(),
          }),
          (c) => {
            const axes = c.axes.slice(0, c.rank);
            const eff = axes.map((a) => (a.k - 1) * a.d + 1);
            const pads = axes.map((a, i) => [Math.min(a.p0, eff[i]! - 1), Math.min(a.p1, eff[i]! - 1)] as const);
            const outputPadding = axes.map((a) => a.op % Math.max(a.s, a.d));
            if (axes.some((a, i) => (a.in - 1) * a.s + eff[i]! + outputPadding[i]! - pads[i]![0] - pads[i]![1] < 1)) return;
            const xShape = [c.batch, c.C, ...axes.map((a) => a.in)];
            const wShape = [c.C, c.M, ...axes.map((a) => a.k)];
            const X = { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) };
            const W = { shape: wShape, data: randomData(wShape.reduce((a, b) => a * b, 1), c.seed + 1) };
            const B = c.bias ? { shape: [c.M], data: randomData(c.M, c.seed + 2) } : null;
            const attrs = {
              strides: axes.map((a) => a.s),
              dilations: axes.map((a) => a.d),
              pads: [...pads.map((q) => q[0]), ...pads.map((q) => q[1])],
              outputPadding,
              activation: c.activation,
              alpha: 0.4,
            };
            const ref = convTranspose(X, W, B, { ...attrs, backend: 'ts' });
            const plan = convTransposePlan(xShape, W, B, { ...attrs, backend: 'onednn' });
            expect(addon().onednnDescribePlan!(plan.problem, 'float32')).toBe(IMPLEMENTATION);
            used++;
            expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            plan.dispose();
            expect(worstAgainstPeak(convTranspose(X, W, B, { ...attrs, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
          },
        ),
        { numRuns: 150 },
      );
    });
    expect(used).toBeGreaterThan(75);
  });

  it('blocked order (large weights): chunks of input channels summed in y, both layouts, partial channel blocks, bias, activations', () => {
    withOnednnVariant('phase-kernel', () => {
      // Each with a phase whose taps × input channels × 16 outputs pass 384 KiB, the threshold of
      // the blocked order.
      const cases = [
        { C: 1600, M: 20, k: 3, s: 2, n: 2, size: 3, activation: 'relu' as const },
        { C: 700, M: 40, k: 5, s: 2, n: 2, size: 3, activation: 'tanh' as const },
        { C: 1560, M: 5, k: 4, s: 3, n: 1, size: 3, activation: 'none' as const },
      ];
      for (const [i, c] of cases.entries()) {
        // Channels last (TF), SAME.
        const X = { shape: [c.n, c.size, c.size, c.C], data: randomData(c.n * c.size * c.size * c.C, 10 + i) };
        const F = { shape: [c.k, c.k, c.M, c.C], data: randomData(c.k * c.k * c.M * c.C, 20 + i) };
        const bias = { shape: [c.M], data: randomData(c.M, 30 + i) };
        const outputShape = [c.n, c.size * c.s, c.size * c.s, c.M];
        const options = { bias, activation: c.activation };
        const [call, makePlan] = tfOpsByRank[2];
        const ref = call(X, F, outputShape, c.s, 'SAME', { ...options, backend: 'ts' });
        const plan = makePlan(X.shape, F, outputShape, c.s, 'SAME', { ...options, backend: 'onednn' });
        expect(addon().onednnDescribePlan!(plan.problem, 'float32')).toBe(IMPLEMENTATION);
        expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
        plan.dispose();
        // Channels first (ONNX), asymmetric pads with output_padding.
        const Xc = { shape: [c.n, c.C, c.size, c.size], data: randomData(c.n * c.size * c.size * c.C, 40 + i) };
        const W = { shape: [c.C, c.M, c.k, c.k], data: randomData(c.k * c.k * c.M * c.C, 50 + i) };
        const attrs = { strides: [c.s, c.s], pads: [1, 0, 0, 1], outputPadding: [1, 0], activation: c.activation };
        const refc = convTranspose(Xc, W, bias, { ...attrs, backend: 'ts' });
        expect(worstAgainstPeak(convTranspose(Xc, W, bias, { ...attrs, backend: 'onednn' }).data, refc.data, 1e-4)).toBeLessThanOrEqual(1);
      }
    });
  });
});
