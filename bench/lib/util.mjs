// Small numeric and formatting helpers shared by the benchmark's modules.
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

export const prod = (a) => a.reduce((x, y) => x * y, 1);
export const now = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A full garbage collection, where the runtime lets us ask for one (V8's gc, exposed at run time).
let collect;
try {
  v8.setFlagsFromString('--expose-gc');
  collect = vm.runInNewContext('gc');
} catch {
  collect = undefined;
}

/**
 * Lets the process settle before a layer's timed turns: a full GC now, so that V8's concurrent
 * collector does not run during the first system's reps (the layer's setup has just allocated
 * inputs, weights and every peer's copies), then a pause for background threads to go idle.
 */
export async function settle(ms = 50) {
  collect?.();
  await sleep(ms);
}
export const fmt = (v, d = 2) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(d));
export const fmtMs = (v) => (v === undefined || v === null ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
export const fmtRatio = (v) => (v === undefined || v === null ? '–' : `${v.toFixed(2)}x`);
export const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : undefined);

/** Outputs that differ from deconv-oneDNN's by more than this (relative to its max) are failures. */
export const TOLERANCE = 1e-3;

export function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function stats(times, flops) {
  const s = [...times].sort((a, b) => a - b);
  const median = quantile(s, 0.5);
  return {
    reps: s.length,
    medianMs: median,
    minMs: s[0],
    maxMs: s[s.length - 1],
    p10Ms: quantile(s, 0.1),
    p90Ms: quantile(s, 0.9),
    spread: (quantile(s, 0.9) - quantile(s, 0.1)) / median,
    gflops: flops / (median * 1e6),
  };
}

/** Uniform [-1, 1) floats from a fixed seed (xorshift32), scaled. */
export function randomData(n, seed, scale = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}

/** [N, C, ...S] -> [N, ...S, C]. */
export function toChannelsLast(data, shape) {
  const [N, C] = shape;
  const S = prod(shape.slice(2));
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) {
    const base = n * C * S;
    for (let c = 0; c < C; c++) {
      const from = base + c * S;
      for (let i = 0; i < S; i++) out[base + i * C + c] = data[from + i];
    }
  }
  return out;
}

/** ONNX W [C, Mg, ...K] -> TF filters [...K, Mg, C]. */
export function onnxToTfFilters(w, shape) {
  const [C, Mg] = shape;
  const K = prod(shape.slice(2));
  const out = new Float32Array(w.length);
  for (let c = 0; c < C; c++) for (let m = 0; m < Mg; m++) for (let k = 0; k < K; k++) out[(k * Mg + m) * C + c] = w[(c * Mg + m) * K + k];
  return out;
}

/** max |a - ref| / max |ref| (NaN-safe: a NaN anywhere is a mismatch). */
export function relDiff(a, ref) {
  if (a.length !== ref.length) return { rel: Infinity, note: `length ${a.length} vs ${ref.length}` };
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(a[i] - ref[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    const r = Math.abs(ref[i]);
    if (r > maxRef) maxRef = r;
  }
  return { rel: maxRef > 0 ? maxDiff / maxRef : maxDiff, maxAbsDiff: maxDiff, maxAbsRef: maxRef };
}

/**
 * Runs fn (sync, or returning a promise) warm-up times, then times it until `target` seconds and
 * `minReps` are reached or `maxReps` (a promise is awaited inside the timed region).
 */
export async function timeIt(fn, { warmup = 2, minReps = 3, maxReps = 200, target = 1 } = {}) {
  let t0 = now();
  let r = fn();
  if (r && typeof r.then === 'function') await r;
  const firstMs = now() - t0;
  for (let i = 1; i < warmup; i++) {
    r = fn();
    if (r && typeof r.then === 'function') await r;
  }
  // Slow calls: fewer reps, so that a big layer does not take minutes.
  if (firstMs > target * 1000) maxReps = Math.min(maxReps, minReps);
  const times = [];
  let total = 0;
  while (times.length < minReps || (total < target * 1000 && times.length < maxReps)) {
    t0 = now();
    r = fn();
    if (r && typeof r.then === 'function') await r;
    const dt = now() - t0;
    times.push(dt);
    total += dt;
  }
  return { times, firstMs };
}
