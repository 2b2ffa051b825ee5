import type { ConvTransposeProblem } from '../problem/index.js';

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

/** A backend executes normalized problems; it does no shape inference of its own. */
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
  ): void;
}
