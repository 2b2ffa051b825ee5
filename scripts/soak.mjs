#!/usr/bin/env node
// Soak: many calls of mixed shapes, sync and async, through every available backend, plans made
// and dropped (disposed, or left to the garbage collector); resident memory after a warm-up must
// grow by less than 1 %. Uses the built package (npm run build; npm run build:native).
//
//   npm run soak                          10,000 calls after 30,000 of warm-up
//   node scripts/soak.mjs [calls] [warmup]
//
// It re-runs itself under fixed conditions, so that what is measured is memory the calls keep,
// not the adaptive sizing of V8 and of the C allocator: --expose-gc, V8's young generation fixed
// at 1 MB per semi-space (it otherwise grows by several MB under a high allocation rate) and
// MALLOC_ARENA_MAX=2. Resident memory is the median of 5 samples after 4 garbage collections.
// Allocator noise is about ±0.5 MB here; should the first window of calls end above 1 %, a second
// window runs and the soak fails only if the growth over both stays at 1 % or more (a leak grows in
// every window, noise does not). Exits 1 on failure, or when packed plans are left alive.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { seededTensor as t } from './lib/seeded-tensor.mjs';

// Both processes end by returning from their work (exitCode, not process.exit()), so that Node
// tears V8 down and LeakSanitizer (npm run sanitize) sees only what is really left.
if (process.env.DECONV_SOAK_CHILD !== '1') {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=1', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, DECONV_SOAK_CHILD: '1', MALLOC_ARENA_MAX: '2' },
  });
  process.exitCode = r.status ?? 1;
} else {
  await soak();
}

