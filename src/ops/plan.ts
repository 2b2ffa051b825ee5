/**
 * Plans: a transposed convolution fixed to one input shape and one set of weights, for calls that
 * repeat (a layer's forward pass, server-side inference). The backend's primitive is built and the
 * weights are taken over (reordered into the backend's layout, once) when the plan is made; each
 * run then only binds the input and the output. The caller promises not to need later changes to
 * the filters it passed: the plan keeps its own packed copy.
 */
import { selectBackend } from '../backends/registry.js';
import type { BackendName, PackedWeights } from '../backends/types.js';
import { cudnnAddon } from '../backends/cudnn.js';
import type { CudnnPackedHandle } from '../backends/native.js';
import { DeviceTensor, uploadInto } from '../device-tensor.js';
import { checkOptions, checkTensor, overlaps, ShapeOnly, type ConvTransposeProblem, type TfPadding } from '../problem/index.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { checkOut, checkOutDevice, degenerate, fillDegenerate, withOpName, type PreparedCall } from './execute.js';
import { checkDeviceOperands } from './device.js';
import { prepareOnnx, type ConvTransposeOptions } from './onnx.js';
import { prepareTf, type Conv1DTransposeOptions, type Conv2DTransposeOptions, type Conv3DTransposeOptions, type TfStrides } from './tf.js';

/** Where a planned run writes. */
export interface PlanRunOptions {
  /** A preallocated output of the plan's output shape (a device tensor for a device input). */
  out?: TensorLike | DeviceTensor;
  /** Device inputs (cuDNN): false returns once the work is queued; true (default) waits for it. */
  wait?: boolean;
}

export class ConvTransposePlan {
  /** The normalized problem the plan computes. */
  readonly problem: ConvTransposeProblem;
  /** The backend it runs on. */
  readonly backend: BackendName;
  /** The input shape it was made for. */
  readonly inputShape: readonly number[];
  /** The shape of its results. */
  readonly outputShape: readonly number[];
  readonly #op: string;
  readonly #bias: Float32Array | undefined;
  #packed: PackedWeights | undefined;

  /** @internal Use the plan functions (`conv2dTransposePlan`, `convTransposePlan`, ...). */
  constructor(op: string, call: PreparedCall, backend: unknown) {
    const chosen = selectBackend(backend);
    this.#op = op;
    this.problem = call.problem;
    this.backend = chosen.name;
    this.inputShape = Object.freeze([...call.input.shape]);
    this.outputShape = Object.freeze([...call.problem.outputShape]);
    this.#bias = call.bias?.data.slice();
    if (chosen.name !== 'cudnn' && (call.filters.device || call.bias?.device)) {
      throw new TypeError(`device filters or bias need backend 'cudnn', but this plan runs on '${chosen.name}'`);
    }
    if (call.filters.device || call.bias?.device) {
      checkDeviceOperands([
        [call.filters, 'filters'],
        [call.bias, 'bias'],
      ]);
    }
    const where = call.filters.device ?? call.bias?.device;
    this.#dtype = where?.dtype ?? (call.problem.math === 'bf16' ? 'bfloat16' : 'float32');
    this.#device = where?.device ?? call.backendOptions.device ?? 0;
    // Device filters and bias are passed as their handles (only cuDNN gets here with them).
    const weights = (t: typeof call.filters | undefined, name: string) => (t?.device ? ((t.device as DeviceTensor).handle(name) as never) : t?.data);
    this.#packed = degenerate(call.problem)
      ? undefined
      : chosen.pack(call.problem, weights(call.filters, 'filters') as Float32Array, weights(call.bias, 'bias'), {
          ...call.backendOptions,
          ...(where ? { device: where.device } : {}),
        });
  }

  /** @internal The backend's own handle of the packed weights (benchmarks time it natively). */
  nativeHandle(): unknown {
    return this.#live()?.native;
  }

  readonly #dtype: DeviceTensor['dtype'];
  readonly #device: number;

