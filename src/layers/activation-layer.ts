/** Keras's Activation layer: an activation on its own (after a BatchNormalization, say). */
import { checkOptions, checkTensor } from '../problem/index.js';
import { describe as describeValue, typeError } from '../errors.js';
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
  #lastOutput: Tensor | undefined;

  constructor(config: ActivationConfig) {
    const c = checkOptions('config', config, ['activation', 'alpha', 'name']);
    this.activation = checkActivation('config.activation', c.activation);
    if (c.alpha !== undefined && (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha))) throw typeError('config.alpha', 'a finite number', c.alpha);
    this.alpha = (c.alpha as number | undefined) ?? defaultAlpha(this.activation);
    if (c.name !== undefined && typeof c.name !== 'string') throw typeError('config.name', 'a string', c.name);
    this.name = (c.name as string | undefined) ?? `activation_${++counter}`;
  }

  apply(x: TensorLike): Tensor {
    const input = checkTensor('x', x);
    this.#lastOutput = new Tensor(input.shape, applyActivation(this.activation, this.alpha, input.data));
    return this.#lastOutput;
  }

  async applyAsync(x: TensorLike): Promise<Tensor> {
    return this.apply(x);
  }

  backward(dy: TensorLike): Tensor {
    const y = this.#lastOutput;
    if (!y) throw new Error(`layer '${this.name}': backward() needs a forward pass (apply) first`);
    const g = checkTensor('dy', dy);
    if (g.data.length !== y.data.length) throw new RangeError(`dy must have the last output's shape [${y.shape.join(', ')}], but got ${describeValue(g.shape)}`);
    return new Tensor(y.shape, activationBackward(this.activation, this.alpha, y.data, g.data).slice());
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
