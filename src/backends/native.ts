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

/** Opaque handle to a device tensor's memory (cuDNN backend). */
export type NativeTensorHandle = { readonly __brand: 'DeviceTensor' };
/** Opaque handle to a cuDNN plan with its weights on the device. */
export type CudnnPackedHandle = { readonly __brand: 'CudnnPacked' };
/** A tensor argument of the cuDNN entry points: host data or a device tensor. */
export type CudnnOperand = Float32Array | NativeTensorHandle;
/** Per-call cuDNN settings (see ExecutionOptions). */
export interface CudnnCallOptions {
  device?: number;
  math?: string;
  allowTF32?: boolean;
  deterministic?: boolean;
  benchmark?: boolean;
}
/** What cudnnInfo() reports. */
export interface CudnnStatus {
  compiled: boolean;
  available: boolean;
  reason?: string;
  headerVersion: string;
  version?: string;
  library?: string;
  cudnnCudaVersion?: number;
  driverCudaVersion: number;
  devices: { index: number; name: string; computeCapability: number; totalMemory: number }[];
}

/** Opaque handle to weights packed by the oneDNN backend. */
export type OneDnnPackedHandle = { readonly __brand: 'OneDnnPacked' };

/** The addon's exports (the onednn* ones exist only in a oneDNN build). */
export interface Addon {
  buildInfo(): AddonBuildInfo;
  checkProblem(problem: ConvTransposeProblem | Float64Array): true;
  /**
   * Native objects alive in the process: packed plans not yet freed, per-environment async
   * bridges, and the large blocks async calls freed and keep for reuse (recycled_floats.h).
   */
  debugLiveHandles?(): { packedPlans: number; bridges: number; recycledBlocks: number; recycledBytes: number };
  /** Returns the C allocator's free memory to the system (glibc malloc_trim), for soak measurements. */
  debugTrimMemory?(): boolean;
  onednnInfo?(): { version: string; isa: string; bf16: boolean; threads: number };
  onednnRun?(p: Float64Array, math: string, x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array): void;
  onednnRunAsync?(p: Float64Array, math: string, x: Float32Array, w: Float32Array, bias: Float32Array | null): Promise<Float32Array>;
  onednnPack?(p: Float64Array, math: string, w: Float32Array, bias: Float32Array | null): OneDnnPackedHandle;
  onednnRunPacked?(handle: OneDnnPackedHandle, x: Float32Array, y: Float32Array): void;
  onednnRunPackedAsync?(handle: OneDnnPackedHandle, x: Float32Array): Promise<Float32Array>;
  onednnDispose?(handle: OneDnnPackedHandle): void;
  onednnBackward?(
    p: Float64Array,
    x: Float32Array,
    w: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dw: Float32Array | null,
    db: Float32Array | null,
  ): void;
  /** Resolves with the wanted gradients one after another (dx, dw, db) in one array. */
  onednnBackwardAsync?(p: Float64Array, x: Float32Array, w: Float32Array, dy: Float32Array, dx: boolean, dw: boolean, db: boolean): Promise<Float32Array>;
  onednnDescribeBackward?(p: ConvTransposeProblem | Float64Array): string;
  onednnDescribePlan?(p: ConvTransposeProblem | Float64Array, math: string): string;
  setNumThreads?(threads: number): boolean;
  getNumThreads?(): number;
  planCacheStats?(): { size: number; capacity: number; hits: number; misses: number };
  setPlanCacheCapacity?(capacity: number): void;
  clearPlanCache?(): void;
  debugAddresses?(array?: Float32Array): { array?: bigint; lastInput: bigint; lastOutput: bigint };
  cudnnInfo?(): CudnnStatus;
  cudnnRun?(p: Float64Array, o: CudnnCallOptions, x: CudnnOperand, w: CudnnOperand, bias: CudnnOperand | null, y: CudnnOperand | null, mode: 'sync' | 'enqueue' | 'async'): Promise<Float32Array | undefined> | undefined;
  cudnnPack?(p: Float64Array, o: CudnnCallOptions, w: CudnnOperand, bias: CudnnOperand | null): CudnnPackedHandle;
  cudnnBackward?(
    p: Float64Array,
    o: CudnnCallOptions,
    x: CudnnOperand,
    w: CudnnOperand,
    dy: CudnnOperand,
    outputs: { dX: CudnnGradientTarget; dW: CudnnGradientTarget; dB: CudnnGradientTarget },
    mode: 'sync' | 'enqueue' | 'async',
  ): Promise<{ dX?: Float32Array; dW?: Float32Array; dB?: Float32Array } | undefined> | undefined;
  /** Optimizer and activation kernels on device tensors; each only enqueues. */
  cudnnSgd?(w: NativeTensorHandle, g: NativeTensorHandle, velocity: NativeTensorHandle | null, lr: number, momentum: number, nesterov: boolean): void;
  cudnnAdam?(w: NativeTensorHandle, g: NativeTensorHandle, m: NativeTensorHandle, v: NativeTensorHandle, lr: number, beta1: number, beta2: number, epsilon: number): void;
  cudnnActivationForward?(activation: string, alpha: number, v: NativeTensorHandle, y: NativeTensorHandle): void;
  cudnnActivationBackward?(activation: string, alpha: number, y: NativeTensorHandle, dy: NativeTensorHandle, dv: NativeTensorHandle): void;
  cudnnBatchNormForward?(
    x: NativeTensorHandle,
    y: NativeTensorHandle,
    normalized: NativeTensorHandle,
    invStd: NativeTensorHandle,
    gamma: NativeTensorHandle | null,
    beta: NativeTensorHandle | null,
    movingMean: NativeTensorHandle,
    movingVariance: NativeTensorHandle,
    outer: number,
    channels: number,
    inner: number,
    momentum: number,
    epsilon: number,
    training: boolean,
  ): void;
  cudnnBatchNormBackward?(
    dy: NativeTensorHandle,
    normalized: NativeTensorHandle,
    invStd: NativeTensorHandle,
    gamma: NativeTensorHandle | null,
    dx: NativeTensorHandle,
    dGamma: NativeTensorHandle | null,
    dBeta: NativeTensorHandle | null,
    outer: number,
    channels: number,
    inner: number,
    training: boolean,
  ): void;
  cudnnRunPacked?(handle: CudnnPackedHandle, x: CudnnOperand, y: CudnnOperand | null, mode: 'sync' | 'enqueue' | 'async'): Promise<Float32Array | undefined> | undefined;
  cudnnDisposePlan?(handle: CudnnPackedHandle): void;
  cudnnDescribePlan?(p: Float64Array | CudnnPackedHandle, o?: CudnnCallOptions): string;
  cudnnTime?(handle: CudnnPackedHandle, x: NativeTensorHandle, y: NativeTensorHandle, iterations: number): number;
  cudnnConvert?(data: Float32Array, dtype: string): Float32Array;
}

/**
 * Where cudnnBackward puts one gradient: not wanted (null/false), a device tensor, or the host
 * (a Float32Array filled in 'sync' mode, true for a new array in 'async' mode).
 */
export type CudnnGradientTarget = Float32Array | NativeTensorHandle | boolean | null;

export interface NativeState {
  readonly addon?: Addon;
  readonly info?: AddonBuildInfo;
  readonly reason?: string;
}

let cached: NativeState | undefined;

/**
 * The addon, for callers that need its cuDNN entry points (device tensors, the training kernels):
 * those exist only in a build with the cuDNN backend; otherwise an Error says that `what` needs
 * it and why this build lacks it.
 */
export function addonWithCudnn<T>(entryPoint: string, what: string): T {
  const native = nativeAddon();
  const addon = native.addon as Record<string, unknown> | undefined;
  if (typeof addon?.[entryPoint] !== 'function') {
    throw new Error(`${what} need the cuDNN backend, which this build lacks: ${native.reason ?? native.info?.backends.cudnn.reason ?? 'unknown reason'}`);
  }
  return addon as T;
}

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
