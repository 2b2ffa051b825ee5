/**
 * Concurrency: 1,000 concurrent async calls of different shapes give exactly the sync results;
 * inputs changed or detached while a call is in flight do not change it (async calls work on a
 * snapshot); the addon loads and computes in 4 worker_threads at once and frees their native
 * handles when they exit, even with calls in flight; process.exit() with calls in flight neither
 * hangs nor crashes. Workers and exits run in child processes (test/helpers/workers-child.mjs),
 * so that a crash fails a test rather than the runner.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  conv1dTranspose,
  conv1dTransposeAsync,
  conv2dTranspose,
  conv2dTransposeAsync,
  conv3dTranspose,
  conv3dTransposeAsync,
  convTranspose,
  convTransposeAsync,
  convTransposePlan,
  type Tensor,
} from '../src/index.js';
import { backendsUnderTest } from './helpers/backends.js';
import { randomData } from './helpers/naive.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = existsSync(join(root, 'dist/esm/index.js'));
const backends = backendsUnderTest();

const same = (a: Tensor, b: Tensor) => a.shape.join() === b.shape.join() && a.data.length === b.data.length && a.data.every((v, i) => Object.is(v, b.data[i]));

/** Call i of the mix: one of 24 shapes over every op, each a sync and an async way to compute it. */
function call(i: number, backend: string): { sync: () => Tensor; async: () => Promise<Tensor> } {
  const k = i % 24;
  const n = 2 + (k % 5);
  const seed = 1000 + i;
  const t = (shape: number[], s: number) => ({ shape, data: randomData(shape.reduce((a, b) => a * b, 1), s) });
  switch (k % 4) {
    case 0: {
      const [x, w] = [t([1, n, 3], seed), t([3, 2, 3], seed + 1)];
      return { sync: () => conv1dTranspose(x, w, [1, 2 * n, 2], 2, 'SAME', { backend: backend as never }), async: () => conv1dTransposeAsync(x, w, [1, 2 * n, 2], 2, 'SAME', { backend: backend as never }) };
    }
    case 1: {
      const [x, w] = [t([2, n, n + 1, 3], seed), t([2, 3, 4, 3], seed + 1)];
      const out = [2, 2 * n, 2 * n + 2, 4];
      const options = { backend: backend as never, activation: 'relu' as const, bias: t([4], seed + 2) };
      return { sync: () => conv2dTranspose(x, w, out, 2, 'SAME', options), async: () => conv2dTransposeAsync(x, w, out, 2, 'SAME', options) };
    }
    case 2: {
      const [x, w] = [t([1, 2, n, 2, 2], seed), t([2, 2, 2, 3, 2], seed + 1)];
      const out = [1, 3, 2 * n, 4, 4];
      const options = { backend: backend as never, dataFormat: 'NCDHW' as const };
      return { sync: () => conv3dTranspose(x, w, out, 2, 'VALID', options), async: () => conv3dTransposeAsync(x, w, out, 2, 'VALID', options) };
    }
    default: {
      const [x, w] = [t([1, 4, n, 3], seed), t([4, 3, 3, 3], seed + 1)];
      const attrs = { backend: backend as never, strides: [2, 1], pads: [1, 0, 1, 1], outputPadding: [1, 0], group: 2, activation: 'tanh' as const };
      if (k % 8 === 3) {
        // Half of these through a plan, made fresh for the call (and left to the garbage collector).
        return { sync: () => convTranspose(x, w, null, attrs), async: () => convTransposePlan(x.shape, w, null, attrs).runAsync(x) };
      }
      return { sync: () => convTranspose(x, w, null, attrs), async: () => convTransposeAsync(x, w, null, attrs) };
    }
  }
}

