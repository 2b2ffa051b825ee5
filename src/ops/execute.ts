/**
 * What every op does after its front end has normalized the call: check the bias, the fused
 * activation and the `out` tensor against the problem, pick the backend, run it, and hand back
 * the output tensor. Sync, async and planned calls all go through here.
 */
import { checkBackendChoice } from '../backends/registry.js';
import { activate, DEFAULT_ALPHA } from '../activation.js';
import { selectBackend, type BackendChoice } from '../backends/registry.js';
import type { BackendCallOptions } from '../backends/types.js';
import type { DeviceTensor } from '../device-tensor.js';
import { describe, rangeError, typeError } from '../errors.js';
import {
  checkEnum,
  checkTensor,
  overlaps,
  type Activation,
  type CheckedTensor,
  type ConvTransposeProblem,
  type DeviceTensorRef,
  type MathMode,
} from '../problem/index.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { executeOnDevice } from './device.js';

/** Options every op takes, besides its own arguments. */
export interface ExecutionOptions {
  /** Which backend computes: 'auto' (default) picks the best available one. */
  backend?: BackendChoice;
  /**
   * A preallocated output (its shape must equal the result's). The result is written into its
   * data and a Tensor viewing that same memory is returned, so a loop allocates nothing. With a
   * device input, a DeviceTensor of the same dtype and device.
   */
  out?: TensorLike | DeviceTensor;
  /** Applied to every output element after the bias, fused into the backend's kernel. */
  activation?: Activation | 'linear';
  /** leakyRelu's slope below zero (default 0.2) or elu's scale (default 1). */
  alpha?: number;
  /**
   * Arithmetic inside the backend: 'float32' (default) or 'bf16' (bfloat16 products, float32
   * accumulation; oneDNN on CPUs with bf16 instructions). Inputs and outputs stay float32.
   */
  math?: MathMode;
  /** cuDNN: the CUDA device for host tensors (device tensors run where they live). Default 0. */
  device?: number;
  /** cuDNN: allow TF32 tensor cores for float32 (faster, ~1e-3 relative error). Default false. */
  allowTF32?: boolean;
  /** cuDNN: only algorithms whose results are bit-identical run to run. Default false. */
  deterministic?: boolean;
  /**
   * cuDNN: time every algorithm once per problem (cudnnFind, the first call pays for it) and keep
   * the fastest; default false uses cuDNN's heuristics.
   */
  benchmark?: boolean;
  /**
   * cuDNN with device tensors: false returns as soon as the work is queued on the device's stream
   * (later ops and reads are ordered after it); true (default) waits for it to finish.
   */
  wait?: boolean;
}

/** The option keys ExecutionOptions adds to every op. */
export const EXECUTION_KEYS = ['backend', 'out', 'activation', 'alpha', 'math', 'device', 'allowTF32', 'deterministic', 'benchmark', 'wait'] as const;

export interface PreparedCall {
  readonly problem: ConvTransposeProblem;
  readonly input: CheckedTensor;
  readonly filters: CheckedTensor;
  readonly bias: CheckedTensor | undefined;
  /** The caller's out tensor's data, when one was given. */
  readonly out: Float32Array | undefined;
  /** The caller's out tensor, when it is a device tensor. */
  readonly outDevice?: DeviceTensorRef;
  /** Settings for backends that take them (cuDNN). */
  readonly backendOptions: BackendCallOptions;
  /** Device calls: wait for the result (default) or return once queued. */
  readonly wait: boolean;
}

function checkFlag(argument: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw typeError(argument, 'a boolean', value);
  return value;
}

/** The cuDNN settings of ExecutionOptions, checked. */
export function checkBackendOptions(options: Record<string, unknown>, prefix: string): { backendOptions: BackendCallOptions; wait: boolean } {
  const device = options.device;
  if (device !== undefined) {
    if (typeof device !== 'number') throw typeError(`${prefix}.device`, 'a device index (an integer ≥ 0)', device);
    if (!Number.isInteger(device) || device < 0) throw rangeError(`${prefix}.device`, 'a device index (an integer ≥ 0)', device);
  }
  const backendOptions: BackendCallOptions = {
    ...(device !== undefined ? { device: device as number } : {}),
    ...(options.allowTF32 !== undefined ? { allowTF32: checkFlag(`${prefix}.allowTF32`, options.allowTF32) } : {}),
    ...(options.deterministic !== undefined ? { deterministic: checkFlag(`${prefix}.deterministic`, options.deterministic) } : {}),
    ...(options.benchmark !== undefined ? { benchmark: checkFlag(`${prefix}.benchmark`, options.benchmark) } : {}),
  };
  return { backendOptions, wait: checkFlag(`${prefix}.wait`, options.wait) ?? true };
}

