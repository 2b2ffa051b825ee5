import type { ConvTransposeProblem, WantedGradients } from '../problem/index.js';

/** The computational backends, best first. */
export const BACKEND_NAMES = ['cudnn', 'onednn', 'ts'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
/** What `options.backend` accepts: a backend, or 'auto' for the best available one. */
export type BackendChoice = BackendName | 'auto';

/** What `backends()` reports about one backend. */
export interface BackendInfo {
  readonly name: BackendName;
  readonly available: boolean;
  /** Why it is not available (library not found, no device, built without it, ...). */
  readonly reason?: string;
  /** Version of the library behind it, where known. */
  readonly version?: string;
}

/** Per-call settings some backends use (cuDNN); the others ignore them. */
export interface BackendCallOptions {
  /** CUDA device index. */
  readonly device?: number;
  /** TF32 tensor cores for float32 (cuDNN; default false, so results match the reference). */
  readonly allowTF32?: boolean;
  /** Only algorithms that give bit-identical results run to run (cuDNN). */
  readonly deterministic?: boolean;
  /** Time the algorithms once per problem and keep the fastest (cuDNN; default: heuristics). */
  readonly benchmark?: boolean;
}

/** Weights a backend has taken over (reordered into its own layout) for repeated calls. */
export interface PackedWeights {
  /** Computes into `out` (exactly the output's elements). */
  run(x: Float32Array, out: Float32Array): void;
  /** Computes off the JS thread where the backend can; resolves with a new output array. */
  runAsync(x: Float32Array): Promise<Float32Array>;
  /** Frees the packed weights now (later calls throw). */
  dispose(): void;
  /** The backend's own handle (cuDNN: for runs on device tensors). */
  readonly native?: unknown;
}

/** Gradient buffers of a backward call; each present one is fully overwritten, absent ones are not computed. */
export interface GradientArrays {
  dX?: Float32Array;
  dW?: Float32Array;
  dB?: Float32Array;
}

/**
 * A backend executes normalized problems; it does no shape inference of its own. Problems with
 * an empty input or output never reach a backend (see ops/execute.ts).
 */
export interface Backend {
  readonly name: BackendName;
  info(): BackendInfo;
  /**
   * Computes `problem` into `out` (exactly the output's element count, fully overwritten).
   * Inputs are read in place and never modified.
   */
  convTranspose(
    problem: ConvTransposeProblem,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | undefined,
    out: Float32Array,
    options?: BackendCallOptions,
  ): void;
  /** The same off the JS thread where the backend can; resolves with a new output array. */
  convTransposeAsync(
    problem: ConvTransposeProblem,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | undefined,
    options?: BackendCallOptions,
  ): Promise<Float32Array>;
  /** Takes over weights (and bias) that the caller will not change, for repeated calls. */
  pack(problem: ConvTransposeProblem, w: Float32Array, bias: Float32Array | undefined, options?: BackendCallOptions): PackedWeights;
  /**
   * Gradients of `problem` (its bias and activation ignored): fills each buffer present in
   * `outputs` from x, w (problem layouts) and dy (the output's shape). Optional: a backend without
   * it cannot compute gradients, and 'auto' passes it over for backward calls.
   */
  convTransposeBackward?(problem: ConvTransposeProblem, x: Float32Array, w: Float32Array, dy: Float32Array, outputs: GradientArrays, options?: BackendCallOptions): void;
  /** The same off the JS thread where the backend can; resolves with new arrays for the wanted gradients. */
  convTransposeBackwardAsync?(
    problem: ConvTransposeProblem,
    x: Float32Array,
    w: Float32Array,
    dy: Float32Array,
    wanted: WantedGradients,
    options?: BackendCallOptions,
  ): Promise<GradientArrays>;
}
