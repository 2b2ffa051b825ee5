/**
 * The native backends against the reference: random problems with every feature (ranks 1–3,
 * strides, dilations, groups, asymmetric pads, output_padding, both layouts, bias, each activation),
 * sync against async, plans, zero-copy, and a live event loop during long calls.
 * Tolerance against the reference: |a − r| ≤ 1e-4 · (|r| + max(1, max|r|)) for float32 math.
 * Skipped, with the reason printed, where no native backend is built.
 */
import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conv1dTranspose,
  conv2dTranspose,
  conv2dTransposePlan,
  convTranspose,
  convTransposeAsync,
  convTransposePlan,
  getNumThreads,
  planCacheStats,
  setNumThreads,
} from '../src/index.js';
import { nativeAddon } from '../src/backends/native.js';
import { nativeBackendsUnderTest } from './helpers/backends.js';
import { tfOpsByRank, withOnednnVariant, worstAgainstPeak } from './helpers/compare.js';
import { randomData } from './helpers/naive.js';
import { stridedOnnxArbitrary, stridedOnnxCase } from './helpers/strided-onnx.js';

const natives = nativeBackendsUnderTest();
if (natives.length === 0) console.warn('[deconv tests] native.test.ts: no native backend is available, its tests are skipped');


const problem = stridedOnnxArbitrary({ groups: 3, inPerGroup: 4, outPerGroup: 5, kernel: 4, strides: [1, 3] });

