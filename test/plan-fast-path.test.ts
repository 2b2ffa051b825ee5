/**
 * plan.run's fast path (a host input of the plan's shape, no options or a host `out`) must give
 * exactly what the checked path gives, and leave every refusal to it.
 */
import { describe, expect, it } from 'vitest';
import { convTranspose, convTransposePlan } from '../src/index.js';
import { backendsUnderTest } from './helpers/backends.js';

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const t = (shape: number[], seed = 1) => ({ shape, data: Float32Array.from({ length: size(shape) }, (_, i) => Math.sin(i * 0.7 + seed)) });

describe.each(backendsUnderTest())("plan.run's fast path on '%s'", (backend) => {
  const W = t([3, 4, 3, 3], 2);
  const attrs = { strides: [2, 2], pads: [1, 0, 0, 1], backend } as const;
  const x = t([2, 3, 5, 5], 3);
  const expected = convTranspose(x, W, null, attrs);

  it('gives the checked path\'s numbers, with and without out, into out itself', () => {
    const plan = convTransposePlan(x.shape, W, null, attrs);
    const plain = plan.run(x);
    expect(plain.shape).toEqual(expected.shape);
    expect(Array.from(plain.data)).toEqual(Array.from(expected.data));
    const out = { shape: [...expected.shape], data: new Float32Array(expected.data.length) };
    const into = plan.run(x, { out });
    expect(into.data).toBe(out.data);
    expect(Array.from(out.data)).toEqual(Array.from(expected.data));
    expect(Object.isFrozen(into.shape)).toBe(true);
    expect(() => (into.shape as number[]).push(1)).toThrow(TypeError);
    expect(plan.outputShape).toEqual(expected.shape);
    plan.dispose();
  });

  it('still refuses what the checked path refuses', () => {
    const plan = convTransposePlan(x.shape, W, null, attrs);
    expect(() => plan.run({ shape: [2, 3, 5, 4], data: new Float32Array(120) })).toThrow(RangeError);
    expect(() => plan.run(x, { out: { shape: [1], data: new Float32Array(1) } })).toThrow(/options\.out/);
    const shared = new Float32Array(size(x.shape) + expected.data.length);
    const aliased = { shape: x.shape, data: shared.subarray(0, size(x.shape)) };
    expect(() => plan.run(aliased, { out: { shape: [...expected.shape], data: shared.subarray(10, 10 + expected.data.length) } })).toThrow(/share memory/);
    expect(() => plan.run(x, { unknown: 1 } as never)).toThrow(/unknown/);
    plan.dispose();
    expect(() => plan.run(x)).toThrow(/disposed/);
  });
});
