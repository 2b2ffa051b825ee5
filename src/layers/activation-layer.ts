/**
 * Keras's Activation layer: an activation on its own (after a BatchNormalization, say). It has no
 * weights, so it follows its input: a device tensor is activated on the device (a kernel).
 */
import { activationBackwardOnDevice, activationOnDevice } from '../device-kernels.js';
import { DeviceTensor } from '../device-tensor.js';
import { checkOptions, checkTensor } from '../problem/index.js';
import { describe as describeValue, typeError } from '../errors.js';
import type { ResultFor } from '../ops/tf.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { activationBackward, applyActivation, checkActivation, defaultAlpha, type ActivationName } from './activations.js';
import type { Layer, Parameter } from './layer.js';

export interface ActivationConfig {
  activation: ActivationName;
  /** leakyRelu's slope (default 0.2) or elu's scale (default 1). */
  alpha?: number;
  name?: string;
}

let counter = 0;

export class Activation implements Layer {
  readonly className = 'Activation';
  readonly name: string;
  readonly activation: ActivationName;
  readonly alpha: number;
  #lastOutput: Tensor | DeviceTensor | undefined;

  constructor(config: ActivationConfig) {
    const c = checkOptions('config', config, ['activation', 'alpha', 'name']);
    this.activation = checkActivation('config.activation', c.activation);
    if (c.alpha !== undefined && (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha))) throw typeError('config.alpha', 'a finite number', c.alpha);
    this.alpha = (c.alpha as number | undefined) ?? defaultAlpha(this.activation);
    if (c.name !== undefined && typeof c.name !== 'string') throw typeError('config.name', 'a string', c.name);
    this.name = (c.name as string | undefined) ?? `activation_${++counter}`;
  }

  apply<X extends TensorLike | DeviceTensor>(x: X): ResultFor<X> {
    const input = checkTensor('x', x);
    if (this.#lastOutput instanceof DeviceTensor) this.#lastOutput.dispose();
    this.#lastOutput = input.device
      ? activationOnDevice(this.activation, this.alpha, input.device as DeviceTensor)
      : new Tensor(input.shape, applyActivation(this.activation, this.alpha, input.data));
    return this.#lastOutput as ResultFor<X>;
  }

  async applyAsync<X extends TensorLike | DeviceTensor>(x: X): Promise<ResultFor<X>> {
    return this.apply(x);
  }

  backward<D extends TensorLike | DeviceTensor>(dy: D): ResultFor<D> {
    const y = this.#lastOutput;
    if (!y) throw new Error(`layer '${this.name}': backward() needs a forward pass (apply) first`);
    const g = checkTensor('dy', dy);
    if (g.shape.length !== y.shape.length || g.shape.some((d, i) => d !== y.shape[i])) {
      throw new RangeError(`dy must have the last output's shape [${y.shape.join(', ')}], but got ${describeValue(g.shape)}`);
    }
    if (y instanceof DeviceTensor) {
      if (!g.device) throw new TypeError(`layer '${this.name}': dy must be a device tensor like the last output`);
      return activationBackwardOnDevice(this.activation, this.alpha, y, g.device as DeviceTensor) as ResultFor<D>;
    }
    if (g.device) throw new TypeError(`layer '${this.name}': dy must be a host tensor like the last output`);
    return new Tensor(y.shape, activationBackward(this.activation, this.alpha, y.data, g.data).slice()) as ResultFor<D>;
  }

  parameters(): Parameter[] {
    return [];
  }

  weights(): Record<string, Tensor> {
    return {};
  }

  setWeights(weights: Record<string, TensorLike>): void {
    if (Object.keys(weights).length > 0) throw new RangeError(`an Activation layer has no weights, but got ${Object.keys(weights).join(', ')}`);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, activation: this.activation, alpha: this.alpha };
  }
}
