/**
 * Weight initializers with Keras's names and formulas, each taking a seed (same seed, same values).
 * Fans are computed from the kernel in its TensorFlow layout [K..., outChannels/groups, inChannels]
 * the way Keras computes them for its Conv*Transpose kernels (K..., filters, inputChannels):
 * fanIn = receptive field · outChannels/groups, fanOut = receptive field · inChannels.
 *
 * Two initializers exist for transposed convolutions in particular:
 * - `bilinear`: the bilinear upsampling kernel on the channel "diagonal" (output channel m of
 *   group g reads input channel g·Cg + m mod Cg), so a fresh layer with kernel 2s − s mod 2,
 *   stride s and 'same' padding upsamples its input bilinearly;
 * - `icnr`: a kernel whose s^d sub-kernels (one per output phase) are equal copies of one random
 *   kernel (from a base initializer), so a fresh layer is nearest-neighbour upsampling of a
 *   convolution and makes no checkerboard artifacts (Aitken et al., 2017).
 */
import { describe as describeValue, rangeError, typeError } from '../errors.js';
import { freshSeed, SeededRandom } from './random.js';

export const INITIALIZER_NAMES = [
  'zeros',
  'ones',
  'randomNormal',
  'randomUniform',
  'truncatedNormal',
  'glorotNormal',
  'glorotUniform',
  'heNormal',
  'heUniform',
  'bilinear',
  'icnr',
] as const;
export type InitializerName = (typeof INITIALIZER_NAMES)[number];

/** An initializer's configuration: its name plus the parameters it takes. */
export interface InitializerConfig {
  name: InitializerName;
  /** Same seed, same values. Default: a fresh random seed. */
  seed?: number;
  /** randomNormal / truncatedNormal: mean (default 0). */
  mean?: number;
  /** randomNormal / truncatedNormal: standard deviation (default 0.05). */
  stddev?: number;
  /** randomUniform: bounds (default ±0.05). */
  minval?: number;
  maxval?: number;
  /** icnr: the initializer of the shared sub-kernel (default glorotUniform). */
  base?: InitializerSpec;
}

/** A name (default parameters) or a configuration. */
export type InitializerSpec = InitializerName | InitializerConfig;

/** What an initializer knows about the weight it fills. */
export interface InitializerContext {
  /** Spatial rank of a convolution kernel (shape = [K..., Mg, C]); 0 for a vector. */
  readonly kernelRank: number;
  /** A transposed convolution's strides (icnr). */
  readonly strides?: readonly number[];
  /** Group count of a grouped kernel (bilinear). */
  readonly groups?: number;
}

/** Keras's fans for a shape: vectors have fanIn = fanOut = length; kernels as described above. */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** Normalizes a spec, refusing unknown names and parameters. */
export function initializerConfig(argument: string, spec: unknown): InitializerConfig {
  const config: Record<string, unknown> = typeof spec === 'string' ? { name: spec } : (spec as Record<string, unknown>);
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw typeError(argument, `an initializer name or { name, seed?, ... }`, spec);
  }
  const name = config.name;
  if (typeof name !== 'string' || !(INITIALIZER_NAMES as readonly string[]).includes(name)) {
    const error = typeof name === 'string' ? rangeError : typeError;
    throw error(`${argument}${typeof spec === 'string' ? '' : '.name'}`, `one of ${INITIALIZER_NAMES.map((n) => `'${n}'`).join(', ')}`, name);
  }
  for (const key of Object.keys(config)) {
    if (!['name', 'seed', 'mean', 'stddev', 'minval', 'maxval', 'base'].includes(key)) {
      throw new TypeError(`${argument} has an unknown key ${describeValue(key)}`);
    }
    if (key !== 'name' && key !== 'base' && config[key] !== undefined && (typeof config[key] !== 'number' || !Number.isFinite(config[key]))) {
      throw typeError(`${argument}.${key}`, 'a finite number', config[key]);
    }
  }
  if (config.seed !== undefined && (!Number.isInteger(config.seed) || (config.seed as number) < 0)) {
    throw rangeError(`${argument}.seed`, 'a non-negative integer', config.seed);
  }
  const base = config.base === undefined ? undefined : initializerConfig(`${argument}.base`, config.base);
  return { ...(config as unknown as InitializerConfig), ...(base ? { base } : {}) };
}

/**
 * Fills a new array of `shape` as the initializer says. Without a seed in the config a fresh one
 * is drawn (not reproducible); give one for reproducible weights.
 */
