/**
 * Layers beyond the Keras golden data: initializers (reproducible, Keras's scales, bilinear and
 * ICNR behaviour), optimizers (Keras's update rules), serialization round trips, batch-norm
 * folding, and a finite-difference check of a whole Sequential (conv → BN → activation → conv) on
 * the reference backend (loss summed in float64; tolerance 2e-3 relative + 2e-3 absolute, the
 * float32 forward's rounding over a step of 1e-2).
 */
import { describe, expect, it } from 'vitest';
import {
  Activation,
  adam,
  BatchNormalization,
  bilinearKernel,
  computeFans,
  Conv1DTranspose,
  Conv2DTranspose,
  deserializeLayers,
  foldBatchNorm,
  initialize,
  INITIALIZER_NAMES,
  Sequential,
  serializeLayers,
  sgd,
  type Parameter,
} from '../src/index.js';
import { Tensor } from '../src/tensor.js';
import { randomData, worstError } from './helpers/naive.js';

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
const variance = (a: Float32Array) => {
  const m = mean(a);
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
};

describe('initializers', () => {
  const shape = [4, 4, 16, 32]; // [K, K, Mg, C]: fanIn = 16·16 = 256, fanOut = 32·16 = 512
  it("compute Keras's fans for the transposed kernel layout", () => {
    expect(computeFans(shape)).toEqual({ fanIn: 256, fanOut: 512 });
    expect(computeFans([7])).toEqual({ fanIn: 7, fanOut: 7 });
  });
  it.each(INITIALIZER_NAMES.map((n) => [n]))('%s is reproducible with a seed and differs across seeds', (name) => {
    const ctx = { kernelRank: 2, strides: [2, 2] };
    const a = initialize({ name, seed: 5 }, shape, ctx);
    expect(initialize({ name, seed: 5 }, shape, ctx)).toEqual(a);
    if (!['zeros', 'ones', 'bilinear'].includes(name)) expect(initialize({ name, seed: 6 }, shape, ctx)).not.toEqual(a);
  });
  it("have Keras's scales (variance within 10%)", () => {
    const v = (name: (typeof INITIALIZER_NAMES)[number]) => variance(initialize({ name, seed: 1 }, shape, { kernelRank: 2 }));
    expect(v('glorotUniform') / (2 / 768)).toBeCloseTo(1, 1);
    expect(v('glorotNormal') / (2 / 768)).toBeCloseTo(1, 1);
    expect(v('heNormal') / (2 / 256)).toBeCloseTo(1, 1);
    expect(v('heUniform') / (2 / 256)).toBeCloseTo(1, 1);
    expect(Math.sqrt(v('randomNormal'))).toBeCloseTo(0.05, 2);
    const t = initialize({ name: 'truncatedNormal', seed: 2, stddev: 1 }, [10000]);
    expect(Math.max(...t.map(Math.abs))).toBeLessThanOrEqual(2);
    const u = initialize({ name: 'heUniform', seed: 3 }, shape, { kernelRank: 2 });
    expect(Math.max(...u.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 256));
  });
  it('refuse unknown names and parameters, naming the argument', () => {
    expect(() => initialize('nope' as never, [2])).toThrow(/initializer must be one of 'zeros'/);
    expect(() => initialize({ name: 'ones', size: 2 } as never, [2])).toThrow(TypeError);
  });

  it('bilinear: a fresh layer upsamples an image ×2 bilinearly (interior of a ramp stays a ramp)', () => {
    const layer = new Conv2DTranspose({ filters: 2, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: 'bilinear', backend: 'ts' });
    const H = 6;
    const x = new Float32Array(H * H * 2);
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) { x[(i * H + j) * 2] = i + 2 * j; x[(i * H + j) * 2 + 1] = 7; }
    const y = layer.apply({ shape: [1, H, H, 2], data: x });
    expect(y.shape).toEqual([1, 12, 12, 2]);
    // Output pixel o sits at input coordinate (o − 0.5)/2 (align_corners = false).
    for (let o = 1; o < 11; o++)
      for (let p = 1; p < 11; p++) {
        expect(y.data[(o * 12 + p) * 2]).toBeCloseTo((o - 0.5) / 2 + 2 * ((p - 0.5) / 2), 5);
        expect(y.data[(o * 12 + p) * 2 + 1]).toBeCloseTo(7, 5);
      }
    expect(bilinearKernel([4, 1, 1])).toEqual(Float32Array.from([0.25, 0.75, 0.75, 0.25]));
  });

  it('icnr: a fresh layer is nearest-neighbour upsampling of a convolution (no checkerboard)', () => {
    const layer = new Conv1DTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: { name: 'icnr', seed: 9 }, backend: 'ts' });
    const y = layer.apply({ shape: [1, 8, 2], data: randomData(16, 4) });
    // padding 1: outputs o and o' with ⌊(o + 1)/2⌋ equal see the same taps (away from the ends).
    for (let o = 1; o < 14; o += 2) for (let m = 0; m < 3; m++) expect(y.data[o * 3 + m]).toBeCloseTo(y.data[(o + 1) * 3 + m]!, 6);
  });
});