  /** Runs the plan on a device input (cuDNN plans only), into a device output. */
  #runDevice(input: DeviceTensor, opts: Record<string, unknown>, mode: 'sync' | 'enqueue' | 'async'): DeviceTensor | Promise<DeviceTensor> {
    if (this.backend !== 'cudnn') throw new TypeError(`input is a device tensor, but this plan runs on '${this.backend}' (device tensors need 'cudnn')`);
    if (input.dtype !== this.#dtype || input.device !== this.#device) {
      throw new TypeError(`input holds ${input.dtype} on device ${input.device}, but this plan computes ${this.#dtype} on device ${this.#device}`);
    }
    const outRef = checkOutDevice(this.problem, opts.out, 'options.out', [checkTensor('input', input)]);
    const out = (outRef as DeviceTensor | undefined) ?? DeviceTensor.empty(this.outputShape, this.#dtype, this.#device);
    const packed = this.#live();
    if (!packed) {
      const values = new Float32Array(out.size);
      fillDegenerate(this.problem, this.#bias, values);
      uploadInto(out, values);
      return mode === 'async' ? Promise.resolve(out) : out;
    }
    const result = cudnnAddon().cudnnRunPacked(packed.native as CudnnPackedHandle, input.handle('input'), out.handle('options.out'), mode);
    return mode === 'async' ? (result as Promise<unknown>).then(() => out) : out;
  }

  #deviceMode(opts: Record<string, unknown>): 'sync' | 'enqueue' {
    if (opts.wait !== undefined && typeof opts.wait !== 'boolean') throw new TypeError(`options.wait must be a boolean, but got ${typeof opts.wait}`);
    return opts.wait === false ? 'enqueue' : 'sync';
  }

