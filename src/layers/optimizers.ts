/**
 * Optimizers with Keras's update rules, updating each parameter's data in place from the gradient
 * its layer's last backward pass stored. State (velocities, moments) is kept per parameter object.
 *   sgd:  v ← momentum·v − lr·g;  w ← w + v  (nesterov: w ← w + momentum·v − lr·g)
 *   adam: m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w − lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m/(√v + ε)
 *
 * A parameter on the device (a layer moved with toDevice()) is updated there by one kernel per
 * parameter (native/cudnn/kernels/training.cu), with its state in float32 device tensors; the
 * step only enqueues, so a training loop never waits for the GPU until it reads something back.
 */
import { adamOnDevice, checkDeviceLike, deviceZeros, sgdOnDevice } from '../device-kernels.js';
import { DeviceTensor } from '../device-tensor.js';
import { rangeError, typeError } from '../errors.js';
import { checkOptions } from '../problem/index.js';
import type { Tensor } from '../tensor.js';
import type { Parameter } from './layer.js';

/** The parameter's value and gradient, both on the host or both on the device (checked). */
type Pair = { device: false; w: Tensor; g: Tensor } | { device: true; w: DeviceTensor; g: DeviceTensor };

function pair(p: Parameter): Pair | undefined {
  if (!p.grad) return undefined;
  if (p.value instanceof DeviceTensor) return { device: true, w: p.value, g: checkDeviceLike(`${p.name}.grad`, p.grad, p.value, p.name) };
  if (p.grad instanceof DeviceTensor) throw new TypeError(`${p.name}.grad is a device tensor but ${p.name} is on the host: move the layer with toDevice()`);
  return { device: false, w: p.value, g: p.grad };
}

export interface Optimizer {
  /** Applies one update to every parameter that has a gradient. */
  step(parameters: readonly Parameter[]): void;
  /** Steps taken so far. */
  readonly iterations: number;
}

function positive(argument: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw typeError(argument, 'a number', value);
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw rangeError(argument, allowZero ? 'a number ≥ 0' : 'a positive number', value);
  return value;
}

export interface SgdConfig {
  /** Default 0.01. */
  learningRate?: number;
  /** Default 0 (plain gradient descent). */
  momentum?: number;
  /** Default false. */
  nesterov?: boolean;
}

class Sgd implements Optimizer {
  readonly learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  iterations = 0;
  readonly #velocity = new WeakMap<Parameter, Float32Array>();
  readonly #deviceVelocity = new WeakMap<Parameter, DeviceTensor>();

  constructor(config: SgdConfig) {
    const c = checkOptions('config', config, ['learningRate', 'momentum', 'nesterov']);
    this.learningRate = positive('config.learningRate', c.learningRate, 0.01);
    this.momentum = positive('config.momentum', c.momentum, 0, true);
    if (this.momentum >= 1) throw rangeError('config.momentum', 'a number in [0, 1)', this.momentum);
    if (c.nesterov !== undefined && typeof c.nesterov !== 'boolean') throw typeError('config.nesterov', 'a boolean', c.nesterov);
    this.nesterov = (c.nesterov as boolean | undefined) ?? false;
  }

  step(parameters: readonly Parameter[]): void {
    this.iterations++;
    for (const p of parameters) {
      const operands = pair(p);
      if (!operands) continue;
      const lr = this.learningRate;
      if (operands.device) {
        let velocity = this.#deviceVelocity.get(p);
        if (this.momentum !== 0 && !velocity) this.#deviceVelocity.set(p, (velocity = deviceZeros(operands.w)));
        sgdOnDevice(operands.w, operands.g, this.momentum === 0 ? undefined : velocity, lr, this.momentum, this.nesterov);
        continue;
      }
      const w = operands.w.data;
      const g = operands.g.data;
      if (this.momentum === 0) {
        for (let i = 0; i < w.length; i++) w[i]! -= lr * g[i]!;
        continue;
      }
      let v = this.#velocity.get(p);
      if (!v) this.#velocity.set(p, (v = new Float32Array(w.length)));
      for (let i = 0; i < w.length; i++) {
        v[i] = this.momentum * v[i]! - lr * g[i]!;
        w[i]! += this.nesterov ? this.momentum * v[i]! - lr * g[i]! : v[i]!;
      }
    }
  }
}

export interface AdamConfig {
  /** Default 0.001. */
  learningRate?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-7 (Keras's). */
  epsilon?: number;
}

class Adam implements Optimizer {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  iterations = 0;
  readonly #moments = new WeakMap<Parameter, { m: Float32Array; v: Float32Array }>();
  readonly #deviceMoments = new WeakMap<Parameter, { m: DeviceTensor; v: DeviceTensor }>();

  constructor(config: AdamConfig) {
    const c = checkOptions('config', config, ['learningRate', 'beta1', 'beta2', 'epsilon']);
    this.learningRate = positive('config.learningRate', c.learningRate, 0.001);
    this.beta1 = positive('config.beta1', c.beta1, 0.9, true);
    this.beta2 = positive('config.beta2', c.beta2, 0.999, true);
    if (this.beta1 >= 1) throw rangeError('config.beta1', 'a number in [0, 1)', this.beta1);
    if (this.beta2 >= 1) throw rangeError('config.beta2', 'a number in [0, 1)', this.beta2);
    this.epsilon = positive('config.epsilon', c.epsilon, 1e-7);
  }

  step(parameters: readonly Parameter[]): void {
    const t = ++this.iterations;
    const lr = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    for (const p of parameters) {
      const operands = pair(p);
      if (!operands) continue;
      if (operands.device) {
        let moments = this.#deviceMoments.get(p);
        if (!moments) this.#deviceMoments.set(p, (moments = { m: deviceZeros(operands.w), v: deviceZeros(operands.w) }));
        adamOnDevice(operands.w, operands.g, moments.m, moments.v, lr, this.beta1, this.beta2, this.epsilon);
        continue;
      }
      const w = operands.w.data;
      const g = operands.g.data;
      let state = this.#moments.get(p);
      if (!state) this.#moments.set(p, (state = { m: new Float32Array(w.length), v: new Float32Array(w.length) }));
      const { m, v } = state;
      for (let i = 0; i < w.length; i++) {
        m[i] = this.beta1 * m[i]! + (1 - this.beta1) * g[i]!;
        v[i] = this.beta2 * v[i]! + (1 - this.beta2) * g[i]! * g[i]!;
        w[i]! -= (lr * m[i]!) / (Math.sqrt(v[i]!) + this.epsilon);
      }
    }
  }
}

/** Stochastic gradient descent with optional (Nesterov) momentum, as keras.optimizers.SGD. */
export function sgd(config: SgdConfig = {}): Optimizer {
  return new Sgd(config);
}

/** Adam, as keras.optimizers.Adam. */
export function adam(config: AdamConfig = {}): Optimizer {
  return new Adam(config);
}
