/**
 * The oneDNN backend's PhaseKernel way (native/onednn/phase_kernel.cc): deconv's own AVX2 kernel
 * per output phase, channels last, writing y in place. Forced with DECONV_ONEDNN_VARIANT=phase-kernel,
 * against the reference backend: ranks 1–3, strides 1–4, kernels 1–5, dilations 1–3, SAME, VALID
 * and explicit padding, phases that no tap reaches, output channels across several blocks of 16
 * with a partial last one (1–40), bias and every activation, calls and plans; channels first
 * (ONNX, x and y reordered around the kernel): asymmetric and negative padding (output_padding),
 * dilations with strides; the blocked order, where a phase's weights are large (hundreds of
 * input channels), its sums kept in y between chunks of input channels (thousands); and a large x
 * (8 MiB), where tiles prefetch their successors' inputs, against oneDNN's own primitive.
 * Tolerance as in native.test.ts: |a − r| ≤ 1e-4 · (|r| + max(1, max|r|)).
 * Skipped, with the reason printed, where the oneDNN backend is not built or this CPU lacks AVX2.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convTranspose } from '../src/index.js';
import { nativeAddon } from '../src/backends/native.js';
import { nativeBackendsUnderTest } from './helpers/backends.js';
import { tfOpsByRank, withOnednnVariant, worstAgainstPeak } from './helpers/compare.js';
import { randomData } from './helpers/naive.js';
import { checkStridedOnnx, stridedOnnxArbitrary } from './helpers/strided-onnx.js';
import { checkStridedTf, stridedTfArbitrary } from './helpers/strided-tf.js';

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
        fc.property(stridedTfArbitrary({ inChannels: 20, outChannels: 40, kernel: 5, explicit: true }), (c) => {
          const got = checkStridedTf(c, (problem) => addon().onednnDescribePlan!(problem, 'float32'));
          // A phase has at most the kernel's taps: up to 64 the way always applies.
          if (got === undefined || c.kernel.slice(0, c.rank).reduce((a, b) => a * b, 1) > 64) return;
          expect(got).toBe(IMPLEMENTATION);
          used++;
        }),
        { numRuns: 200 },
      );
    });
    expect(used).toBeGreaterThan(100);
  });

  it('channels first (ONNX): asymmetric pads, output_padding, dilations with strides', () => {
    let used = 0;
    withOnednnVariant('phase-kernel', () => {
      fc.assert(
        fc.property(stridedOnnxArbitrary({ groups: 1, inPerGroup: 12, outPerGroup: 24, kernel: 4, strides: [1, 3] }), (c) => {
          const got = checkStridedOnnx(c, (problem) => addon().onednnDescribePlan!(problem, 'float32'));
          if (got === undefined) return;
          expect(got).toBe(IMPLEMENTATION);
          used++;
        }),
        { numRuns: 150 },
      );
    });
    expect(used).toBeGreaterThan(75);
  });

  it('prefetching inputs (8 MiB of x, 48 to 128 output channels): matches oneDNN\'s own primitive, both layouts, a partial channel block', () => {
    // 1 × 128 × 128 × 128 floats of x, 56 outputs (three blocks of 16 and one of 8), bias, relu:
    // the tiles prefetch their successors' inputs. oneDNN's primitive ('caller') is the oracle,
    // itself checked against the reference elsewhere: the reference takes seconds at this size.
    const C = 128, M = 56, size = 128, k = 3, s = 2;
    const X = { shape: [1, size, size, C], data: randomData(size * size * C, 61) };
    const F = { shape: [k, k, M, C], data: randomData(k * k * M * C, 62) };
    const bias = { shape: [M], data: randomData(M, 63) };
    const outputShape = [1, size * s, size * s, M];
    const [, makePlan] = tfOpsByRank[2];
    const run = (variant: string) =>
      withOnednnVariant(variant, () => {
        const plan = makePlan(X.shape, F, outputShape, s, 'SAME', { bias, activation: 'relu', backend: 'onednn' });
        const implementation = addon().onednnDescribePlan!(plan.problem, 'float32');
        const y = plan.run(X).data;
        plan.dispose();
        return { implementation, y };
      });
    const ours = run('phase-kernel');
    const theirs = run('caller');
    expect(ours.implementation).toBe(IMPLEMENTATION);
    expect(worstAgainstPeak(ours.y, theirs.y, 1e-4)).toBeLessThanOrEqual(1);
    // Channels first: x reordered channels last into scratch, the same prefetching.
    const Xc = { shape: [1, C, size, size], data: randomData(size * size * C, 64) };
    const W = { shape: [C, M, k, k], data: randomData(k * k * M * C, 65) };
    const attrs = { strides: [s, s], pads: [1, 1, 0, 0], outputPadding: [1, 1], activation: 'relu' as const };
    const onnx = (variant: string) => withOnednnVariant(variant, () => convTranspose(Xc, W, bias, { ...attrs, backend: 'onednn' }).data);
    expect(worstAgainstPeak(onnx('phase-kernel'), onnx('caller'), 1e-4)).toBeLessThanOrEqual(1);
  });

  it('blocked order (large weights): chunks of input channels summed in y, both layouts, partial channel blocks, bias, activations', () => {
    withOnednnVariant('phase-kernel', () => {
      // Each with a phase whose taps × input channels × 16 outputs pass 256 KiB, the threshold of
      // the blocked order; the first's pass 1 MiB (4 taps of 4200 channels), where the input
      // channels go in two chunks, the sums of the first kept in y.
      const cases = [
        { C: 4200, M: 20, k: 3, s: 2, n: 1, size: 3, activation: 'relu' as const },
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
