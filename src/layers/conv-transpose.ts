/**
 * Keras-style transposed-convolution layers: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
 * with Keras's configuration names and output-shape rules (plus `groups`, which Keras lacks). The
 * kernel is in TensorFlow's layout [K..., filters/groups, inputChannels] — Keras's own
 * (K..., filters, inputChannels) when groups = 1 — so Keras weights load unchanged.
 *
 * Output size per spatial axis, as Keras computes it (keff = (k − 1)·dilation + 1):
 *   'valid': (in − 1)·s + keff + (outputPadding ?? max(keff, s) − keff)
 *   'same':  outputPadding absent: in·s; else (in − 1)·s + keff mod 2 + outputPadding
 * then the op runs as tf.nn.conv_transpose with that output shape and padding SAME/VALID.
 */
import type { BackendChoice } from '../backends/types.js';
import { activationBackwardOnDevice } from '../device-kernels.js';
import { DeviceTensor, toDevice, uploadInto, type ToDeviceOptions } from '../device-tensor.js';
import { describe as describeValue, rangeError, typeError } from '../errors.js';
import {
  conv1dTransposeBackward,
  conv2dTransposeBackward,
  conv3dTransposeBackward,
} from '../ops/backward.js';
import {
  conv1dTranspose,
  conv1dTransposeAsync,
  conv2dTranspose,
  conv2dTransposeAsync,
  conv3dTranspose,
  conv3dTransposeAsync,
  type ResultFor,
} from '../ops/tf.js';
import { checkEnum, checkInt, checkOptions, checkTensor, type CheckedTensor } from '../problem/index.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { activationBackward, checkActivation, defaultAlpha, type ActivationName } from './activations.js';
import { initialize, initializerConfig, type InitializerSpec } from './initializers.js';
import type { ApplyOptions, Layer, Parameter } from './layer.js';

/** Configuration of a transposed-convolution layer (Keras's names, camelCase). */
export interface ConvTransposeLayerConfig {
  /** Output channels. */
  filters: number;
  /** Kernel size: one int for every axis or one per axis. */
  kernelSize: number | readonly number[];
  /** Default 1. */
  strides?: number | readonly number[];
  /** Default 'valid', as Keras. */
  padding?: 'same' | 'valid';
  /** Extra output size per axis (less than the stride); default none (Keras's rule above). */
  outputPadding?: number | readonly number[] | null;
  /** Default 'channelsLast'. */
  dataFormat?: 'channelsLast' | 'channelsFirst';
  /** Default 1. */
  dilationRate?: number | readonly number[];
  /** Grouped convolution: divides filters and the input channels. Default 1. */
  groups?: number;
  /** Default 'linear'. Fused into the backend's kernel in the forward pass. */
  activation?: ActivationName;
  /** leakyRelu's slope (default 0.2) or elu's scale (default 1). */
  alpha?: number;
  /** Default true. */
  useBias?: boolean;
  /** Default 'glorotUniform' (Keras's default). */
  kernelInitializer?: InitializerSpec;
  /** Default 'zeros'. */
  biasInitializer?: InitializerSpec;
  /** Backend of every call (default 'auto'). Not serialized. */
  backend?: BackendChoice;
  /** Default: the class name and a counter. */
  name?: string;
}

const CONFIG_KEYS = [
  'filters', 'kernelSize', 'strides', 'padding', 'outputPadding', 'dataFormat', 'dilationRate', 'groups',
  'activation', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer', 'backend', 'name',
];

type Rank = 1 | 2 | 3;
const FORMATS: Record<Rank, readonly [string, string]> = { 1: ['NWC', 'NCW'], 2: ['NHWC', 'NCHW'], 3: ['NDHWC', 'NCDHW'] };
const FORWARD = { 1: conv1dTranspose, 2: conv2dTranspose, 3: conv3dTranspose } as const;
const FORWARD_ASYNC = { 1: conv1dTransposeAsync, 2: conv2dTransposeAsync, 3: conv3dTransposeAsync } as const;
const BACKWARD = { 1: conv1dTransposeBackward, 2: conv2dTransposeBackward, 3: conv3dTransposeBackward } as const;