const ACTIVATIONS = ['none', 'linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu'] as const;

/** Fills in the problem's epilogue (bias, activation) and math from the options. */
export function withEpilogue(
  problem: ConvTransposeProblem,
  hasBias: boolean,
  options: Record<string, unknown>,
  argumentPrefix: string,
): ConvTransposeProblem {
  const named = options.activation === undefined ? 'none' : checkEnum(`${argumentPrefix}.activation`, options.activation, ACTIVATIONS);
  const activation: Activation = named === 'linear' ? 'none' : named;
  let alpha = DEFAULT_ALPHA[activation];
  if (options.alpha !== undefined) {
    if (typeof options.alpha !== 'number') throw new TypeError(`${argumentPrefix}.alpha must be a number, but got ${describe(options.alpha)}`);
    // Kept as the float32 every backend computes with (the reference included), so that all agree.
    if (!Number.isFinite(Math.fround(options.alpha))) {
      throw new RangeError(`${argumentPrefix}.alpha must be a finite number within float32's range, but got ${options.alpha}`);
    }
    alpha = Math.fround(options.alpha);
  }
  const math = options.math === undefined ? 'float32' : checkEnum(`${argumentPrefix}.math`, options.math, ['float32', 'bf16'] as const);
  // A backend option that names no backend is refused here, with the op's other argument checks
  // (sync or async, under the op's name); availability is decided when the call runs.
  checkBackendChoice(options.backend, `${argumentPrefix}.backend`);
  return { ...problem, hasBias, activation, activationAlpha: alpha, math };
}

/** Checks bias, out and the epilogue options against the problem. */
export function prepare(
  normalized: { problem: ConvTransposeProblem; input: CheckedTensor; filters: CheckedTensor },
  biasValue: unknown,
  biasArgument: string,
  options: Record<string, unknown>,
  argumentPrefix: string,
): PreparedCall {
  const { input, filters } = normalized;
  const bias = checkBias(normalized.problem, biasValue, biasArgument);
  const problem = withEpilogue(normalized.problem, bias !== undefined, options, argumentPrefix);
  const { backendOptions, wait } = checkBackendOptions(options, argumentPrefix);
  const outArgument = `${argumentPrefix}.out`;
  if (input.device) {
    const outDevice = checkOutDevice(problem, options.out, outArgument, [input, filters, bias]);
    return { problem, input, filters, bias, out: undefined, ...(outDevice ? { outDevice } : {}), backendOptions, wait };
  }
  const out = checkOut(problem, options.out, outArgument, [input, filters, bias]);
  return { problem, input, filters, bias, out, backendOptions, wait };
}

/** A device `out` for a device input: the result's shape, and not one of the operands. */
export function checkOutDevice(
  problem: ConvTransposeProblem,
  value: unknown,
  argument: string,
  inputs: readonly (CheckedTensor | undefined)[],
): DeviceTensorRef | undefined {
  if (value === undefined || value === null) return undefined;
  const given = checkTensor(argument, value);
  if (!given.device) throw new TypeError(`${argument} must be a device tensor when the input is one (results live where the input lives)`);
  const expected = problem.outputShape;
  if (given.shape.length !== expected.length || given.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(`${argument} must have the result's shape [${expected.join(', ')}], but got [${given.shape.join(', ')}]`);
  }
  const names = ['input', 'filters', 'bias'];
  inputs.forEach((t, i) => {
    if (t?.device === given.device) throw new RangeError(`${argument} must not be the ${names[i]} it is computed from`);
  });
  return given.device;
}

