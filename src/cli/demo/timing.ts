/** The demo's timings: one untimed warm-up call, then the median of a few calls. */
import { performance } from 'node:perf_hooks';

export function medianMs<T>(fn: () => T, reps = 3): { ms: number; result: T } {
  let result = fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    result = fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, result };
}

/** max |a − b| / max |b| (the reference b); 0 for two empty arrays. */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    ref = Math.max(ref, Math.abs(b[i]!));
  }
  return ref > 0 ? diff / ref : diff;
}
