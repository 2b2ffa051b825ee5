/**
 * Keras's BatchNormalization over one channel axis. Training mode normalizes with the batch's mean
 * and (biased) variance and moves the moving statistics toward them:
 *   moving = moving·momentum + batch·(1 − momentum);
 * inference mode uses the moving statistics. y = γ·(x − μ)/√(σ² + ε) + β.
 * After a transposed convolution in inference, `foldBatchNorm` (fold.ts) merges the two.
 *
 * After toDevice(), the layer computes on the GPU (native/cudnn/kernels/training.cu) with the
 * same semantics; its γ, β and moving statistics stay float32 there whatever the data's dtype.
 */
import { batchNormBackwardOnDevice, batchNormOnDevice, type BatchNormSaved } from '../device-kernels.js';
import { DeviceTensor, toDevice, uploadInto, type ToDeviceOptions } from '../device-tensor.js';
import { describe as describeValue, rangeError, typeError } from '../errors.js';
import type { ResultFor } from '../ops/tf.js';
import { checkInt, checkOptions, checkTensor, type CheckedTensor } from '../problem/index.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { initialize, initializerConfig, type InitializerSpec } from './initializers.js';
import type { ApplyOptions, Layer, Parameter } from './layer.js';

export interface BatchNormalizationConfig {
  /** The channel axis: -1 (default, channels last) or 1 (channels first), or any axis. */
  axis?: number;
  /** Default 0.99. */
  momentum?: number;
  /** Default 1e-3. */
  epsilon?: number;
  /** Learn β (default true). */
  center?: boolean;
  /** Learn γ (default true). */
  scale?: boolean;
  betaInitializer?: InitializerSpec;
  gammaInitializer?: InitializerSpec;
  movingMeanInitializer?: InitializerSpec;
  movingVarianceInitializer?: InitializerSpec;
  name?: string;
}

const KEYS = ['axis', 'momentum', 'epsilon', 'center', 'scale', 'betaInitializer', 'gammaInitializer', 'movingMeanInitializer', 'movingVarianceInitializer', 'name'];
let counter = 0;

/** The values of one channel lie at `outer·(C·inner) + c·inner + j`. */
interface Geometry {
  outer: number;
  channels: number;
  inner: number;
}

export class BatchNormalization implements Layer {
  readonly className = 'BatchNormalization';
  readonly name: string;
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly initializers: Record<'beta' | 'gamma' | 'movingMean' | 'movingVariance', InitializerSpec>;
  #gamma: Parameter | undefined;
  #beta: Parameter | undefined;
  #movingMean: Tensor | DeviceTensor | undefined;
  #movingVariance: Tensor | DeviceTensor | undefined;
  /** The device the per-channel tensors live on (after toDevice()), or undefined for the host. */
  #placement: number | undefined;
  /** What backward needs from the last forward pass. */
  #saved:
    | { geometry: Geometry; normalized: Float32Array; invStd: Float64Array; shape: number[]; training: boolean }
    | { geometry: Geometry; device: BatchNormSaved; shape: number[]; training: boolean }
    | undefined;

  constructor(config: BatchNormalizationConfig = {}) {
    const c = checkOptions('config', config, KEYS);
    this.axis = c.axis === undefined ? -1 : (c.axis as number);
    if (!Number.isInteger(this.axis)) throw typeError('config.axis', 'an integer', c.axis);
    const num = (key: string, fallback: number, ok: (v: number) => boolean, expected: string) => {
      const v = c[key];
      if (v === undefined) return fallback;
      if (typeof v !== 'number') throw typeError(`config.${key}`, expected, v);
      if (!ok(v)) throw rangeError(`config.${key}`, expected, v);
      return v;
    };
    this.momentum = num('momentum', 0.99, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.epsilon = num('epsilon', 1e-3, (v) => v > 0 && Number.isFinite(v), 'a positive number');
    for (const key of ['center', 'scale']) if (c[key] !== undefined && typeof c[key] !== 'boolean') throw typeError(`config.${key}`, 'a boolean', c[key]);
    this.center = (c.center as boolean | undefined) ?? true;
    this.scale = (c.scale as boolean | undefined) ?? true;
    this.initializers = {
      beta: initializerConfig('config.betaInitializer', c.betaInitializer ?? 'zeros'),
      gamma: initializerConfig('config.gammaInitializer', c.gammaInitializer ?? 'ones'),
      movingMean: initializerConfig('config.movingMeanInitializer', c.movingMeanInitializer ?? 'zeros'),
      movingVariance: initializerConfig('config.movingVarianceInitializer', c.movingVarianceInitializer ?? 'ones'),
    };
    if (c.name !== undefined && typeof c.name !== 'string') throw typeError('config.name', 'a string', c.name);
    this.name = (c.name as string | undefined) ?? `batch_normalization_${++counter}`;
  }

  get built(): boolean {
    return this.#movingMean !== undefined;
  }

  #geometry(shape: readonly number[]): Geometry {
    const axis = this.axis < 0 ? shape.length + this.axis : this.axis;
    if (axis < 0 || axis >= shape.length) throw rangeError('config.axis', `an axis of the input (rank ${shape.length})`, this.axis);
    const prod = (a: readonly number[]) => a.reduce((x, y) => x * y, 1);
    return { outer: prod(shape.slice(0, axis)), channels: shape[axis]!, inner: prod(shape.slice(axis + 1)) };
  }

