/**
 * The native addon as the backends see it: loaded once, with what it was built with. Each
 * native backend is optional at build time and says at run time whether it can be used and why.
 */
import { availableParallelism } from 'node:os';
import { loadAddon } from './addon-loader.cjs';
import type { ConvTransposeProblem } from '../problem/index.js';

/** What the addon's buildInfo() returns. */
export interface AddonBuildInfo {
  addonVersion: string;
  napiVersion: number;
  compiler: string;
  backends: Record<'onednn' | 'cudnn', { compiled: boolean; reason?: string; version?: string }>;
}

/** Opaque handle to weights packed by the oneDNN backend. */
export type OneDnnPackedHandle = { readonly __brand: 'OneDnnPacked' };

/** The addon's exports (the onednn* ones exist only in a oneDNN build). */
export interface Addon {
  buildInfo(): AddonBuildInfo;
  checkProblem(problem: ConvTransposeProblem | Float64Array): true;
  /** Native objects alive in the process: packed plans not yet freed, per-environment async bridges. */
  debugLiveHandles?(): { packedPlans: number; bridges: number };
  /** Returns the C allocator's free memory to the system (glibc malloc_trim), for soak measurements. */
  debugTrimMemory?(): boolean;
  onednnInfo?(): { version: string; isa: string; bf16: boolean; threads: number };
  onednnRun?(p: Float64Array, math: string, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void;
  onednnRunAsync?(p: Float64Array, math: string, x: Float32Array, w: Float32Array, bias: Float32Array | null): Promise<Float32Array>;
  onednnPack?(p: Float64Array, math: string, w: Float32Array, bias: Float32Array | null): OneDnnPackedHandle;
  onednnRunPacked?(handle: OneDnnPackedHandle, x: Float32Array, y: Float32Array): void;
  onednnRunPackedAsync?(handle: OneDnnPackedHandle, x: Float32Array): Promise<Float32Array>;
  onednnDispose?(handle: OneDnnPackedHandle): void;
  onednnDescribePlan?(p: ConvTransposeProblem | Float64Array, math: string): string;
  setNumThreads?(threads: number): boolean;
  getNumThreads?(): number;
  planCacheStats?(): { size: number; capacity: number; hits: number; misses: number };
  setPlanCacheCapacity?(capacity: number): void;
  clearPlanCache?(): void;
  debugAddresses?(array?: Float32Array): { array?: bigint; lastInput: bigint; lastOutput: bigint };
}

export interface NativeState {
  readonly addon?: Addon;
  readonly info?: AddonBuildInfo;
  readonly reason?: string;
}

let cached: NativeState | undefined;

/** Loads the addon once; later calls return the same result. */
export function nativeAddon(): NativeState {
  if (cached) return cached;
  const load = loadAddon();
  if (!load.ok) {
    cached = { reason: load.reason };
  } else {
    try {
      const addon = load.addon as Addon;
      cached = { addon, info: addon.buildInfo() };
      // oneDNN uses every core the process may use unless OMP_NUM_THREADS says otherwise.
      if (addon.setNumThreads && !process.env.OMP_NUM_THREADS) addon.setNumThreads(availableParallelism());
    } catch (error) {
      cached = { reason: `the native addon at ${load.path} did not report its build: ${(error as Error).message}` };
    }
  }
  return cached;
}
