/**
 * Random channels-last (TF conv{1,2,3}d_transpose) problems for the tests of the oneDNN backend's
 * strided ways: ranks 1–3, strides, dilations (TF takes them with unit strides only), SAME, VALID
 * and (rank 2, where TF's API has it) explicit padding, bias and every activation. Each test checks
 * one way, forced, against the reference on the problems the arbitrary makes.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Activation, ConvTransposeProblem } from '../../src/index.js';
import { ACTIVATIONS, tfOpsByRank, worstAgainstPeak } from './compare.js';
import { randomData } from './naive.js';

export interface StridedTfLimits {
  /** Most input and output channels. */
  inChannels: number;
  outChannels: number;
  /** Most taps per axis. */
  kernel: number;
  /** Whether explicit padding is drawn too (rank 2). */
  explicit: boolean;
}

export interface StridedTfShape {
  rank: number;
  batch: number;
  C: number;
  M: number;
  sizes: number[];
  kernel: number[];
  strides: number[];
  dilation: number;
  padding: 'SAME' | 'VALID' | 'explicit';
  pads: number[];
  bias: boolean;
  activation: Activation;
  seed: number;
}

export function stridedTfArbitrary(limits: StridedTfLimits): fc.Arbitrary<StridedTfShape> {
  const paddings: Array<StridedTfShape['padding']> = limits.explicit ? ['SAME', 'VALID', 'explicit'] : ['SAME', 'VALID'];
  return fc.record({
    rank: fc.constantFrom(1, 2, 2, 3),
    batch: fc.integer({ min: 1, max: 3 }),
    C: fc.integer({ min: 1, max: limits.inChannels }),
    M: fc.integer({ min: 1, max: limits.outChannels }),
    sizes: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
    kernel: fc.array(fc.integer({ min: 1, max: limits.kernel }), { minLength: 3, maxLength: 3 }),
    strides: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
    dilation: fc.integer({ min: 1, max: 3 }),
    padding: fc.constantFrom(...paddings),
    pads: fc.array(fc.nat(3), { minLength: 4, maxLength: 4 }),
    bias: fc.boolean(),
    activation: fc.constantFrom(...ACTIVATIONS),
    seed: fc.nat(),
  });
}

/**
 * Checks the forced oneDNN way on one problem against the reference (plan and plain call, within
 * |a − r| ≤ 1e-4 · (|r| + max(1, max|r|))); returns the implementation the plan reported, or
 * undefined where the problem has no output.
 */
export function checkStridedTf(c: StridedTfShape, describePlan: (problem: ConvTransposeProblem) => string): string | undefined {
  const sizes = c.sizes.slice(0, c.rank);
  const kernel = c.kernel.slice(0, c.rank);
  const strides = c.strides.slice(0, c.rank);
  const dilations = strides.every((s) => s === 1) ? kernel.map(() => c.dilation) : kernel.map(() => 1);
  const eff = kernel.map((k, i) => (k - 1) * dilations[i]! + 1);
  // Explicit padding (rank 2 only in TF's API), each side below the dilated kernel.
  const explicit = c.padding === 'explicit' && c.rank === 2;
  const padsOf = (i: number) => [Math.min(c.pads[2 * i]!, eff[i]! - 1), Math.min(c.pads[2 * i + 1]!, eff[i]! - 1)] as const;
  const padding = explicit ? [[0, 0], padsOf(0), padsOf(1), [0, 0]] : c.padding === 'SAME' ? 'SAME' : 'VALID';
  const out = sizes.map((n, i) => {
    if (explicit) return (n - 1) * strides[i]! + eff[i]! - padsOf(i)[0] - padsOf(i)[1];
    return padding === 'SAME' ? n * strides[i]! : (n - 1) * strides[i]! + eff[i]!;
  });
  if (out.some((o) => o < 1)) return undefined;
  const xShape = [c.batch, ...sizes, c.C];
  const X = { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) };
  const F = { shape: [...kernel, c.M, c.C], data: randomData(kernel.reduce((a, b) => a * b, c.M * c.C), c.seed + 1) };
  const outputShape = [c.batch, ...out, c.M];
  const options = { dilations, activation: c.activation, alpha: 0.2, ...(c.bias ? { bias: { shape: [c.M], data: randomData(c.M, c.seed + 2) } } : {}) };
  const [call, makePlan] = tfOpsByRank[c.rank as 1 | 2 | 3];
  const ref = call(X, F, outputShape, strides, padding, { ...options, backend: 'ts' });
  const plan = makePlan(X.shape, F, outputShape, strides, padding, { ...options, backend: 'onednn' });
  const implementation = describePlan(plan.problem as unknown as ConvTransposeProblem);
  expect(worstAgainstPeak(plan.run(X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
  plan.dispose();
  expect(worstAgainstPeak(call(X, F, outputShape, strides, padding, { ...options, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
  return implementation;
}