async function soak() {

const calls = Number(process.argv[2] ?? 10_000);
// 30,000 calls of warm-up: V8 keeps compiling and re-optimizing the reference backend's kernels
// for the first ~20,000 (measured: with 10,000, the ts backend alone still grew 1.4 MB outside the
// heap over the next 10,000 calls, and 0.1 % after 30,000), which is warm-up, not a leak.
const warmup = Number(process.argv[3] ?? 30_000);

const api = await import(new URL('../dist/esm/index.js', import.meta.url).href);
const { nativeAddon } = await import(new URL('../dist/esm/backends/native.js', import.meta.url).href);
const addon = nativeAddon().addon;
// DECONV_SOAK_BACKENDS=onednn,ts narrows the soak (to tell which backend a growth comes from).
const only = process.env.DECONV_SOAK_BACKENDS?.split(',');
const backends = api.backends().filter((b) => b.available && (!only || only.includes(b.name))).map((b) => b.name);


// The problems the soak cycles through: every op and rank, bias, activations, groups, layouts.
const problems = [];
for (let i = 0; i < 24; i++) {
  const n = 3 + (i % 6);
  switch (i % 4) {
    case 0:
      problems.push({ op: 'tf1', x: t([2, n * 2, 8], i), w: t([3, 6, 8], i + 1), out: [2, n * 4, 6], options: { activation: 'relu' } });
      break;
    case 1:
      problems.push({ op: 'tf2', x: t([1, n, n, 16], i), w: t([3, 3, 8, 16], i + 1), out: [1, 2 * n, 2 * n, 8], options: { bias: t([8], i + 2), dataFormat: 'NHWC' } });
      break;
    case 2:
      problems.push({ op: 'tf3', x: t([1, 4, n, 4, 4], i), w: t([2, 2, 2, 4, 4], i + 1), out: [1, 4, 2 * n, 8, 8], options: { dataFormat: 'NCDHW', activation: 'tanh' } });
      break;
    default:
      problems.push({ op: 'onnx', x: t([2, 8, n, n + 2], i), w: t([8, 4, 4, 4], i + 1), b: t([8], i + 2), attrs: { strides: [2, 2], pads: [1, 1, 1, 1], group: 2, activation: 'leakyRelu' } });
  }
}

async function one(i) {
  const p = problems[i % problems.length];
  const backend = backends[Math.floor(i / problems.length) % backends.length];
  const kind = i % 5; // 0, 1 sync; 2, 3 async; 4 through a plan
  if (p.op === 'onnx') {
    const attrs = { ...p.attrs, backend };
    if (kind < 2) return api.convTranspose(p.x, p.w, p.b, attrs);
    if (kind < 4) return api.convTransposeAsync(p.x, p.w, p.b, attrs);
    const plan = api.convTransposePlan(p.x.shape, p.w, p.b, attrs);
    const y = i % 2 ? plan.run(p.x) : await plan.runAsync(p.x);
    if (i % 3) plan.dispose(); // the others are left to the garbage collector
    return y;
  }
  const rank = Number(p.op[2]);
  const name = `conv${rank}dTranspose`;
  const options = { ...p.options, backend };
  if (kind < 2) return api[name](p.x, p.w, p.out, 2, 'SAME', options);
  if (kind < 4) return api[`${name}Async`](p.x, p.w, p.out, 2, 'SAME', options);
  const plan = api[`${name}Plan`](p.x.shape, p.w, p.out, 2, 'SAME', options);
  const y = i % 2 ? plan.run(p.x) : await plan.runAsync(p.x);
  if (i % 3) plan.dispose();
  return y;
}

/**
 * Runs calls [from, to) with up to 8 async ones in flight at a time. The event loop turns every 64
 * calls, as in a server: Node runs the finalizers of native objects the garbage collector found
 * (plans never disposed, the handles of disposed ones) on a later turn of the loop, so a loop that
 * never turns piles them up — memory that is freed in the end, but that raises the high-water mark.
 */
async function run(from, to) {
  const inFlight = new Set();
  for (let i = from; i < to; i++) {
    if (i % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
    const promise = one(i).then(() => inFlight.delete(promise));
    inFlight.add(promise);
    if (inFlight.size >= 8) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

async function settled() {
  // Several collections, with turns of the event loop between them for finalizers to run.
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  // Free memory glibc keeps in its arenas is not memory the calls keep: hand it back first.
  addon?.debugTrimMemory?.();
  const samples = [];
  for (let i = 0; i < 5; i++) {
    samples.push(process.memoryUsage());
    await new Promise((r) => setTimeout(r, 20));
  }
  const median = (key) => samples.map((s) => s[key]).sort((a, b) => a - b)[2];
  return { rss: median('rss'), heapTotal: median('heapTotal'), heapUsed: median('heapUsed'), external: median('external'), arrayBuffers: median('arrayBuffers'), live: addon?.debugLiveHandles?.() ?? null };
}

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const started = performance.now();
await run(0, warmup);
const before = await settled();
await run(warmup, warmup + calls);
let after = await settled();
let measured = calls;
let growth = (after.rss - before.rss) / before.rss;
const firstWindow = growth;
if (growth >= 0.01) {
  await run(warmup + calls, warmup + 2 * calls);
  after = await settled();
  measured = 2 * calls;
  growth = (after.rss - before.rss) / before.rss;
}
const seconds = (performance.now() - started) / 1000;

const report = {
  backends,
  warmup,
  calls: measured,
  seconds: Number(seconds.toFixed(1)),
  rssBefore: mb(before.rss),
  rssAfter: mb(after.rss),
  rssGrowthPercent: Number((growth * 100).toFixed(3)),
  ...(measured > calls ? { firstWindowGrowthPercent: Number((firstWindow * 100).toFixed(3)) } : {}),
  heapUsed: `${mb(before.heapUsed)} → ${mb(after.heapUsed)}`,
  heapTotal: `${mb(before.heapTotal)} → ${mb(after.heapTotal)}`,
  // Resident memory outside V8's heap: the addon, oneDNN, typed arrays' backing stores, Node.
  outsideV8Heap: `${mb(before.rss - before.heapTotal)} → ${mb(after.rss - after.heapTotal)}`,
  external: `${mb(before.external)} → ${mb(after.external)}`,
  arrayBuffers: `${mb(before.arrayBuffers)} → ${mb(after.arrayBuffers)}`,
  liveNativeHandles: after.live,
  planCache: api.planCacheStats(),
};
console.log(JSON.stringify(report, null, 2));
const handlesLeft = after.live !== null && after.live.packedPlans !== 0;
// Under AddressSanitizer (npm run sanitize) freed memory sits in its quarantine, so resident memory
// says nothing there: only the handles are checked, LeakSanitizer does the rest.
if (process.env.DECONV_SOAK_LEAKS_ONLY === '1') growth = 0;
if (growth >= 0.01 || handlesLeft) {
  console.error(`soak: FAILED (${growth >= 0.01 ? `resident memory grew by ${(growth * 100).toFixed(2)} %` : 'packed plans were left alive'})`);
  process.exitCode = 1;
  return;
}
console.log(`soak: passed: ${measured} calls after ${warmup} of warm-up, resident memory ${growth >= 0 ? 'grew' : 'shrank'} by ${Math.abs(growth * 100).toFixed(3)} % (limit 1 %)`);
}