let layerCounter = 0;

function perAxis(argument: string, value: unknown, rank: number, min: number, fallback: number): number[] {
  if (value === undefined) return new Array<number>(rank).fill(fallback);
  if (typeof value === 'number') return new Array<number>(rank).fill(checkInt(argument, value, min));
  if (!Array.isArray(value)) throw typeError(argument, `an integer or ${rank} integers`, value);
  if (value.length !== rank) throw rangeError(argument, `an integer or ${rank} integers`, value);
  return value.map((v: unknown, i) => checkInt(`${argument}[${i}]`, v, min));
}

/** Keras's output size along one axis (see the file comment). */
export function kerasOutputSize(
  input: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'same' | 'valid',
  outputPadding: number | undefined,
): number {
  const keff = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return (input - 1) * stride + keff + (outputPadding ?? Math.max(keff, stride) - keff);
  return outputPadding === undefined ? input * stride : (input - 1) * stride + (keff % 2) + outputPadding;
}

/** The transposed-convolution layer of any rank; use Conv1DTranspose, Conv2DTranspose or Conv3DTranspose. */
export abstract class ConvTranspose implements Layer {
  abstract readonly className: string;
  readonly name: string;
  readonly rank: Rank;
  readonly filters: number;
  readonly kernelSize: readonly number[];
  readonly strides: readonly number[];
  readonly padding: 'same' | 'valid';
  readonly outputPadding: readonly number[] | undefined;
  readonly dataFormat: 'channelsLast' | 'channelsFirst';
  readonly dilationRate: readonly number[];
  readonly groups: number;
  readonly activation: ActivationName;
  readonly alpha: number;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  backend: BackendChoice;
  #kernel: Parameter | undefined;
  #bias: Parameter | undefined;
  /** Where the weights live (or will, once built): undefined for the host. */
  #placement: Required<ToDeviceOptions> | undefined;
  /** The last forward pass's input as the ops take it: the checked host tensor, or the device tensor. */
  #lastInput: CheckedTensor | DeviceTensor | undefined;
  #lastOutput: Tensor | DeviceTensor | undefined;