describe('optimizers follow Keras', () => {
  const param = (w: number[], g: number[]): Parameter => ({ name: 'w', value: new Tensor([w.length], Float32Array.from(w)), grad: new Tensor([g.length], Float32Array.from(g)) });
  it('sgd with momentum and nesterov', () => {
    const p = param([1, 2], [0.5, -1]);
    const opt = sgd({ learningRate: 0.1, momentum: 0.9 });
    opt.step([p]);
    opt.step([p]);
    // v1 = −0.1g; w1 = w + v1; v2 = 0.9·v1 − 0.1g; w2 = w1 + v2
    expect(p.value.data[0]).toBeCloseTo(1 - 0.05 - 0.095, 6);
    const q = param([1], [2]);
    sgd({ learningRate: 0.1, momentum: 0.5, nesterov: true }).step([q]);
    expect(q.value.data[0]).toBeCloseTo(1 + 0.5 * -0.2 - 0.2, 6);
  });
  it('adam: the first step moves each weight by about the learning rate, against the gradient', () => {
    const p = param([1, -1], [3, -0.01]);
    adam({ learningRate: 0.01 }).step([p]);
    expect(p.value.data[0]).toBeCloseTo(0.99, 4);
    expect(p.value.data[1]).toBeCloseTo(-0.99, 4);
  });
  it('refuse bad hyperparameters', () => {
    expect(() => sgd({ learningRate: -1 })).toThrow(/config.learningRate must be a positive number/);
    expect(() => adam({ beta1: 1 })).toThrow(RangeError);
  });
});

describe('serialization and folding', () => {
  const make = () =>
    new Sequential([
      new Conv2DTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: { name: 'heNormal', seed: 1 }, biasInitializer: { name: 'randomNormal', seed: 2 }, backend: 'ts', name: 'up' }),
      new BatchNormalization({ name: 'bn' }),
      new Activation({ activation: 'leakyRelu', name: 'act' }),
      new Conv2DTranspose({ filters: 2, kernelSize: 3, groups: 2, padding: 'same', activation: 'tanh', kernelInitializer: { name: 'glorotUniform', seed: 3 }, backend: 'ts', name: 'out' }),
    ]);
  const x = { shape: [2, 3, 3, 2], data: randomData(36, 8) };

  it('round-trips config and weights (moving statistics included)', () => {
    const model = make();
    model.apply(x, { training: true });
    const y = model.apply(x);
    const { json, weights } = serializeLayers(model);
    const loaded = new Sequential(deserializeLayers(json, weights));
    expect(loaded.layers.map((l) => l.className)).toEqual(['Conv2DTranspose', 'BatchNormalization', 'Activation', 'Conv2DTranspose']);
    // The backend is not part of the config: the loaded layers run on 'auto' (float32 kernels).
    expect(worstError(loaded.apply(x).data, y.data, 1e-4, 1e-4)).toBeLessThanOrEqual(1);
    expect((loaded.layers[1] as BatchNormalization).weights().movingMean!.data).toEqual((model.layers[1] as BatchNormalization).weights().movingMean!.data);
    expect(() => deserializeLayers('{"format":"x"}', weights)).toThrow(RangeError);
  });

  it('folding the batch norm into the convolution computes the inference-mode pair', () => {
    const model = make();
    model.apply(x, { training: true }); // moves the statistics away from 0/1
    const [conv, bn, act] = model.layers as [Conv2DTranspose, BatchNormalization, Activation];
    const expected = act.apply(bn.apply(conv.apply(x)));
    const folded = foldBatchNorm(conv, bn, { activation: 'leakyRelu' });
    expect(worstError(folded.apply(x).data, expected.data, 1e-5, 1e-5)).toBeLessThanOrEqual(1);
  });
});

describe('a whole Sequential matches finite differences (reference backend)', () => {
  it('for the input and every parameter (sampled), in training mode', () => {
    const model = new Sequential([
      new Conv2DTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: { name: 'glorotUniform', seed: 1 }, biasInitializer: { name: 'randomUniform', seed: 4 }, backend: 'ts' }),
      new BatchNormalization({}),
      new Activation({ activation: 'elu' }),
      new Conv2DTranspose({ filters: 2, kernelSize: 2, strides: 1, padding: 'valid', activation: 'sigmoid', kernelInitializer: { name: 'heNormal', seed: 2 }, backend: 'ts' }),
    ]);
    const x = { shape: [2, 3, 3, 2], data: randomData(36, 3) };
    const y0 = model.apply(x, { training: true });
    const r = randomData(y0.data.length, 5);
    const loss = () => model.apply(x, { training: true }).data.reduce((s, v, i) => s + v * r[i]!, 0);
    model.apply(x, { training: true });
    const dx = model.backward({ shape: y0.shape, data: r });
    const h = 1e-2;
    const check = (target: Float32Array, analytic: Float32Array) => {
      for (const j of [0, Math.floor(target.length / 2), target.length - 1]) {
        const keep = target[j]!;
        target[j] = keep + h;
        const up = loss();
        target[j] = keep - h;
        const down = loss();
        target[j] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - analytic[j]!)).toBeLessThanOrEqual(2e-3 + 2e-3 * Math.abs(numeric));
      }
    };
    check(x.data, dx.data);
    for (const p of model.parameters()) check(p.value.data, p.grad!.data.slice());
  });
});