  #checkInput(input: unknown): Float32Array {
    const x = checkTensor('input', input);
    if (x.shape.length !== this.inputShape.length || x.shape.some((d, i) => d !== this.inputShape[i])) {
      throw new RangeError(`input must have the plan's input shape [${this.inputShape.join(', ')}], but got [${x.shape.join(', ')}]`);
    }
    return x.data;
  }

  #live(): PackedWeights | undefined {
    if (this.#disposed) throw new Error('this plan was disposed');
    return this.#packed;
  }

  #disposed = false;

  /** Computes the plan for `input` (of the plan's input shape); a device input gives a device result. */
  run(input: TensorLike, options?: PlanRunOptions): Tensor;
  run(input: DeviceTensor, options?: PlanRunOptions): DeviceTensor;
  run(input: TensorLike | DeviceTensor, options?: PlanRunOptions): Tensor | DeviceTensor {
    const fast = this.#fastRun(input, options);
    if (fast) return fast;
    return withOpName(this.#op, () => {
      const opts = checkOptions('options', options, ['out', 'wait']);
      if (input instanceof DeviceTensor) {
        this.#checkInput(input);
        return this.#runDevice(input, opts, this.#deviceMode(opts)) as DeviceTensor;
      }
      const x = this.#checkInput(input);
      const packed = this.#live();
      const out = checkOut(this.problem, opts.out, 'options.out', [{ shape: [...this.inputShape], data: x }]) ?? new Float32Array(this.#size());
      if (packed) packed.run(x, out);
      else fillDegenerate(this.problem, this.#bias, out);
      return new Tensor(this.outputShape, out);
    });
  }

  /**
   * The common call — a host input of the plan's shape, and no options or a host `out` of the
   * output's shape — checked field by field without copying shapes (a few µs matter for tiny
   * problems in a loop). Anything else returns undefined and takes the full path, which also
   * produces the errors.
   */
  #fastRun(input: unknown, options: PlanRunOptions | undefined): Tensor | undefined {
    const packed = this.#packed;
    if (!packed || this.#disposed || !plainHostTensor(input, this.inputShape)) return undefined;
    let out: Float32Array | undefined;
    if (options !== undefined) {
      if (typeof options !== 'object' || options === null) return undefined;
      for (const key in options) if (key !== 'out') return undefined;
      const given = options.out;
      if (given !== undefined) {
        if (!plainHostTensor(given, this.outputShape) || overlaps(given.data, input.data)) return undefined;
        out = given.data;
      }
    }
    out ??= new Float32Array(this.#size());
    packed.run(input.data, out);
    return Tensor.trusted(this.outputShape, out);
  }

  /** The same off the JS thread on the native backends (the input is snapshotted at the call). */
  runAsync(input: TensorLike, options?: PlanRunOptions): Promise<Tensor>;
  runAsync(input: DeviceTensor, options?: PlanRunOptions): Promise<DeviceTensor>;
  async runAsync(input: TensorLike | DeviceTensor, options?: PlanRunOptions): Promise<Tensor | DeviceTensor> {
    if (input instanceof DeviceTensor) {
      const device = withOpName(this.#op, () => {
        const opts = checkOptions('options', options, ['out', 'wait']);
        this.#checkInput(input);
        return this.#runDevice(input, opts, 'async');
      });
      return device;
    }
    const { x, out, packed } = withOpName(this.#op, () => {
      const opts = checkOptions('options', options, ['out', 'wait']);
      const data = this.#checkInput(input);
      return {
        x: data,
        out: checkOut(this.problem, opts.out, 'options.out', [{ shape: [...this.inputShape], data }]),
        packed: this.#live(),
      };
    });
    let result: Float32Array;
    if (packed) {
      result = await packed.runAsync(x);
    } else {
      result = new Float32Array(this.#size());
      fillDegenerate(this.problem, this.#bias, result);
    }
    if (out) {
      out.set(result);
      result = out;
    }
    return new Tensor(this.outputShape, result);
  }

  /** Frees the packed weights now instead of at garbage collection. Later runs throw. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#packed?.dispose();
    this.#packed = undefined;
  }

  #size(): number {
    return this.outputShape.reduce((a, b) => a * b, 1);
  }
}

/** `value` is a plain `{ shape, data: Float32Array }` of exactly `shape` (already validated). */
function plainHostTensor(value: unknown, shape: readonly number[]): value is { shape: readonly number[]; data: Float32Array } {
  if (typeof value !== 'object' || value === null || value instanceof DeviceTensor) return false;
  const { shape: given, data } = value as { shape?: unknown; data?: unknown };
  if (!(data instanceof Float32Array) || !Array.isArray(given) || given.length !== shape.length) return false;
  let size = 1;
  for (let i = 0; i < shape.length; i++) {
    if (given[i] !== shape[i]) return false;
    size *= shape[i]!;
  }
  return data.length === size;
}

function tfPlan(
  op: string,
  rank: 1 | 2 | 3,
  inputShape: readonly number[],
  filters: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding,
  options: Conv2DTransposeOptions | Conv1DTransposeOptions | Conv3DTransposeOptions | undefined,
): ConvTransposePlan {
  return withOpName(op, () => {
    if (typeof options === 'object' && options !== null && 'out' in options) throw new TypeError('options.out belongs to a plan\'s run(), not to the plan');
    const { call, options: opts } = prepareTf(rank, new ShapeOnly(inputShape), { filters, outputShape, strides, padding, options });
    return new ConvTransposePlan(op, call, opts.backend);
  });
}

/** A plan for conv1dTranspose with a fixed input shape and filters (see ConvTransposePlan). */
export function conv1dTransposePlan(
  inputShape: readonly number[],
  filters: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv1DTransposeOptions,
): ConvTransposePlan {
  return tfPlan('conv1dTranspose', 1, inputShape, filters, outputShape, strides, padding, options);
}

/** A plan for conv2dTranspose with a fixed input shape and filters (see ConvTransposePlan). */
export function conv2dTransposePlan(
  inputShape: readonly number[],
  filters: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv2DTransposeOptions,
): ConvTransposePlan {
  return tfPlan('conv2dTranspose', 2, inputShape, filters, outputShape, strides, padding, options);
}

/** A plan for conv3dTranspose with a fixed input shape and filters (see ConvTransposePlan). */
export function conv3dTransposePlan(
  inputShape: readonly number[],
  filters: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv3DTransposeOptions,
): ConvTransposePlan {
  return tfPlan('conv3dTranspose', 3, inputShape, filters, outputShape, strides, padding, options);
}

/** A plan for ONNX ConvTranspose with a fixed X shape, W and B (see ConvTransposePlan). */
export function convTransposePlan(xShape: readonly number[], W: TensorLike, B?: TensorLike | null, attrs?: ConvTransposeOptions): ConvTransposePlan {
  return withOpName('convTranspose', () => {
    if (typeof attrs === 'object' && attrs !== null && 'out' in attrs) throw new TypeError('attrs.out belongs to a plan\'s run(), not to the plan');
    const { call, options } = prepareOnnx(new ShapeOnly(xShape), W, B, attrs);
    return new ConvTransposePlan('convTranspose', call, options.backend);
  });
}
