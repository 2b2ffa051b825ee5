/** Process-wide controls of the native backends. */
import { nativeAddon } from './backends/native.js';
import { rangeError, typeError } from './errors.js';

/** The most threads setNumThreads accepts: far above any core count, low enough for OpenMP to start. */
export const MAX_THREADS = 1024;

/**
 * Threads each native (oneDNN) call uses. Defaults to the cores this process may use
 * (`os.availableParallelism()`), or OMP_NUM_THREADS when set. Async calls run one after another,
 * each on all of these threads, so concurrent calls never oversubscribe the cores.
 *
 * oneDNN's primitives keep the thread count they were made for: plain calls afterwards use
 * primitives made for `threads` (cached per count), while a plan made before keeps its count, as an
 * ONNX Runtime session keeps its `intraOpNumThreads`. Make plans after calling this.
 */
export function setNumThreads(threads: number): void {
  const expected = `an integer from 1 to ${MAX_THREADS}`;
  if (typeof threads !== 'number') throw typeError('threads', expected, threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw rangeError('threads', expected, threads);
  const addon = nativeAddon().addon;
  if (addon?.setNumThreads && !addon.setNumThreads(threads)) {
    throw new Error('setNumThreads: this oneDNN build has no thread-count control (it is not an OpenMP build)');
  }
}

/** Threads each native call uses (1 when no native backend is loaded: the reference is single-threaded). */
export function getNumThreads(): number {
  return nativeAddon().addon?.getNumThreads?.() ?? 1;
}

/** The native plan cache: how many primitives are built and how often they were reused. */
export function planCacheStats(): { size: number; capacity: number; hits: number; misses: number } {
  return nativeAddon().addon?.planCacheStats?.() ?? { size: 0, capacity: 0, hits: 0, misses: 0 };
}

/** Bounds the native plan cache (least recently used plans are dropped first). */
export function setPlanCacheCapacity(capacity: number): void {
  if (typeof capacity !== 'number') throw typeError('capacity', 'a safe integer ≥ 0', capacity);
  if (!Number.isSafeInteger(capacity) || capacity < 0) throw rangeError('capacity', 'a safe integer ≥ 0', capacity);
  nativeAddon().addon?.setPlanCacheCapacity?.(capacity);
}