describe.each(backends)('concurrency on %s', (backend) => {
  it('1,000 concurrent async calls of different shapes return exactly what the sync calls return', async () => {
    const calls = Array.from({ length: 1000 }, (_, i) => call(i, backend));
    const results = await Promise.all(calls.map((c) => c.async()));
    const mismatches = results.map((r, i) => (same(r, calls[i]!.sync()) ? -1 : i)).filter((i) => i >= 0);
    expect(mismatches).toEqual([]);
  });

  it('inputs changed or detached while an async call is in flight do not change its result', async () => {
    const x = { shape: [1, 4, 5, 5], data: randomData(100, 1) };
    const w = { shape: [4, 2, 3, 3], data: randomData(72, 2) };
    const b = { shape: [2], data: randomData(2, 3) };
    const attrs = { strides: [2, 2], pads: [1, 1, 1, 1], backend: backend as never };
    const expected = convTranspose(x, w, b, attrs);
    const out = { shape: [1, 2, 9, 9], data: new Float32Array(162) };
    const pendings = [convTransposeAsync(x, w, b, attrs), convTransposeAsync(x, w, b, { ...attrs, out })];
    const plan = convTransposePlan(x.shape, w, b, attrs);
    pendings.push(plan.runAsync(x));
    // Overwrite every input in place, then take their memory away altogether.
    x.data.fill(NaN);
    w.data.fill(1e30);
    b.data.fill(-7);
    for (const t of [x, w, b]) structuredClone(t.data.buffer, { transfer: [t.data.buffer] });
    expect(x.data.length).toBe(0);
    const results = await Promise.all(pendings);
    for (const r of results) expect(same(r, expected)).toBe(true);
    expect(results[1]!.data).toBe(out.data); // written into out when the call settled
    plan.dispose();
  });

  it('an out tensor detached while its async call is in flight rejects the call (no write to freed memory)', async () => {
    const x = { shape: [1, 2, 4], data: randomData(8, 4) };
    const w = { shape: [2, 3, 3], data: randomData(18, 5) };
    const out = { shape: [1, 3, 6], data: new Float32Array(18) };
    const pending = convTransposeAsync(x, w, null, { backend: backend as never, out });
    structuredClone(out.data.buffer, { transfer: [out.data.buffer] });
    await expect(pending).rejects.toThrow(TypeError);
  });
});

function child(args: string[], timeout: number) {
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--expose-gc', join(root, 'test/helpers/workers-child.mjs'), ...args], { cwd: root, encoding: 'utf8', timeout });
  return { ...r, ms: performance.now() - started };
}

describe.runIf(built)('worker threads and process exit (in a child process)', () => {
  it('the addon works in 4 worker_threads at once and their native handles are freed when they exit, even with calls in flight', () => {
    const r = child(['workers'], 120_000);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    if (report.native === null) console.warn('[deconv tests] workers: no native backend here; the workers ran the reference and native handles were not counted');
    expect(report.codes).toEqual([0, 0, 0, 0]);
    expect(report.leaveCodes).toEqual([0, 0, 1, 1]); // process.exit(0) in the worker; terminate() gives 1
    for (const result of [...report.results, report.body]) {
      expect(result.worstError).toBeLessThanOrEqual(1);
      expect(result.asyncMismatches).toBe(0);
    }
    if (report.native !== null) {
      // Every packed plan a worker made (disposed or not) and every worker's async bridge is gone.
      expect(report.afterWorkers).toEqual(report.before);
      expect(report.afterLeaving).toEqual(report.before);
    }
  });

  it('the addon loaded by workers alone: one leaves with calls in flight, the next loads it again and computes', () => {
    // Node unloads an addon that no environment holds any more; the addon pins itself instead, since
    // its compute thread may still be running the calls the worker left behind.
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = child(['only-workers'], 60_000);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(report.firstCode).toBe(0);
      expect(report.secondCode).toBe(0);
      expect(report.result.worstError).toBeLessThanOrEqual(1);
      expect(report.result.asyncMismatches).toBe(0);
    }
  });

  it('the process ends right after the only worker that used the addon left calls in flight', () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = child(['only-worker-then-exit'], 60_000);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim()).code).toBe(0);
    }
  });

  it.each([0, 2, 15])('process.exit() %i ms after starting 20 async calls neither hangs nor crashes', (delay) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = child(['exit-in-flight', String(delay)], 60_000);
      expect(r.error, 'the process hung').toBeUndefined();
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim()).settled).toBeGreaterThanOrEqual(0);
    }
  });
});
