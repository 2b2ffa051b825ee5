/**
 * Shared by the native backends' tests: the float32 comparison against the reference, the TF-style
 * ops by spatial rank, the activations, and running with one oneDNN way forced.
 */
import {
  conv1dTranspose,
  conv1dTransposePlan,
  conv2dTranspose,
  conv2dTransposePlan,
  conv3dTranspose,
  conv3dTransposePlan,
  type Activation,
} from '../../src/index.js';
import { nativeAddon } from '../../src/backends/native.js';

/**
 * The worst error of `actual` against `reference` in units of `tol · (|r| + max(1, max|r|))`: at
 * most 1 means every value is within tolerance relative to both itself and the output's scale.
 * NaN anywhere, or a length mismatch, is Infinity.
 */
export function worstAgainstPeak(actual: Float32Array, reference: Float32Array, tol: number): number {
  let peak = 1;
  for (const v of reference) peak = Math.max(peak, Math.abs(v));
  let w = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = Math.abs(actual[i]! - reference[i]!) / (tol * (Math.abs(reference[i]!) + peak));
    if (!(e <= w)) w = Number.isNaN(e) ? Infinity : e;
  }
  return actual.length === reference.length ? w : Infinity;
}

/** conv{1,2,3}dTranspose and their plans, loosely typed, by spatial rank. */
export type TfCall = (...args: unknown[]) => { data: Float32Array };
export type TfMakePlan = (...args: unknown[]) => { run(x: unknown): { data: Float32Array }; problem: Float64Array; dispose(): void };
export const tfOpsByRank = {
  1: [conv1dTranspose, conv1dTransposePlan],
  2: [conv2dTranspose, conv2dTransposePlan],
  3: [conv3dTranspose, conv3dTransposePlan],
} as unknown as Record<1 | 2 | 3, [TfCall, TfMakePlan]>;

/** The activations every fused-activation test runs through. */
export const ACTIVATIONS: Activation[] = ['none', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu'];

/**
 * Runs `body` with DECONV_ONEDNN_VARIANT=variant (the oneDNN backend's plans then compute that way
 * where it applies, instead of timing them all), with empty plan caches before and after.
 */
export function withOnednnVariant<T>(variant: string, body: () => T): T {
  const addon = nativeAddon().addon!;
  process.env.DECONV_ONEDNN_VARIANT = variant;
  addon.clearPlanCache!();
  try {
    return body();
  } finally {
    delete process.env.DECONV_ONEDNN_VARIANT;
    addon.clearPlanCache!();
  }
}