  protected constructor(rank: Rank, config: ConvTransposeLayerConfig) {
    const c = checkOptions('config', config, CONFIG_KEYS);
    this.rank = rank;
    this.filters = checkInt('config.filters', c.filters, 1);
    if (c.kernelSize === undefined) throw typeError('config.kernelSize', `an integer or ${rank} integers`, c.kernelSize);
    this.kernelSize = perAxis('config.kernelSize', c.kernelSize, rank, 1, 1);
    this.strides = perAxis('config.strides', c.strides, rank, 1, 1);
    this.padding = c.padding === undefined ? 'valid' : checkEnum('config.padding', c.padding, ['same', 'valid'] as const);
    this.outputPadding = c.outputPadding === undefined || c.outputPadding === null ? undefined : perAxis('config.outputPadding', c.outputPadding, rank, 0, 0);
    this.dataFormat = c.dataFormat === undefined ? 'channelsLast' : checkEnum('config.dataFormat', c.dataFormat, ['channelsLast', 'channelsFirst'] as const);
    this.dilationRate = perAxis('config.dilationRate', c.dilationRate, rank, 1, 1);
    this.groups = c.groups === undefined ? 1 : checkInt('config.groups', c.groups, 1);
    if (this.filters % this.groups !== 0) throw rangeError('config.groups', `a divisor of config.filters (${this.filters})`, this.groups);
    this.outputPadding?.forEach((op, i) => {
      if (op >= this.strides[i]! && op >= this.dilationRate[i]!) {
        throw rangeError(`config.outputPadding[${i}]`, `smaller than the stride ${this.strides[i]} (or the dilation)`, op);
      }
    });
    this.activation = checkActivation('config.activation', c.activation);
    if (c.alpha !== undefined && (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha))) throw typeError('config.alpha', 'a finite number', c.alpha);
    this.alpha = (c.alpha as number | undefined) ?? defaultAlpha(this.activation);
    if (c.useBias !== undefined && typeof c.useBias !== 'boolean') throw typeError('config.useBias', 'a boolean', c.useBias);
    this.useBias = c.useBias ?? true;
    this.kernelInitializer = initializerConfig('config.kernelInitializer', c.kernelInitializer ?? 'glorotUniform');
    this.biasInitializer = initializerConfig('config.biasInitializer', c.biasInitializer ?? 'zeros');
    this.backend = (c.backend as BackendChoice | undefined) ?? 'auto';
    if (c.name !== undefined && typeof c.name !== 'string') throw typeError('config.name', 'a string', c.name);
    this.name = (c.name as string | undefined) ?? `${this.constructor.name.toLowerCase()}_${++layerCounter}`;
  }

  /** Whether the weights exist (after build() or the first apply()). */
  get built(): boolean {
    return this.#kernel !== undefined;
  }

  /** The kernel [K..., filters/groups, inputChannels] (after build). */
  get kernel(): Parameter {
    if (!this.#kernel) throw new Error(`layer '${this.name}' is not built yet: call build(inputShape) or apply(x) first`);
    return this.#kernel;
  }

  /** The bias [filters], or undefined with useBias false. */
  get bias(): Parameter | undefined {
    this.kernel; // eslint-disable-line @typescript-eslint/no-unused-expressions -- throws when not built
    return this.#bias;
  }

  #channelAxis(shapeLength: number): number {
    return this.dataFormat === 'channelsLast' ? shapeLength - 1 : 1;
  }

  /** Makes the weights for inputs of `inputShape` ([N, ...spatial, C] or [N, C, ...spatial]). */
  build(inputShape: readonly number[]): void {
    if (inputShape.length !== this.rank + 2) {
      throw rangeError('inputShape', `${this.rank + 2} dimensions (batch, ${this.rank} spatial, channels)`, inputShape);
    }
    const inChannels = inputShape[this.#channelAxis(inputShape.length)]!;
    if (inChannels % this.groups !== 0) {
      throw rangeError('input channels', `a multiple of config.groups (${this.groups})`, inChannels);
    }
    const shape = [...this.kernelSize, this.filters / this.groups, inChannels];
    const context = { kernelRank: this.rank, strides: this.strides, groups: this.groups };
    this.#kernel = { name: 'kernel', value: new Tensor(shape, initialize(this.kernelInitializer, shape, context)), grad: undefined };
    this.#bias = this.useBias
      ? { name: 'bias', value: new Tensor([this.filters], initialize(this.biasInitializer, [this.filters])), grad: undefined }
      : undefined;
    if (this.#placement) this.#moveWeights(this.#placement);
  }

  /** Where the weights live: `{ device, dtype }` after toDevice(), undefined on the host. */
  get placement(): Readonly<Required<ToDeviceOptions>> | undefined {
    return this.#placement;
  }

  /**
   * Moves the weights to a GPU (now, or when the layer is built): from then on the layer takes
   * and returns device tensors, computes on cuDNN, and keeps its gradients there, so optimizers
   * update it on the device. Optimizer state kept for the host weights does not carry over.
   */
  toDevice(options: ToDeviceOptions = {}): this {
    const placement = { device: options.device ?? 0, dtype: options.dtype ?? 'float32' };
    if (this.built) this.#moveWeights(placement);
    this.#placement = placement;
    return this;
  }

  /** Brings the weights back to the host (the inverse of toDevice). */
  toHost(): this {
    if (this.built && this.#placement) this.#replaceWeights((t) => t);
    this.#placement = undefined;
    return this;
  }

  #moveWeights(placement: Required<ToDeviceOptions>): void {
    this.#replaceWeights((t) => toDevice(t, placement));
  }

  /**
   * New parameter objects holding place(host copy) of each weight; device memory the old ones
   * held (values, gradients, the last output) is freed now rather than at garbage collection.
   */
  #replaceWeights(place: (host: Tensor) => Tensor | DeviceTensor): void {
    const host = this.weights();
    const old = [this.#kernel, this.#bias, this.#lastOutput];
    this.#kernel = { name: 'kernel', value: place(host.kernel!), grad: undefined };
    if (this.#bias) this.#bias = { name: 'bias', value: place(host.bias!), grad: undefined };
    this.#lastInput = undefined;
    this.#lastOutput = undefined;
    for (const item of old) {
      if (item instanceof DeviceTensor) item.dispose();
      else if (item && 'value' in item) for (const t of [item.value, item.grad]) if (t instanceof DeviceTensor) t.dispose();
    }
  }

  /** The output shape for an input shape, by Keras's rule. */
  computeOutputShape(inputShape: readonly number[]): number[] {
    const last = this.dataFormat === 'channelsLast';
    const spatial = last ? inputShape.slice(1, -1) : inputShape.slice(2);
    const out = spatial.map((n, i) =>
      kerasOutputSize(n, this.kernelSize[i]!, this.strides[i]!, this.dilationRate[i]!, this.padding, this.outputPadding?.[i]),
    );
    return last ? [inputShape[0]!, ...out, this.filters] : [inputShape[0]!, this.filters, ...out];
  }

  #call(x: TensorLike | DeviceTensor): { input: CheckedTensor | DeviceTensor; args: unknown[] } {
    const input = checkTensor('x', x, [this.rank + 2]);
    if (Boolean(input.device) !== Boolean(this.#placement)) {
      throw new TypeError(
        input.device
          ? `layer '${this.name}': x is a device tensor but the weights are on the host: call layer.toDevice() first`
          : `layer '${this.name}': the weights are on device ${this.#placement!.device}: pass x as a device tensor (toDevice(x))`,
      );
    }
    if (!this.built) this.build(input.shape);
    const options = {
      dataFormat: FORMATS[this.rank][this.dataFormat === 'channelsLast' ? 0 : 1],
      dilations: [...this.dilationRate],
      backend: this.backend,
      activation: this.activation,
      alpha: this.alpha,
      ...(this.#bias ? { bias: this.#bias.value } : {}),
    };
    // A checked host tensor is a TensorLike; a device tensor goes on as itself.
    const operand = (input.device as DeviceTensor | undefined) ?? input;
    const args = [operand, this.kernel.value, this.computeOutputShape(input.shape), [...this.strides], this.padding.toUpperCase(), options];
    return { input: operand, args };
  }

  apply<X extends TensorLike | DeviceTensor>(x: X, _options?: ApplyOptions): ResultFor<X> {
    const { input, args } = this.#call(x);
    const y = (FORWARD[this.rank] as (...a: unknown[]) => Tensor | DeviceTensor)(...args);
    this.#lastInput = input;
    this.#lastOutput = y;
    return y as ResultFor<X>;
  }

  async applyAsync<X extends TensorLike | DeviceTensor>(x: X, _options?: ApplyOptions): Promise<ResultFor<X>> {
    const { input, args } = this.#call(x);
    const y = await (FORWARD_ASYNC[this.rank] as (...a: unknown[]) => Promise<Tensor | DeviceTensor>)(...args);
    this.#lastInput = input;
    this.#lastOutput = y;
    return y as ResultFor<X>;
  }

  backward<D extends TensorLike | DeviceTensor>(dy: D): ResultFor<D> {
    const input = this.#lastInput;
    const y = this.#lastOutput;
    if (!input || !y) throw new Error(`layer '${this.name}': backward() needs a forward pass (apply) first`);
    const g = checkTensor('dy', dy);
    if (g.shape.length !== y.shape.length || g.shape.some((d, i) => d !== y.shape[i])) {
      throw new RangeError(`dy must have the last output's shape [${y.shape.join(', ')}], but got ${describeValue(g.shape)}`);
    }
    if (Boolean(g.device) !== y instanceof DeviceTensor) {
      throw new TypeError(`layer '${this.name}': dy must live where the last output does (${y instanceof DeviceTensor ? 'a device tensor' : 'on the host'})`);
    }
    // dv = dy · f′: on the device by a kernel (a temporary freed once queued work is done).
    let dv: TensorLike | DeviceTensor;
    let temporary: DeviceTensor | undefined;
    if (y instanceof DeviceTensor) {
      dv = this.activation === 'linear' ? (dy as DeviceTensor) : (temporary = activationBackwardOnDevice(this.activation, this.alpha, y, dy as DeviceTensor));
    } else {
      dv = { shape: y.shape, data: activationBackward(this.activation, this.alpha, y.data, g.data) };
    }
    const grads = (BACKWARD[this.rank] as (...a: unknown[]) => Record<'dX' | 'dW' | 'dB', Tensor | DeviceTensor>)(
      input,
      this.kernel.value,
      dv,
      y.shape,
      [...this.strides],
      this.padding.toUpperCase(),
      {
        dataFormat: FORMATS[this.rank][this.dataFormat === 'channelsLast' ? 0 : 1],
        dilations: [...this.dilationRate],
        backend: this.backend,
        gradients: this.#bias ? ['dX', 'dW', 'dB'] : ['dX', 'dW'],
      },
    );
    temporary?.dispose();
    for (const [p, grad] of [[this.kernel, grads.dW], [this.#bias, grads.dB]] as const) {
      if (!p) continue;
      if (p.grad instanceof DeviceTensor) p.grad.dispose(); // device memory back at once, not at GC
      p.grad = grad;
    }
    return grads.dX as ResultFor<D>;
  }

  parameters(): Parameter[] {
    if (!this.#kernel) return [];
    return this.#bias ? [this.#kernel, this.#bias] : [this.#kernel];
  }

  /** The weights by name, as host tensors (read back from the device for a device layer). */
  weights(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const p of this.parameters()) out[p.name] = p.value instanceof DeviceTensor ? p.value.toHostSync() : p.value;
    return out;
  }

  setWeights(weights: Record<string, TensorLike>): void {
    for (const [name, value] of Object.entries(weights)) {
      const target = this.parameters().find((p) => p.name === name);
      if (!target) throw rangeError(`weights key`, `one of ${this.parameters().map((p) => `'${p.name}'`).join(', ')} (is the layer built?)`, name);
      const t = checkTensor(`weights.${name}`, value);
      if (t.shape.length !== target.value.shape.length || t.shape.some((d, i) => d !== target.value.shape[i])) {
        throw new RangeError(`weights.${name} must have shape [${target.value.shape.join(', ')}], but got [${t.shape.join(', ')}]`);
      }
      if (target.value instanceof DeviceTensor) uploadInto(target.value, t.data);
      else target.value.data.set(t.data);
    }
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      outputPadding: this.outputPadding ? [...this.outputPadding] : null,
      dataFormat: this.dataFormat,
      dilationRate: [...this.dilationRate],
      groups: this.groups,
      activation: this.activation,
      alpha: this.alpha,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
  }
}

/** Keras's Conv1DTranspose: input [N, W, C] (channelsLast) or [N, C, W]. */
export class Conv1DTranspose extends ConvTranspose {
  readonly className = 'Conv1DTranspose';
  constructor(config: ConvTransposeLayerConfig) {
    super(1, config);
  }
}

/** Keras's Conv2DTranspose: input [N, H, W, C] (channelsLast) or [N, C, H, W]. */
export class Conv2DTranspose extends ConvTranspose {
  readonly className = 'Conv2DTranspose';
  constructor(config: ConvTransposeLayerConfig) {
    super(2, config);
  }
}

/** Keras's Conv3DTranspose: input [N, D, H, W, C] (channelsLast) or [N, C, D, H, W]. */
export class Conv3DTranspose extends ConvTranspose {
  readonly className = 'Conv3DTranspose';
  constructor(config: ConvTransposeLayerConfig) {
    super(3, config);
  }
}
