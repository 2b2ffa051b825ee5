/**
 * Layers against Keras (test/fixtures/golden-grad, made by scripts/golden/generate_grad.py):
 * a Conv{1,2,3}DTranspose configured like the Keras layer gives Keras's output shape, and with the
 * same weights TensorFlow's output and tape gradients (input, kernel, bias; activation included);
 * BatchNormalization gives Keras's training/inference outputs, gradients and moving statistics.
 * Tolerance (helpers/golden-grad.ts scaledError): 1e-5 on 'ts', 1e-4 on native backends.
 */
import { describe, expect, it } from 'vitest';
import { BatchNormalization, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose, type BackendName, type ConvTransposeLayerConfig } from '../src/index.js';
import { gradientBackendsUnderTest } from './helpers/backends.js';
import { goldenGradCases, loadTensor, scaledError } from './helpers/golden-grad.js';
import { moveAxis } from './helpers/naive.js';

const LAYERS = { Conv1DTranspose, Conv2DTranspose, Conv3DTranspose };
const kerasCases = goldenGradCases.filter((c) => c.kind === 'keras');
const bnCases = goldenGradCases.filter((c) => c.kind === 'batchnorm');

describe.each(gradientBackendsUnderTest())("Keras Conv*Transpose layers on backend '%s'", (backend: BackendName) => {
  const tol = backend === 'ts' ? 1e-5 : 1e-4;
  it('the fixture has 1/2/3-D cases with every activation, output padding and no bias', () => {
    expect(kerasCases.length).toBeGreaterThanOrEqual(9);
    const activations = new Set(kerasCases.map((c) => c.config!.activation ?? 'linear'));
    for (const a of ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu', 'linear']) expect(activations).toContain(a);
    expect(kerasCases.some((c) => c.config!.outputPadding !== undefined)).toBe(true);
    expect(kerasCases.some((c) => c.config!.useBias === false)).toBe(true);
  });

  it.each(kerasCases.map((c) => [c.id, c] as const))('%s: shape, output and gradients (channels last)', (_id, c) => {
    const layer = new LAYERS[c.layer!]({ ...(c.config as unknown as ConvTransposeLayerConfig), backend });
    const x = loadTensor(c, 'input');
    expect(layer.computeOutputShape(x.shape)).toEqual(c.outputShape);
    layer.build(x.shape);
    layer.setWeights({ kernel: loadTensor(c, 'kernel'), ...(c.tensors.bias ? { bias: loadTensor(c, 'bias') } : {}) });
    const y = layer.apply(x);
    expect(y.shape).toEqual(c.outputShape);
    expect(scaledError(y.data, loadTensor(c, 'output').data, tol)).toBeLessThanOrEqual(1);
    const dx = layer.backward(loadTensor(c, 'dOutput'));
    expect(dx.shape).toEqual(x.shape);
    expect(scaledError(dx.data, loadTensor(c, 'dInput').data, tol), 'dInput').toBeLessThanOrEqual(1);
    expect(scaledError(layer.kernel.grad!.data, loadTensor(c, 'dKernel').data, tol), 'dKernel').toBeLessThanOrEqual(1);
    if (c.tensors.dBias) expect(scaledError(layer.bias!.grad!.data, loadTensor(c, 'dBias').data, tol), 'dBias').toBeLessThanOrEqual(1);
    else expect(layer.bias).toBeUndefined();
  });

  it.each(kerasCases.map((c) => [c.id, c] as const))('%s: channelsFirst gives the same numbers transposed', async (_id, c) => {
    const layer = new LAYERS[c.layer!]({ ...(c.config as unknown as ConvTransposeLayerConfig), dataFormat: 'channelsFirst', backend });
    const r = c.inputShape!.length - 2;
    const x = loadTensor(c, 'input');
    const xcf = moveAxis(x.data, x.shape, r + 1, 1);
    layer.build(xcf.shape);
    layer.setWeights({ kernel: loadTensor(c, 'kernel'), ...(c.tensors.bias ? { bias: loadTensor(c, 'bias') } : {}) });
    const y = await layer.applyAsync(xcf);
    const expected = moveAxis(loadTensor(c, 'output').data, c.outputShape!, r + 1, 1);
    expect(y.shape).toEqual(expected.shape);
    expect(scaledError(y.data, expected.data, tol)).toBeLessThanOrEqual(1);
    const dy = loadTensor(c, 'dOutput');
    const dx = layer.backward(moveAxis(dy.data, dy.shape, r + 1, 1));
    expect(scaledError(dx.data, moveAxis(loadTensor(c, 'dInput').data, x.shape, r + 1, 1).data, tol)).toBeLessThanOrEqual(1);
    expect(scaledError(layer.kernel.grad!.data, loadTensor(c, 'dKernel').data, tol)).toBeLessThanOrEqual(1);
  });
});

describe('BatchNormalization matches Keras', () => {
  it.each(bnCases.map((c) => [c.id, c] as const))('%s: training output, gradients, moving statistics; inference output', (_id, c) => {
    const cfg = c.config as { momentum: number; epsilon: number };
    const bn = new BatchNormalization({ momentum: cfg.momentum, epsilon: cfg.epsilon });
    const x = loadTensor(c, 'input');
    bn.build(x.shape);
    bn.setWeights({ gamma: loadTensor(c, 'gamma'), beta: loadTensor(c, 'beta'), movingMean: loadTensor(c, 'movingMean'), movingVariance: loadTensor(c, 'movingVariance') });
    const inference = bn.apply(x);
    expect(scaledError(inference.data, loadTensor(c, 'inferenceOutput').data, 1e-5)).toBeLessThanOrEqual(1);
    const y = bn.apply(x, { training: true });
    expect(scaledError(y.data, loadTensor(c, 'output').data, 1e-5)).toBeLessThanOrEqual(1);
    const dx = bn.backward(loadTensor(c, 'dOutput'));
    expect(scaledError(dx.data, loadTensor(c, 'dInput').data, 1e-4), 'dInput').toBeLessThanOrEqual(1);
    const [gamma, beta] = bn.parameters();
    expect(scaledError(gamma!.grad!.data, loadTensor(c, 'dGamma').data, 1e-5)).toBeLessThanOrEqual(1);
    expect(scaledError(beta!.grad!.data, loadTensor(c, 'dBeta').data, 1e-5)).toBeLessThanOrEqual(1);
    const w = bn.weights();
    expect(scaledError(w.movingMean!.data, loadTensor(c, 'movingMeanAfter').data, 1e-5)).toBeLessThanOrEqual(1);
    expect(scaledError(w.movingVariance!.data, loadTensor(c, 'movingVarianceAfter').data, 1e-5)).toBeLessThanOrEqual(1);
  });
});