  build(inputShape: readonly number[]): void {
    const C = this.#geometry(inputShape).channels;
    checkInt('channels', C, 1);
    const make = (spec: InitializerSpec) => new Tensor([C], initialize(spec, [C]));
    this.#gamma = this.scale ? { name: 'gamma', value: make(this.initializers.gamma), grad: undefined } : undefined;
    this.#beta = this.center ? { name: 'beta', value: make(this.initializers.beta), grad: undefined } : undefined;
    this.#movingMean = make(this.initializers.movingMean);
    this.#movingVariance = make(this.initializers.movingVariance);
    if (this.#placement !== undefined) this.#moveTo(this.#placement);
  }

  /**
   * Moves γ, β and the moving statistics to a GPU (now, or when built); from then on the layer
   * takes and returns device tensors. Only `options.device` matters: the per-channel tensors stay
   * float32 (the data keeps its own dtype).
   */
  toDevice(options: ToDeviceOptions = {}): this {
    const device = options.device ?? 0;
    if (this.built) this.#moveTo(device);
    this.#placement = device;
    return this;
  }

  /** Brings the per-channel tensors back to the host (the inverse of toDevice). */
  toHost(): this {
    if (this.built && this.#placement !== undefined) this.#replaceWeights((t) => t);
    this.#placement = undefined;
    return this;
  }

  #moveTo(device: number): void {
    this.#replaceWeights((t) => toDevice(t, { device, dtype: 'float32' }));
  }

  /** New tensors holding place(host copy) of each weight; the old device memory is freed now. */
  #replaceWeights(place: (host: Tensor) => Tensor | DeviceTensor): void {
    const host = this.weights();
    const old = [this.#gamma?.value, this.#gamma?.grad, this.#beta?.value, this.#beta?.grad, this.#movingMean, this.#movingVariance];
    if (this.#gamma) this.#gamma = { name: 'gamma', value: place(host.gamma!), grad: undefined };
    if (this.#beta) this.#beta = { name: 'beta', value: place(host.beta!), grad: undefined };
    this.#movingMean = place(host.movingMean!);
    this.#movingVariance = place(host.movingVariance!);
    this.#releaseSaved();
    this.#saved = undefined;
    for (const t of old) if (t instanceof DeviceTensor) t.dispose();
  }

  /**
   * Per-channel γ (ones without scale), β (zeros without center) and the moving statistics: the
   * layer's own arrays on the host, copies read back for a device layer.
   */
  statistics(): { gamma: Float32Array; beta: Float32Array; movingMean: Float32Array; movingVariance: Float32Array } {
    if (!this.#movingMean || !this.#movingVariance) throw new Error(`layer '${this.name}' is not built yet`);
    const data = (t: Tensor | DeviceTensor) => (t instanceof DeviceTensor ? t.toHostSync().data : t.data);
    const C = this.#movingMean.shape[0]!;
    return {
      gamma: this.#gamma ? data(this.#gamma.value) : new Float32Array(C).fill(1),
      beta: this.#beta ? data(this.#beta.value) : new Float32Array(C),
      movingMean: data(this.#movingMean),
      movingVariance: data(this.#movingVariance),
    };
  }

  apply<X extends TensorLike | DeviceTensor>(x: X, options: ApplyOptions = {}): ResultFor<X> {
    const input = checkTensor('x', x);
    if (Boolean(input.device) !== (this.#placement !== undefined)) {
      throw new TypeError(
        input.device
          ? `layer '${this.name}': x is a device tensor but the layer is on the host: call layer.toDevice() first`
          : `layer '${this.name}': the layer is on device ${this.#placement}: pass x as a device tensor (toDevice(x))`,
      );
    }
    if (!this.built) this.build(input.shape);
    if (input.device) return this.#applyOnDevice(input.device as DeviceTensor, options.training === true) as ResultFor<X>;
    const geometry = this.#geometry(input.shape);
    const { gamma, beta, movingMean, movingVariance } = this.statistics();
    if (geometry.channels !== movingMean.length) {
      throw new RangeError(`x must have ${movingMean.length} channels along axis ${this.axis}, but got shape ${describeValue(input.shape)}`);
    }
    const training = options.training === true;
    const { mean, variance } = training ? this.#batchMoments(input, geometry) : { mean: Float64Array.from(movingMean), variance: Float64Array.from(movingVariance) };
    const C = geometry.channels;
    const invStd = new Float64Array(C);
    for (let c = 0; c < C; c++) invStd[c] = 1 / Math.sqrt(variance[c]! + this.epsilon);
    const normalized = new Float32Array(input.data.length);
    const out = new Float32Array(input.data.length);
    this.#forEach(geometry, (i, c) => {
      const n = (input.data[i]! - mean[c]!) * invStd[c]!;
      normalized[i] = n;
      out[i] = gamma[c]! * n + beta[c]!;
    });
    if (training) {
      for (let c = 0; c < C; c++) {
        movingMean[c] = movingMean[c]! * this.momentum + mean[c]! * (1 - this.momentum);
        movingVariance[c] = movingVariance[c]! * this.momentum + variance[c]! * (1 - this.momentum);
      }
    }
    this.#saved = { geometry, normalized, invStd, shape: input.shape, training };
    return new Tensor(input.shape, out) as ResultFor<X>;
  }

  #applyOnDevice(x: DeviceTensor, training: boolean): DeviceTensor {
    const geometry = this.#geometry(x.shape);
    const channels = this.#movingMean!.shape[0]!;
    if (geometry.channels !== channels) {
      throw new RangeError(`x must have ${channels} channels along axis ${this.axis}, but got shape ${describeValue(x.shape)}`);
    }
    if (training && geometry.outer * geometry.inner === 0) throw rangeError('x', 'at least one value per channel in training mode', x.shape);
    const state = {
      gamma: this.#gamma?.value as DeviceTensor | undefined,
      beta: this.#beta?.value as DeviceTensor | undefined,
      movingMean: this.#movingMean as DeviceTensor,
      movingVariance: this.#movingVariance as DeviceTensor,
    };
    const { y, saved } = batchNormOnDevice(x, geometry, state, this.momentum, this.epsilon, training);
    this.#releaseSaved();
    this.#saved = { geometry, device: saved, shape: [...x.shape], training };
    return y;
  }

  /** Frees the last device pass's saved tensors now rather than at garbage collection. */
  #releaseSaved(): void {
    if (this.#saved && 'device' in this.#saved) {
      this.#saved.device.normalized.dispose();
      this.#saved.device.invStd.dispose();
    }
  }

  async applyAsync<X extends TensorLike | DeviceTensor>(x: X, options?: ApplyOptions): Promise<ResultFor<X>> {
    return this.apply(x, options);
  }

  #forEach(g: Geometry, body: (index: number, channel: number) => void): void {
    for (let o = 0; o < g.outer; o++)
      for (let c = 0; c < g.channels; c++) {
        const base = (o * g.channels + c) * g.inner;
        for (let j = 0; j < g.inner; j++) body(base + j, c);
      }
  }

  #batchMoments(x: CheckedTensor, g: Geometry): { mean: Float64Array; variance: Float64Array } {
    const count = g.outer * g.inner;
    if (count === 0) throw rangeError('x', 'at least one value per channel in training mode', x.shape);
    const mean = new Float64Array(g.channels);
    const variance = new Float64Array(g.channels);
    this.#forEach(g, (i, c) => (mean[c]! += x.data[i]!));
    for (let c = 0; c < g.channels; c++) mean[c]! /= count;
    this.#forEach(g, (i, c) => {
      const d = x.data[i]! - mean[c]!;
      variance[c]! += d * d;
    });
    for (let c = 0; c < g.channels; c++) variance[c]! /= count;
    return { mean, variance };
  }

  backward<D extends TensorLike | DeviceTensor>(dy: D): ResultFor<D> {
    const saved = this.#saved;
    if (!saved) throw new Error(`layer '${this.name}': backward() needs a forward pass (apply) first`);
    const g = checkTensor('dy', dy);
    if (g.shape.length !== saved.shape.length || g.shape.some((d, i) => d !== saved.shape[i])) {
      throw new RangeError(`dy must have the last output's shape [${saved.shape.join(', ')}], but got ${describeValue(g.shape)}`);
    }
    if (Boolean(g.device) !== 'device' in saved) {
      throw new TypeError(`layer '${this.name}': dy must live where the last output does (${'device' in saved ? 'a device tensor' : 'on the host'})`);
    }
    if ('device' in saved) {
      const result = batchNormBackwardOnDevice(
        g.device as DeviceTensor,
        saved.geometry,
        saved.device,
        this.#gamma?.value as DeviceTensor | undefined,
        { dGamma: this.#gamma !== undefined, dBeta: this.#beta !== undefined },
        saved.training,
      );
      for (const [p, grad] of [[this.#gamma, result.dGamma], [this.#beta, result.dBeta]] as const) {
        if (!p) continue;
        if (p.grad instanceof DeviceTensor) p.grad.dispose();
        p.grad = grad;
      }
      return result.dx as ResultFor<D>;
    }
    const { geometry, normalized, invStd } = saved;
    const { gamma } = this.statistics();
    const C = geometry.channels;
    const dBeta = new Float64Array(C);
    const dGamma = new Float64Array(C);
    this.#forEach(geometry, (i, c) => {
      dBeta[c]! += g.data[i]!;
      dGamma[c]! += g.data[i]! * normalized[i]!;
    });
    const dx = new Float32Array(g.data.length);
    if (saved.training) {
      // The batch statistics depend on x too: dx = γ/σ · (dy − mean(dy) − x̂·mean(dy·x̂)).
      const count = geometry.outer * geometry.inner;
      this.#forEach(geometry, (i, c) => {
        dx[i] = gamma[c]! * invStd[c]! * (g.data[i]! - dBeta[c]! / count - (normalized[i]! * dGamma[c]!) / count);
      });
    } else {
      this.#forEach(geometry, (i, c) => (dx[i] = gamma[c]! * invStd[c]! * g.data[i]!));
    }
    if (this.#gamma) this.#gamma.grad = new Tensor([C], Float32Array.from(dGamma));
    if (this.#beta) this.#beta.grad = new Tensor([C], Float32Array.from(dBeta));
    return new Tensor(saved.shape, dx) as ResultFor<D>;
  }

  parameters(): Parameter[] {
    return [this.#gamma, this.#beta].filter((p): p is Parameter => p !== undefined);
  }

  /** Every weight by name as a host tensor (the layer's own on the host, copies for a device layer). */
  weights(): Record<string, Tensor> {
    if (!this.#movingMean || !this.#movingVariance) return {};
    const host = (t: Tensor | DeviceTensor) => (t instanceof DeviceTensor ? t.toHostSync() : t);
    const out: Record<string, Tensor> = {};
    for (const p of this.parameters()) out[p.name] = host(p.value);
    out.movingMean = host(this.#movingMean);
    out.movingVariance = host(this.#movingVariance);
    return out;
  }

  #own(): Record<string, Tensor | DeviceTensor> {
    if (!this.#movingMean || !this.#movingVariance) return {};
    const out: Record<string, Tensor | DeviceTensor> = {};
    for (const p of this.parameters()) out[p.name] = p.value;
    out.movingMean = this.#movingMean;
    out.movingVariance = this.#movingVariance;
    return out;
  }

  setWeights(weights: Record<string, TensorLike>): void {
    const own = this.#own();
    for (const [name, value] of Object.entries(weights)) {
      const target = own[name];
      if (!target) throw rangeError('weights key', `one of ${Object.keys(own).map((k) => `'${k}'`).join(', ')} (is the layer built?)`, name);
      const t = checkTensor(`weights.${name}`, value, [1]);
      if (t.shape[0] !== target.shape[0]) throw new RangeError(`weights.${name} must have shape [${target.shape[0]}], but got [${t.shape.join(', ')}]`);
      if (target instanceof DeviceTensor) uploadInto(target, t.data);
      else target.data.set(t.data);
    }
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.initializers.beta,
      gammaInitializer: this.initializers.gamma,
      movingMeanInitializer: this.initializers.movingMean,
      movingVarianceInitializer: this.initializers.movingVariance,
    };
  }
}
