/**
 * Gradients against TensorFlow's (tf.GradientTape on tf.nn.conv{1,2,3}d_transpose + bias_add), from
 * test/fixtures/golden-grad made by scripts/golden/generate_grad.py, on every backend that has
 * gradients. Tolerance (see helpers/golden-grad.ts): 1e-5 on 'ts' (float64 accumulation), 1e-4 on
 * the native float32 backends.
 */
import { describe, expect, it } from 'vitest';
import {
  conv1dTranspose,
  conv1dTransposeBackward,
  conv2dTranspose,
  conv2dTransposeBackward,
  conv3dTranspose,
  conv3dTransposeBackward,
  type BackendName,
} from '../src/index.js';
import { gradientBackendsUnderTest } from './helpers/backends.js';
import { goldenGradCases, loadTensor, scaledError } from './helpers/golden-grad.js';

const BACKWARD = { conv1dTranspose: conv1dTransposeBackward, conv2dTranspose: conv2dTransposeBackward, conv3dTranspose: conv3dTransposeBackward };
const FORWARD = { conv1dTranspose, conv2dTranspose, conv3dTranspose };
const cases = goldenGradCases.filter((c) => c.kind === 'gradient');

describe.each(gradientBackendsUnderTest())("TensorFlow's gradients on backend '%s'", (backend: BackendName) => {
  const tol = backend === 'ts' ? 1e-5 : 1e-4;
  it('the fixture covers 1/2/3-D, strides, dilations, groups, channels first, explicit pads and output padding', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    expect(new Set(cases.map((c) => c.op)).size).toBe(3);
    expect(cases.some((c) => (c.note ?? '').includes('dilation'))).toBe(true);
    expect(cases.some((c) => (c.note ?? '').includes('group'))).toBe(true);
    expect(cases.some((c) => (c.note ?? '').includes('channels first'))).toBe(true);
    expect(cases.some((c) => Array.isArray(c.args!.padding))).toBe(true);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const a = c.args as { outputShape: number[]; strides: number[]; padding: 'SAME'; dataFormat: string; dilations: number[] };
    const options = { dataFormat: a.dataFormat, dilations: a.dilations, backend } as never;
    const input = loadTensor(c, 'input');
    const filters = loadTensor(c, 'filters');
    const bias = loadTensor(c, 'bias');
    const y = (FORWARD[c.op!] as (...args: unknown[]) => { data: Float32Array })(
      input, filters, a.outputShape, a.strides, a.padding, { ...(options as object), bias },
    );
    expect(scaledError(y.data, loadTensor(c, 'output').data, tol)).toBeLessThanOrEqual(1);
    const g = (BACKWARD[c.op!] as (...args: unknown[]) => Record<'dX' | 'dW' | 'dB', { shape: readonly number[]; data: Float32Array }>)(
      input, filters, loadTensor(c, 'dOutput'), a.outputShape, a.strides, a.padding, options,
    );
    for (const name of ['dX', 'dW', 'dB'] as const) {
      const expected = loadTensor(c, name);
      expect(g[name].shape).toEqual(expected.shape);
      expect(scaledError(g[name].data, expected.data, tol), name).toBeLessThanOrEqual(1);
    }
  });
});
