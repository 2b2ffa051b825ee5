/**
 * The oneDNN backend's PhaseRows way (native/onednn/phase_rows.cc): deconv's own AVX2 kernel for
 * channels-first problems with stride 2 along W, the vector lanes along W, both W phases
 * interleaved into whole rows of y. Forced with DECONV_ONEDNN_VARIANT=phase-rows, against the
 * reference backend: ranks 1–3; along W stride 2, 1–6 taps (1–3 per W phase), dilation 1 or 3,
 * rows of 1–80 inputs (one call per 32 outputs, a partial last one, odd widths where the phases
 * differ in size), asymmetric pads and output_padding; along D and H strides 1–3 with phases that
 * no tap reaches and taps outside x at the edges; output channels across several blocks with
 * unequal sizes (1–40), bias and every activation, calls and plans; TF's filter layout (NCW, NCHW,
 * NCDHW through conv1d/2d/3dTranspose); long 1-D signals, their rows split into runs of calls for
 * the threads (2048 input channels: runs cut short to keep the staged x small).
 * Tolerance as in native.test.ts: |a − r| ≤ 1e-4 · (|r| + max(1, max|r|)).
 * Skipped, with the reason printed, where the oneDNN backend is not built or this CPU lacks AVX2.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convTranspose, convTransposePlan, type Activation } from '../src/index.js';
import { nativeAddon } from '../src/backends/native.js';
import { nativeBackendsUnderTest } from './helpers/backends.js';
import { tfOpsByRank, withOnednnVariant, worstAgainstPeak } from './helpers/compare.js';
import { randomData } from './helpers/naive.js';
import { checkStridedOnnx, stridedOnnxArbitrary } from './helpers/strided-onnx.js';

const hasOnednn = nativeBackendsUnderTest().includes('onednn');
const isa = hasOnednn ? nativeAddon().addon!.onednnInfo!().isa : '';
const hasKernel = hasOnednn && /avx2|avx512|amx/.test(isa);
if (!hasOnednn) console.warn('[deconv tests] phase-rows.test.ts: the oneDNN backend is not built, its tests are skipped');
else if (!hasKernel) console.warn(`[deconv tests] phase-rows.test.ts: this CPU (${isa}) has no AVX2, which the kernel needs; its tests are skipped`);
const addon = () => nativeAddon().addon!;
const IMPLEMENTATION = 'deconv:phase_rows (AVX2 kernel along W, whole rows of y in place)';

// Random channels-first problems whose last axis (W) has the way's shape.
const wAxis = fc.record({
  in: fc.integer({ min: 1, max: 80 }),
  k: fc.integer({ min: 1, max: 6 }),
  s: fc.constant(2),
  d: fc.constantFrom(1, 3),
  p0: fc.nat(4),
  p1: fc.nat(4),
  op: fc.nat(1),
});
const problems = fc
  .tuple(stridedOnnxArbitrary({ groups: 1, inPerGroup: 10, outPerGroup: 40, kernel: 4, strides: [1, 3] }), wAxis)
  .map(([c, w]) => ({ ...c, axes: c.axes.map((a, i) => (i === c.rank - 1 ? w : a)) }));

describe.runIf(hasKernel)('oneDNN phase-rows way', () => {
  it('matches the reference: ranks 1–3, stride 2 along W with 1–3 taps per phase, rows of 1–80, D and H strides 1–3, 1–40 output channels, bias, activations', () => {
    let used = 0;
    withOnednnVariant('phase-rows', () => {
      fc.assert(
        fc.property(problems, (c) => {
          const got = checkStridedOnnx(c, (problem) => addon().onednnDescribePlan!(problem, 'float32'));
          if (got === undefined) return;
          // The way applies where each W phase has a tap: a single tap (k = 1) reaches only one.
          const w = c.axes[c.rank - 1]!;
          if (w.k === 1) return;
          expect(got).toBe(IMPLEMENTATION);
          used++;
        }),
        { numRuns: 200 },
      );
    });
    expect(used).toBeGreaterThan(100);
  });

  it('long 1-D signals: the rows split into runs of calls for the threads, runs cut to keep the staged x small (2048 input channels)', () => {
    withOnednnVariant('phase-rows', () => {
      const cases = [
        { n: 1, C: 2048, M: 5, length: 2000, k: 4, pads: [1, 2], outputPadding: [1] },
        { n: 2, C: 8, M: 7, length: 5003, k: 3, pads: [1, 0], outputPadding: [0] },
      ];
      for (const [i, c] of cases.entries()) {
        const X = { shape: [c.n, c.C, c.length], data: randomData(c.n * c.C * c.length, 90 + i) };
        const W = { shape: [c.C, c.M, c.k], data: randomData(c.C * c.M * c.k, 95 + i) };
        const B = { shape: [c.M], data: randomData(c.M, 99 + i) };
        const attrs = { strides: [2], pads: c.pads, outputPadding: c.outputPadding, activation: 'tanh' as const };
        const ref = convTranspose(X, W, B, { ...attrs, backend: 'ts' });
        const plan = convTransposePlan(X.shape, W, B, { ...attrs, backend: 'onednn' });
        expect(addon().onednnDescribePlan!(plan.problem, 'float32')).toBe(IMPLEMENTATION);
        expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
        plan.dispose();
      }
    });
  });

  it("TF's filter layout, channels first: conv1d/2d/3dTranspose in NCW, NCHW, NCDHW, SAME and VALID", () => {
    withOnednnVariant('phase-rows', () => {
      const cases = [
        { rank: 1, n: 2, C: 7, M: 13, size: 37, k: 3, padding: 'SAME', activation: 'elu' },
        { rank: 2, n: 1, C: 5, M: 17, size: 19, k: 4, padding: 'VALID', activation: 'relu' },
        { rank: 2, n: 2, C: 9, M: 6, size: 16, k: 5, padding: 'SAME', activation: 'none' },
        { rank: 3, n: 1, C: 4, M: 11, size: 9, k: 3, padding: 'SAME', activation: 'sigmoid' },
      ] as const;
      for (const [i, c] of cases.entries()) {
        const spatial = Array<number>(c.rank).fill(c.size);
        const out = spatial.map((s) => (c.padding === 'SAME' ? s * 2 : (s - 1) * 2 + c.k));
        const X = { shape: [c.n, c.C, ...spatial], data: randomData(c.n * c.C * c.size ** c.rank, 60 + i) };
        const F = { shape: [...Array<number>(c.rank).fill(c.k), c.M, c.C], data: randomData(c.k ** c.rank * c.M * c.C, 70 + i) };
        const bias = { shape: [c.M], data: randomData(c.M, 80 + i) };
        const format = (['NCW', 'NCHW', 'NCDHW'] as const)[c.rank - 1];
        const options = { dataFormat: format, bias, activation: c.activation as Activation };
        const [call, makePlan] = tfOpsByRank[c.rank];
        const ref = call(X, F, [c.n, c.M, ...out], 2, c.padding, { ...options, backend: 'ts' });
        const plan = makePlan(X.shape, F, [c.n, c.M, ...out], 2, c.padding, { ...options, backend: 'onednn' });
        expect(addon().onednnDescribePlan!(plan.problem, 'float32')).toBe(IMPLEMENTATION);
        expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
        plan.dispose();
        const got = call(X, F, [c.n, c.M, ...out], 2, c.padding, { ...options, backend: 'onednn' });
        expect(worstAgainstPeak(got.data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
      }
    });
  });
});