export function initialize(spec: InitializerSpec, shape: readonly number[], context: InitializerContext = { kernelRank: 0 }): Float32Array {
  const config = initializerConfig('initializer', spec);
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  const random = new SeededRandom(config.seed ?? freshSeed());
  const { fanIn, fanOut } = computeFans(shape);
  const fill = (f: () => number) => {
    for (let i = 0; i < size; i++) out[i] = f();
  };
  // Keras divides the variance-scaling truncated normal's stddev by the stddev of a standard
  // normal truncated at ±2, so the drawn values have the intended variance.
  const TRUNCATION = 0.8796256610342398;
  switch (config.name) {
    case 'zeros':
      return out;
    case 'ones':
      out.fill(1);
      return out;
    case 'randomNormal': {
      const [mean, stddev] = [config.mean ?? 0, config.stddev ?? 0.05];
      fill(() => mean + stddev * random.normal());
      return out;
    }
    case 'truncatedNormal': {
      const [mean, stddev] = [config.mean ?? 0, config.stddev ?? 0.05];
      fill(() => mean + stddev * random.truncatedNormal());
      return out;
    }
    case 'randomUniform': {
      const [lo, hi] = [config.minval ?? -0.05, config.maxval ?? 0.05];
      fill(() => lo + (hi - lo) * random.uniform());
      return out;
    }
    case 'glorotUniform': {
      const limit = Math.sqrt(6 / Math.max(1, fanIn + fanOut));
      fill(() => limit * (2 * random.uniform() - 1));
      return out;
    }
    case 'glorotNormal': {
      const stddev = Math.sqrt(2 / Math.max(1, fanIn + fanOut)) / TRUNCATION;
      fill(() => stddev * random.truncatedNormal());
      return out;
    }
    case 'heUniform': {
      const limit = Math.sqrt(6 / Math.max(1, fanIn));
      fill(() => limit * (2 * random.uniform() - 1));
      return out;
    }
    case 'heNormal': {
      const stddev = Math.sqrt(2 / Math.max(1, fanIn)) / TRUNCATION;
      fill(() => stddev * random.truncatedNormal());
      return out;
    }
    case 'bilinear':
      return bilinearKernel(shape, context.groups ?? 1);
    case 'icnr':
      return icnrKernel(shape, context, config);
  }
}

/** The 1-D bilinear interpolation weights of a kernel of `size` taps (size 2s − s mod 2 for stride s). */
export function bilinearWeights(size: number): Float64Array {
  const factor = Math.ceil(size / 2);
  const center = size % 2 === 1 ? factor - 1 : factor - 0.5;
  const w = new Float64Array(size);
  for (let i = 0; i < size; i++) w[i] = 1 - Math.abs(i - center) / factor;
  return w;
}

/**
 * A bilinear upsampling kernel in TensorFlow's layout [K..., M/groups, C]: the product of the 1-D
 * bilinear weights along each spatial axis for each (output channel m of group g, input channel
 * g·Cg + m mod Cg) pair, zero elsewhere. With stride s, kernel 2s − s mod 2 and 'same' padding a
 * transposed convolution with this kernel upsamples each channel bilinearly (as
 * `tf.image.resize(..., 'bilinear')` away from the borders).
 * @param shape `[K..., M/groups, C]`, at least one spatial axis.
 * @param groups the layer's group count (default 1).
 */
export function bilinearKernel(shape: readonly number[], groups = 1): Float32Array {
  if (shape.length < 3) throw rangeError('shape', 'a kernel shape [K..., M/groups, C] with at least one spatial axis', shape);
  const rank = shape.length - 2;
  const kernel = shape.slice(0, rank);
  const Mg = shape[rank]!;
  const C = shape[rank + 1]!;
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) throw rangeError('groups', `a divisor of the input channels ${C}`, groups);
  const Cg = C / groups;
  const axes = kernel.map((k) => bilinearWeights(k));
  const taps = kernel.reduce((a, b) => a * b, 1);
  const out = new Float32Array(taps * Mg * C);
  for (let t = 0; t < taps; t++) {
    let weight = 1;
    let rest = t;
    for (let a = rank - 1; a >= 0; a--) {
      weight *= axes[a]![rest % kernel[a]!]!;
      rest = Math.floor(rest / kernel[a]!);
    }
    for (let g = 0; g < groups; g++) {
      for (let m = 0; m < Mg; m++) out[(t * Mg + m) * C + g * Cg + (m % Cg)] = weight;
    }
  }
  return out;
}

/** ICNR: one base kernel of ⌈K/s⌉ taps per axis, repeated so every output phase sees it. */
function icnrKernel(shape: readonly number[], context: InitializerContext, config: InitializerConfig): Float32Array {
  const rank = context.kernelRank;
  if (rank < 1) throw rangeError('icnr', 'a convolution kernel (it needs the layer strides)', shape);
  const kernel = shape.slice(0, rank);
  const strides = context.strides ?? kernel.map(() => 1);
  const inner = shape.slice(rank).reduce((a, b) => a * b, 1);
  const baseKernel = kernel.map((k, i) => Math.ceil(k / strides[i]!));
  const baseSpec = config.base ?? { name: 'glorotUniform' };
  const baseConfig = initializerConfig('icnr.base', baseSpec);
  const base = initialize({ ...baseConfig, seed: baseConfig.seed ?? config.seed ?? freshSeed() }, [...baseKernel, ...shape.slice(rank)], context);
  const taps = kernel.reduce((a, b) => a * b, 1);
  const out = new Float32Array(taps * inner);
  for (let t = 0; t < taps; t++) {
    let rest = t;
    let baseTap = 0;
    let scale = 1;
    for (let a = rank - 1; a >= 0; a--) {
      const k = rest % kernel[a]!;
      rest = Math.floor(rest / kernel[a]!);
      baseTap += Math.floor(k / strides[a]!) * scale;
      scale *= baseKernel[a]!;
    }
    out.set(base.subarray(baseTap * inner, (baseTap + 1) * inner), t * inner);
  }
  return out;
}