export function checkBias(problem: ConvTransposeProblem, value: unknown, argument: string): CheckedTensor | undefined {
  if (value === undefined || value === null) return undefined;
  const bias = checkTensor(argument, value, [1]);
  if (bias.shape[0] !== problem.outChannels) {
    throw new RangeError(
      `${argument} must have one value per output channel (shape [${problem.outChannels}]), but got shape [${bias.shape.join(', ')}]`,
    );
  }
  return bias;
}

/** The caller's out tensor, checked: the result's shape, and no memory shared with the inputs. */
export function checkOut(
  problem: ConvTransposeProblem,
  value: unknown,
  argument: string,
  inputs: readonly (CheckedTensor | undefined)[],
): Float32Array | undefined {
  if (value === undefined || value === null) return undefined;
  const given = checkTensor(argument, value);
  if (given.device) throw new TypeError(`${argument} is a device tensor, but the input is on the host: results live where the input lives`);
  const expected = problem.outputShape;
  if (given.shape.length !== expected.length || given.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(`${argument} must have the result's shape [${expected.join(', ')}], but got [${given.shape.join(', ')}]`);
  }
  const names = ['input', 'filters', 'bias'];
  inputs.forEach((t, i) => {
    if (t && !t.device && t.data.length > 0 && overlaps(given.data, t.data)) {
      throw new RangeError(`${argument} must not share memory with the ${names[i]} it is computed from`);
    }
  });
  return given.data;
}

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * A problem no backend needs to see: an empty output, or an empty input (no channel or no
 * position), whose output is the activated bias everywhere.
 */
export function degenerate(p: ConvTransposeProblem): boolean {
  return elements(p.outputShape) === 0 || p.inChannels === 0 || p.inSpatial.some((d) => d === 0);
}

/** Output of a degenerate problem: activation(bias) (or activation(0)) at every position. */
export function fillDegenerate(p: ConvTransposeProblem, bias: Float32Array | undefined, out: Float32Array): void {
  const M = p.outChannels;
  if (out.length === 0) return;
  const spatial = out.length / (p.batch * M);
  for (let i = 0; i < out.length; i++) {
    const m = p.layout === 'channelsLast' ? i % M : Math.floor(i / spatial) % M;
    out[i] = activate(p.activation, p.activationAlpha, bias ? bias[m]! : 0);
  }
}

/** Filters or bias on the device with a host input: only cuDNN reads them (and returns host data). */
function hostCallWithDeviceOperands(call: PreparedCall): boolean {
  return !!(call.filters.device || call.bias?.device);
}

/** Runs a prepared call synchronously on the chosen backend. */
export function execute(call: PreparedCall, backend: unknown): Tensor | DeviceTensor {
  if (call.input.device || hostCallWithDeviceOperands(call)) return executeOnDevice(call, backend, 'sync');
  const chosen = selectBackend(backend);
  const out = call.out ?? new Float32Array(elements(call.problem.outputShape));
  if (degenerate(call.problem)) fillDegenerate(call.problem, call.bias?.data, out);
  else chosen.convTranspose(call.problem, call.input.data, call.filters.data, call.bias?.data, out, call.backendOptions);
  return new Tensor(call.problem.outputShape, out);
}

/** Runs a prepared call asynchronously: off the JS thread on the native backends. */
export async function executeAsync(call: PreparedCall, backend: unknown): Promise<Tensor | DeviceTensor> {
  if (call.input.device || hostCallWithDeviceOperands(call)) return executeOnDevice(call, backend, 'async');
  const chosen = selectBackend(backend);
  let result: Float32Array;
  if (degenerate(call.problem)) {
    result = call.out ?? new Float32Array(elements(call.problem.outputShape));
    fillDegenerate(call.problem, call.bias?.data, result);
  } else {
    result = await chosen.convTransposeAsync(call.problem, call.input.data, call.filters.data, call.bias?.data, call.backendOptions);
  }
  if (call.out && call.out !== result) {
    call.out.set(result);
    result = call.out;
  }
  return new Tensor(call.problem.outputShape, result);
}

/** Prefixes errors raised while checking a call with the op's name, keeping their class. */
export function withOpName<T>(op: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith(`${op}:`)) error.message = `${op}: ${error.message}`;
    throw error;
  }
}
