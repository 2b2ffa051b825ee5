/**
 * The oneDNN backend's ways for a transposed convolution whose kernel equals its stride (no
 * padding, channels last), where every output comes from one tap: TiledMatmul
 * (native/onednn/tiled_matmul.cc), one batched matmul that writes each input pixel's output tile
 * in place, and GemmCol2im input first, whose gather is then a copy (copyTiles). Each forced with
 * DECONV_ONEDNN_VARIANT, against the reference backend: ranks 1–3, kernels 1–4 per axis, bias and
 * every activation, calls and plans. Tolerance as in native.test.ts: |a − r| ≤ 1e-4 · (|r| + max(1, max|r|)).
 * Skipped, with the reason printed, where the oneDNN backend is not built.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../src/backends/native.js';
import { nativeBackendsUnderTest } from './helpers/backends.js';
import { ACTIVATIONS, tfOpsByRank, withOnednnVariant, worstAgainstPeak } from './helpers/compare.js';
import { randomData } from './helpers/naive.js';

const hasOnednn = nativeBackendsUnderTest().includes('onednn');
if (!hasOnednn) console.warn('[deconv tests] exact-tiling.test.ts: the oneDNN backend is not built, its tests are skipped');
const addon = () => nativeAddon().addon!;

const WAYS: Array<[variant: string, implementation: RegExp]> = [
  ['tiled-matmul', /^deconv:tiled_matmul/],
  ['gemm-input-first', /^deconv:gemm_col2im .*input first; threads within/],
  ['gemm-input-first-images', /^deconv:gemm_col2im .*input first; threads across/],
];

describe.runIf(hasOnednn)('oneDNN ways where the kernel tiles the output', () => {
  it.each(WAYS)('%s matches the reference where the kernel is the stride: ranks 1–3, bias, activations, calls and plans', (variant, implementation) => {
    withOnednnVariant(variant, () => {
      fc.assert(
        fc.property(
          fc.record({
            rank: fc.constantFrom(1, 2, 3),
            batch: fc.integer({ min: 1, max: 3 }),
            C: fc.integer({ min: 1, max: 12 }),
            M: fc.integer({ min: 1, max: 12 }),
            sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
            kernel: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
            bias: fc.boolean(),
            activation: fc.constantFrom(...ACTIVATIONS),
            seed: fc.nat(),
          }),
          (c) => {
            const sizes = c.sizes.slice(0, c.rank);
            const kernel = c.kernel.slice(0, c.rank);
            const xShape = [c.batch, ...sizes, c.C];
            const X = { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) };
            const F = { shape: [...kernel, c.M, c.C], data: randomData(kernel.reduce((a, b) => a * b, c.M * c.C), c.seed + 1) };
            const outputShape = [c.batch, ...sizes.map((n, i) => n * kernel[i]!), c.M];
            const options = { activation: c.activation, alpha: 0.2, ...(c.bias ? { bias: { shape: [c.M], data: randomData(c.M, c.seed + 2) } } : {}) };
            const [call, makePlan] = tfOpsByRank[c.rank as 1 | 2 | 3];
            const ref = call(X, F, outputShape, kernel, 'VALID', { ...options, backend: 'ts' });
            const plan = makePlan(X.shape, F, outputShape, kernel, 'VALID', { ...options, backend: 'onednn' });
            expect(addon().onednnDescribePlan!(plan.problem, 'float32')).toMatch(implementation);
            expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            plan.dispose();
            expect(worstAgainstPeak(call(X, F, outputShape, kernel, 'VALID', { ...options, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
          },
        ),
        { numRuns: 120 },
      );
    });
  });
});