describe.each(natives)('%s backend', (backend) => {
  it('matches the reference on random ONNX problems with every feature', () => {
    fc.assert(
      fc.property(problem, (c) => {
        const k = stridedOnnxCase(c);
        if (k === undefined) return;
        const ref = convTranspose(k.X, k.W, k.B, { ...k.attrs, backend: 'ts' });
        const got = convTranspose(k.X, k.W, k.B, { ...k.attrs, backend });
        expect(got.shape).toEqual(ref.shape);
        expect(worstAgainstPeak(got.data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 120 },
    );
  });

  it('matches the reference on random TF problems in both layouts', () => {
    fc.assert(
      fc.property(problem, fc.boolean(), fc.constantFrom('SAME', 'VALID'), (c, channelsLast, padding) => {
        const axes = c.axes.slice(0, 2);
        const C = c.groups * c.cg;
        const M = c.groups * c.mg;
        const out = axes.map((a) => (padding === 'SAME' ? a.in * a.s - (a.op % a.s) : (a.in - 1) * a.s + (a.k - 1) * a.d + 1 + (a.op % a.s)));
        const inCL = [c.batch, axes[0]!.in, axes[1]!.in, C];
        const inShape = channelsLast ? inCL : [c.batch, C, axes[0]!.in, axes[1]!.in];
        const x = { shape: inShape, data: randomData(inShape.reduce((a, b) => a * b, 1), c.seed) };
        const fShape = [axes[0]!.k, axes[1]!.k, c.mg, C];
        const f = { shape: fShape, data: randomData(fShape.reduce((a, b) => a * b, 1), c.seed + 1) };
        const outputShape = channelsLast ? [c.batch, out[0]!, out[1]!, M] : [c.batch, M, out[0]!, out[1]!];
        const options = {
          dataFormat: channelsLast ? 'NHWC' : 'NCHW',
          dilations: axes.map((a) => a.d),
          activation: c.activation,
          alpha: c.alpha,
          ...(c.bias ? { bias: { shape: [M], data: randomData(M, c.seed + 2) } } : {}),
        } as const;
        const ref = conv2dTranspose(x, f, outputShape, axes.map((a) => a.s), padding, { ...options, backend: 'ts' });
        const got = conv2dTranspose(x, f, outputShape, axes.map((a) => a.s), padding, { ...options, backend });
        expect(worstAgainstPeak(got.data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 80 },
    );
  });

  const X = { shape: [2, 6, 5, 7], data: randomData(2 * 6 * 5 * 7, 11) };
  const W = { shape: [6, 4, 3, 3], data: randomData(6 * 4 * 9, 12) };
  const B = { shape: [8], data: randomData(8, 13) };
  const attrs = { strides: [2, 2], pads: [1, 0, 0, 1], outputPadding: [1, 0], group: 2, activation: 'tanh' as const };

  it('async calls give the sync result, and 100 concurrent calls are all correct', async () => {
    const sync = convTranspose(X, W, B, { ...attrs, backend });
    const first = await convTransposeAsync(X, W, B, { ...attrs, backend });
    expect(Array.from(first.data)).toEqual(Array.from(sync.data));
    const inputs = Array.from({ length: 100 }, (_, i) => ({ shape: X.shape, data: randomData(X.data.length, 100 + i) }));
    const results = await Promise.all(inputs.map((x) => convTransposeAsync(x, W, B, { ...attrs, backend })));
    results.forEach((r, i) => {
      const expected = convTranspose(inputs[i]!, W, B, { ...attrs, backend });
      expect(Array.from(r.data)).toEqual(Array.from(expected.data));
    });
  });

  it('async calls snapshot their inputs: changing them after the call does not change the result', async () => {
    const x = { shape: X.shape, data: X.data.slice() };
    const expected = convTranspose(x, W, B, { ...attrs, backend });
    const pending = convTransposeAsync(x, W, B, { ...attrs, backend });
    x.data.fill(123);
    expect(Array.from((await pending).data)).toEqual(Array.from(expected.data));
  });

  it('async errors reject the promise (they do not throw synchronously)', async () => {
    const bad = convTransposeAsync(X, { shape: [5, 4, 3, 3], data: new Float32Array(180) }, null, { backend });
    await expect(bad).rejects.toThrow(RangeError);
  });

  it('keeps the event loop responsive during a long async call', async () => {
    // About 1.3 GFLOP: tens of milliseconds or more on any CPU.
    const x = { shape: [8, 128, 32, 32], data: randomData(8 * 128 * 32 * 32, 1) };
    const w = { shape: [128, 64, 4, 4], data: randomData(128 * 64 * 16, 2) };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    await convTransposeAsync(x, w, null, { strides: [2, 2], pads: [1, 1, 1, 1], backend });
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // A blocked loop would fire the timer at most once; a live one about once per millisecond.
    expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(elapsed / 4)));
    expect(elapsed).toBeGreaterThan(2);
  });

  it('reads the input in place and writes options.out in place (zero-copy)', () => {
    const addon = nativeAddon().addon!;
    if (!addon.debugAddresses) return void console.warn('[deconv tests] this build has no debugAddresses; zero-copy not checked');
    const out = { shape: [2, 8, 11, 14], data: new Float32Array(2 * 8 * 11 * 14) };
    const y = convTranspose(X, W, B, { ...attrs, out, backend });
    const seen = addon.debugAddresses(X.data);
    expect(seen.lastInput).toBe(seen.array);
    expect(seen.lastOutput).toBe(addon.debugAddresses(out.data).array);
    expect(y.data).toBe(out.data);
  });

  it('plans pack the weights once and give the same results, sync and async', async () => {
    const plan = convTransposePlan(X.shape, W, B, { ...attrs, backend });
    expect(plan.backend).toBe(backend);
    const expected = convTranspose(X, W, B, { ...attrs, backend });
    expect(Array.from(plan.run(X).data)).toEqual(Array.from(expected.data));
    expect(Array.from((await plan.runAsync(X)).data)).toEqual(Array.from(expected.data));
    expect(() => plan.run({ shape: [1, 6, 5, 7], data: new Float32Array(210) })).toThrow(RangeError);
    plan.dispose();
    expect(() => plan.run(X)).toThrow(/disposed/);
    const tf = conv2dTransposePlan([1, 3, 3, 2], { shape: [2, 2, 1, 2], data: randomData(8, 3) }, [1, 6, 6, 1], 2, 'VALID', { backend });
    const direct = conv2dTranspose({ shape: [1, 3, 3, 2], data: randomData(18, 4) }, { shape: [2, 2, 1, 2], data: randomData(8, 3) }, [1, 6, 6, 1], 2, 'VALID', { backend });
    expect(Array.from(tf.run({ shape: [1, 3, 3, 2], data: randomData(18, 4) }).data)).toEqual(Array.from(direct.data));
  });

  it('builds a primitive once per problem (the plan cache)', () => {
    const x = { shape: [1, 3, 4, 4], data: randomData(48, 5) };
    const w = { shape: [3, 2, 3, 3], data: randomData(54, 6) };
    convTranspose(x, w, null, { strides: [3, 3], backend });
    const before = planCacheStats();
    for (let i = 0; i < 5; i++) convTranspose(x, w, null, { strides: [3, 3], backend });
    const after = planCacheStats();
    expect(after.misses).toBe(before.misses);
    expect(after.hits).toBe(before.hits + 5);
  });

  it('matches the reference on problems large enough for the plan to time layout choices', () => {
    // ≥ 2e7 FLOPs: the oneDNN plan times the caller's plain layouts against its preferred ones
    // (with reorders) and keeps the faster; both must give the same numbers.
    const cases = [
      { x: [4, 32, 16, 16], w: [32, 24, 4, 4], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
      { x: [2, 48, 12, 12], w: [48, 16, 3, 3], attrs: { strides: [2, 2], pads: [1, 0, 1, 1], outputPadding: [1, 1], activation: 'relu' as const } },
      { x: [2, 64, 16, 16], w: [64, 1, 2, 2], attrs: { strides: [2, 2], group: 64 } },
      { x: [1, 32, 6, 8, 8], w: [32, 16, 3, 3, 3], attrs: { strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], outputPadding: [1, 1, 1] } },
    ];
    for (const c of cases) {
      const X = { shape: c.x, data: randomData(c.x.reduce((a, b) => a * b, 1), 21) };
      const W = { shape: c.w, data: randomData(c.w.reduce((a, b) => a * b, 1), 22) };
      const M = c.w[1]! * ((c.attrs as { group?: number }).group ?? 1);
      const B = { shape: [M], data: randomData(M, 23) };
      const ref = convTranspose(X, W, B, { ...c.attrs, backend: 'ts' });
      const got = convTranspose(X, W, B, { ...c.attrs, backend });
      expect(worstAgainstPeak(got.data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
      // The same through a plan (weights packed once).
      const plan = convTransposePlan(c.x, W, B, { ...c.attrs, backend });
      expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
      plan.dispose();
    }
  });

  it('matches the reference on a problem whose x and y exceed 128 MiB (its ways timed on a stand-in batch)', () => {
    // 8 images of 1.5M samples: x and y together take 144 MB, so the oneDNN plan times its ways
    // on a few of the images (plan.cc, standInBatch) and then runs the chosen way on all 8.
    const n = 8, length = 1_500_000;
    const X = { shape: [n, 1, length], data: randomData(n * length, 31) };
    const W = { shape: [1, 1, 2], data: randomData(2, 32) };
    const B = { shape: [1], data: randomData(1, 33) };
    const attrs = { strides: [2], activation: 'leakyRelu' as const, alpha: 0.1 };
    const ref = convTranspose(X, W, B, { ...attrs, backend: 'ts' });
    const plan = convTransposePlan(X.shape, W, B, { ...attrs, backend });
    expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
    plan.dispose();
  });

  it('matches the reference on long strided signals with few output channels, in both layouts (built channels first)', () => {
    // Output width > 4096, < 32 output channels, stride 2: oneDNN's channels-last strided kernel
    // takes seconds to set up for these (plan.cc, hasSlowChannelsLastBuild); the plan is built
    // channels first instead. Results must not change.
    for (const [C, M] of [[16, 8], [3, 1]] as const) {
      const length = 5000;
      const X = { shape: [1, length, C], data: randomData(length * C, 41) };
      const W = { shape: [4, M, C], data: randomData(4 * M * C, 42) };
      const outShape = [1, 2 * length, M];
      const ref = conv1dTranspose(X, W, outShape, 2, 'SAME', { backend: 'ts' });
      const got = conv1dTranspose(X, W, outShape, 2, 'SAME', { backend });
      expect(worstAgainstPeak(got.data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
      const Xc = { shape: [1, C, length], data: randomData(length * C, 43) };
      const Wc = { shape: [C, M, 4], data: randomData(4 * M * C, 44) };
      const attrs = { strides: [2], pads: [1, 1] };
      const refC = convTranspose(Xc, Wc, null, { ...attrs, backend: 'ts' });
      expect(worstAgainstPeak(convTranspose(Xc, Wc, null, { ...attrs, backend }).data, refC.data, 1e-4)).toBeLessThanOrEqual(1);
    }
  });

  it('async results of many sizes match sync ones (changing shapes)', async () => {
    const w = { shape: [4, 2, 4], data: randomData(32, 7) };
    const lengths = [5, 17, 3, 64, 9, 17, 5];
    const results = await Promise.all(
      lengths.map((n) => convTransposeAsync({ shape: [1, 4, n], data: randomData(4 * n, n) }, w, null, { strides: [2], pads: [1, 1], backend })),
    );
    results.forEach((r, i) => {
      const n = lengths[i]!;
      const expected = convTranspose({ shape: [1, 4, n], data: randomData(4 * n, n) }, w, null, { strides: [2], pads: [1, 1], backend: 'ts' });
      expect(worstAgainstPeak(r.data, expected.data, 1e-4)).toBeLessThanOrEqual(1);
    });
  });
});

describe.runIf(natives.includes('onednn'))('every way the oneDNN backend can compute', () => {
  it('gemm and gemm-images where the rows of a channels-first x are 4 KiB apart (the product reads a padded copy)', () => {
    // 32 × 32 pixels: each channel's row of x is 4 KiB, which GemmCol2im pads (gemm_col2im.cc).
    for (const variant of ['gemm', 'gemm-images']) {
      withOnednnVariant(variant, () => {
        const X = { shape: [3, 5, 32, 32], data: randomData(3 * 5 * 32 * 32, 7) };
        const W = { shape: [5, 3, 5, 5], data: randomData(5 * 3 * 25, 8) };
        const B = { shape: [3], data: randomData(3, 9) };
        const attrs = { strides: [2, 2], pads: [1, 2, 2, 1], outputPadding: [1, 0], activation: 'leakyRelu' as const, alpha: 0.3 };
        const ref = convTranspose(X, W, B, { ...attrs, backend: 'ts' });
        const plan = convTransposePlan(X.shape, W, B, { ...attrs, backend: 'onednn' });
        expect(nativeAddon().addon!.onednnDescribePlan!(plan.problem, 'float32')).toMatch(/^deconv:gemm_col2im .*weights first/);
        expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
        plan.dispose();
        expect(worstAgainstPeak(convTranspose(X, W, B, { ...attrs, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
      });
    }
  });

  // Plans normally time their candidates and keep the fastest, so which one a small test problem
  // gets is up to the machine. DECONV_ONEDNN_VARIANT forces each in turn.
  for (const variant of ['caller', 'other', 'preferred', 'gemm', 'gemm-input-first', 'gemm-images', 'gemm-input-first-images', 'tiled-matmul', 'phases', 'phases-images', 'phase-kernel', 'phase-rows', 'direct']) {
    it(`${variant}: random problems match the reference`, () => {
      withOnednnVariant(variant, () => {
        fc.assert(
          fc.property(problem, fc.boolean(), (c, tfFilters) => {
            const axes = c.axes.slice(0, c.rank);
            const groups = variant.startsWith('gemm') || variant === 'tiled-matmul' ? 1 : c.groups;
            const C = groups * c.cg;
            const M = groups * c.mg;
            const eff = axes.map((a) => (a.k - 1) * a.d + 1);
            const pads = axes.map((a, i) => Math.min(a.p0, eff[i]! - 1));
            const outputPadding = axes.map((a) => a.op % Math.max(a.s, a.d));
            if (axes.some((a, i) => (a.in - 1) * a.s + eff[i]! + outputPadding[i]! - 2 * pads[i]! < 1)) return;
            const xShape = [c.batch, C, ...axes.map((a) => a.in)];
            const X = { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) };
            const B = c.bias ? { shape: [M], data: randomData(M, c.seed + 2) } : null;
            const attrs = { strides: axes.map((a) => a.s), dilations: axes.map((a) => a.d), pads: [...pads, ...pads], outputPadding, group: groups, activation: c.activation, alpha: c.alpha };
            if (tfFilters && c.rank === 2) {
              // TF's filter layout through conv2dTranspose in NCHW: the other filter order.
              const f = { shape: [axes[0]!.k, axes[1]!.k, c.mg, C], data: randomData(axes[0]!.k * axes[1]!.k * c.mg * C, c.seed + 1) };
              const out = axes.map((a) => a.in * a.s);
              const options = { dataFormat: 'NCHW' as const, activation: c.activation, alpha: c.alpha, ...(B ? { bias: B } : {}) };
              const ref = conv2dTranspose(X, f, [c.batch, M, out[0]!, out[1]!], axes.map((a) => a.s), 'SAME', { ...options, backend: 'ts' });
              const got = conv2dTranspose(X, f, [c.batch, M, out[0]!, out[1]!], axes.map((a) => a.s), 'SAME', { ...options, backend: 'onednn' });
              expect(worstAgainstPeak(got.data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
              return;
            }
            const wShape = [C, c.mg, ...axes.map((a) => a.k)];
            const W = { shape: wShape, data: randomData(wShape.reduce((a, b) => a * b, 1), c.seed + 1) };
            const ref = convTranspose(X, W, B, { ...attrs, backend: 'ts' });
            const got = convTranspose(X, W, B, { ...attrs, backend: 'onednn' });
            expect(worstAgainstPeak(got.data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            const plan = convTransposePlan(xShape, W, B, { ...attrs, backend: 'onednn' });
            expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            plan.dispose();
          }),
          { numRuns: 60 },
        );
      });
    });

    it(`${variant}: channels-last (TF) random problems match the reference, calls and plans`, () => {
      withOnednnVariant(variant, () => {
        fc.assert(
          fc.property(problem, fc.constantFrom('SAME', 'VALID'), (c, padding) => {
            const axes = c.axes.slice(0, c.rank);
            const C = c.cg, M = c.mg;
            const out = axes.map((a) => (padding === 'SAME' ? a.in * a.s : (a.in - 1) * a.s + a.k));
            const X = { shape: [c.batch, ...axes.map((a) => a.in), C], data: randomData(c.batch * C * axes.reduce((n, a) => n * a.in, 1), c.seed) };
            const f = { shape: [...axes.map((a) => a.k), M, C], data: randomData(M * C * axes.reduce((n, a) => n * a.k, 1), c.seed + 1) };
            const outputShape = [c.batch, ...out, M];
            const options = { activation: c.activation, alpha: c.alpha, ...(c.bias ? { bias: { shape: [M], data: randomData(M, c.seed + 2) } } : {}) };
            const strides = axes.map((a) => a.s);
            const [call, makePlan] = tfOpsByRank[c.rank as 1 | 2 | 3];
            const ref = call(X, f, outputShape, strides, padding, { ...options, backend: 'ts' });
            expect(worstAgainstPeak(call(X, f, outputShape, strides, padding, { ...options, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            const plan = makePlan(X.shape, f, outputShape, strides, padding, { ...options, backend: 'onednn' });
            expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
            plan.dispose();
          }),
          { numRuns: 60 },
        );
      });
    });
  }
});

describe.runIf(natives.includes('onednn'))('oneDNN controls', () => {
  it('async calls reuse the large blocks of finished calls, never one whose result JS still holds', async () => {
    // Input and output of 1.1 MiB each: from 1 MiB, an async call's input copy and output come
    // from blocks that finished calls gave back (native/core/recycled_floats.h).
    const xShape = [1, 64, 72, 64];
    const W = { shape: [64, 16, 2, 2], data: randomData(64 * 16 * 4, 3) };
    const plan = convTransposePlan(xShape, W, null, { strides: [2, 2], backend: 'onednn' });
    const inputs = Array.from({ length: 6 }, (_, i) => ({ shape: xShape, data: randomData(64 * 72 * 64, 10 + i) }));
    const held = await plan.runAsync(inputs[0]!);
    const heldCopy = held.data.slice();
    for (const x of inputs.slice(1)) {
      const got = await plan.runAsync(x);
      expect(worstAgainstPeak(got.data, plan.run(x).data, 1e-6)).toBeLessThanOrEqual(1);
    }
    expect(Array.from(held.data)).toEqual(Array.from(heldCopy));
    const live = nativeAddon().addon!.debugLiveHandles!();
    expect(live.recycledBlocks).toBeGreaterThanOrEqual(1);
    expect(live.recycledBytes).toBeGreaterThanOrEqual(64 * 72 * 64 * 4);
    plan.dispose();
  });

  it('setNumThreads / getNumThreads', () => {
    const before = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    const y1 = conv2dTranspose({ shape: [1, 4, 4, 3], data: randomData(48, 1) }, { shape: [3, 3, 2, 3], data: randomData(54, 2) }, [1, 8, 8, 2], 2, 'SAME', { backend: 'onednn' });
    setNumThreads(before);
    expect(getNumThreads()).toBe(before);
    const y2 = conv2dTranspose({ shape: [1, 4, 4, 3], data: randomData(48, 1) }, { shape: [3, 3, 2, 3], data: randomData(54, 2) }, [1, 8, 8, 2], 2, 'SAME', { backend: 'onednn' });
    expect(worstAgainstPeak(y1.data, y2.data, 1e-5)).toBeLessThanOrEqual(1);
    expect(() => setNumThreads(0)).toThrow(RangeError);
  });

  it('setNumThreads(1) holds calls and plans made after it to one core (process CPU time / wall time ≤ 1.4)', () => {
    // oneDNN's primitives take the thread count when made and run that many threads whenever they
    // run, so plans are made and cached per thread count. Only visible with 2 cores or more.
    if (availableParallelism() < 2) {
      console.warn('[deconv tests] setNumThreads(1) not checked against CPU time: this machine has one core');
      return;
    }
    const before = getNumThreads();
    const x = { shape: [4, 32, 32, 64], data: randomData(4 * 32 * 32 * 64, 3) };
    const f = { shape: [3, 3, 32, 64], data: randomData(3 * 3 * 32 * 64, 4) };
    const run = (call: () => unknown) => {
      call(); // warm: the plan is made (and its ways timed, on every thread it may use) here
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < 10; i++) call();
      const used = process.cpuUsage(cpu);
      return (used.user + used.system) / 1000 / (performance.now() - start);
    };
    try {
      conv2dTranspose(x, f, [4, 64, 64, 32], 2, 'SAME', { backend: 'onednn' }); // a plan for the default count first
      setNumThreads(1);
      expect(run(() => conv2dTranspose(x, f, [4, 64, 64, 32], 2, 'SAME', { backend: 'onednn' }))).toBeLessThanOrEqual(1.4);
      const plan = conv2dTransposePlan(x.shape, f, [4, 64, 64, 32], 2, 'SAME', { backend: 'onednn' });
      const out = plan.run(x);
      expect(run(() => plan.run(x, { out }))).toBeLessThanOrEqual(1.4);
      plan.dispose();
    } finally {
      setNumThreads(before);
    }
  });

  it("bf16 math: within 1e-2 relative of the reference where the CPU has bf16, refused with the reason where it has not", () => {
    const info = nativeAddon().addon!.onednnInfo!();
    const x = { shape: [1, 16, 6, 6], data: randomData(576, 8) };
    const w = { shape: [16, 8, 4, 4], data: randomData(2048, 9) };
    const call = () => convTranspose(x, w, null, { strides: [2, 2], pads: [1, 1, 1, 1], math: 'bf16', backend: 'onednn' });
    if (!info.bf16) {
      console.warn(`[deconv tests] bf16 math not checked numerically: this CPU (${info.isa}) has no bf16 instructions`);
      expect(call).toThrow(/bf16/);
      return;
    }
    const ref = convTranspose(x, w, null, { strides: [2, 2], pads: [1, 1, 1, 1], backend: 'ts' });
    expect(worstAgainstPeak(call().data, ref.data, 1e-2)).toBeLessThanOrEqual(1);
  });
});
