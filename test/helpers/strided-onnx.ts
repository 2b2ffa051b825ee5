/**
 * Random channels-first (ONNX ConvTranspose) problems for the tests of the oneDNN backend's strided
 * ways: ranks 1–3, groups, asymmetric pads below the dilated kernel, output_padding, dilations with
 * strides, bias and every activation. Each test checks one way, forced, against the reference on
 * the problems the arbitrary makes.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { convTranspose, convTransposePlan, type Activation, type ConvTransposeProblem } from '../../src/index.js';
import { ACTIVATIONS, worstAgainstPeak } from './compare.js';
import { randomData } from './naive.js';

export interface StridedOnnxLimits {
  /** Most groups. */
  groups: number;
  /** Most input and output channels per group. */
  inPerGroup: number;
  outPerGroup: number;
  /** Most taps per axis. */
  kernel: number;
  /** Strides per axis, from and to. */
  strides: [number, number];
}

interface Axis {
  in: number;
  k: number;
  s: number;
  d: number;
  p0: number;
  p1: number;
  op: number;
}

export interface StridedOnnxShape {
  rank: number;
  batch: number;
  groups: number;
  cg: number;
  mg: number;
  axes: Axis[];
  bias: boolean;
  activation: Activation;
  alpha: number;
  seed: number;
}

export function stridedOnnxArbitrary(limits: StridedOnnxLimits): fc.Arbitrary<StridedOnnxShape> {
  return fc.record({
    rank: fc.constantFrom(1, 2, 3),
    batch: fc.integer({ min: 1, max: 3 }),
    groups: fc.integer({ min: 1, max: limits.groups }),
    cg: fc.integer({ min: 1, max: limits.inPerGroup }),
    mg: fc.integer({ min: 1, max: limits.outPerGroup }),
    axes: fc.array(
      fc.record({
        in: fc.integer({ min: 1, max: 7 }),
        k: fc.integer({ min: 1, max: limits.kernel }),
        s: fc.integer({ min: limits.strides[0], max: limits.strides[1] }),
        d: fc.integer({ min: 1, max: 2 }),
        p0: fc.nat(3),
        p1: fc.nat(3),
        op: fc.nat(2),
      }),
      { minLength: 3, maxLength: 3 },
    ),
    bias: fc.boolean(),
    activation: fc.constantFrom(...ACTIVATIONS),
    alpha: fc.constantFrom(0.1, 0.5, 1.3),
    seed: fc.nat(),
  });
}

/** The problem's tensors and ConvTranspose attributes, or undefined where it has no output (pads
 * and output_padding too large for the input). */
export function stridedOnnxCase(c: StridedOnnxShape) {
  const axes = c.axes.slice(0, c.rank);
  const C = c.groups * c.cg;
  const M = c.groups * c.mg;
  const eff = axes.map((a) => (a.k - 1) * a.d + 1);
  const pads = axes.map((a, i) => [Math.min(a.p0, eff[i]! - 1), Math.min(a.p1, eff[i]! - 1)] as const);
  const outputPadding = axes.map((a) => a.op % Math.max(a.s, a.d));
  if (axes.some((a, i) => (a.in - 1) * a.s + eff[i]! + outputPadding[i]! - pads[i]![0] - pads[i]![1] < 1)) return undefined;
  const xShape = [c.batch, C, ...axes.map((a) => a.in)];
  const wShape = [C, c.mg, ...axes.map((a) => a.k)];
  return {
    xShape,
    X: { shape: xShape, data: randomData(xShape.reduce((a, b) => a * b, 1), c.seed) },
    W: { shape: wShape, data: randomData(wShape.reduce((a, b) => a * b, 1), c.seed + 1) },
    B: c.bias ? { shape: [M], data: randomData(M, c.seed + 2) } : null,
    attrs: {
      strides: axes.map((a) => a.s),
      dilations: axes.map((a) => a.d),
      pads: [...pads.map((p) => p[0]), ...pads.map((p) => p[1])],
      outputPadding,
      group: c.groups,
      activation: c.activation,
      alpha: c.alpha,
    },
  };
}

/**
 * Checks the forced oneDNN way on one problem against the reference (plan and plain call, within
 * |a − r| ≤ 1e-4 · (|r| + max(1, max|r|))); returns the implementation the plan reported, or
 * undefined where the problem has no output.
 */
export function checkStridedOnnx(c: StridedOnnxShape, describePlan: (problem: ConvTransposeProblem) => string): string | undefined {
  const k = stridedOnnxCase(c);
  if (k === undefined) return undefined;
  const ref = convTranspose(k.X, k.W, k.B, { ...k.attrs, backend: 'ts' });
  const plan = convTransposePlan(k.xShape, k.W, k.B, { ...k.attrs, backend: 'onednn' });
  const implementation = describePlan(plan.problem);
  expect(worstAgainstPeak(plan.run(k.X).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
  plan.dispose();
  expect(worstAgainstPeak(convTranspose(k.X, k.W, k.B, { ...k.attrs, backend: 'onednn' }).data, ref.data, 1e-4)).toBeLessThanOrEqual(1);
  return implementation;
}
