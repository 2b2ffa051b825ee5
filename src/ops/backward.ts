/**
 * Gradients of the transposed convolutions: `convTransposeBackward` for the ONNX front end and
 * `conv{1,2,3}dTransposeBackward` for the TensorFlow ones, each with an async twin. The front ends'
 * normalization is reused unchanged; the gradients are those of the linear op (no bias is needed:
 * dB does not depend on it; no activation: callers differentiate it themselves).
 *
 * Where the gradients live follows the forward ops' rule, with dY as the backward pass's input:
 * a device-tensor dY gives device-tensor gradients (cuDNN, in dY's dtype, never read back), so a
 * training step on the GPU stays there; any device operand makes cuDNN compute the call.
 */
import { selectBackend, type BackendChoice } from '../backends/registry.js';
import { tsBackend } from '../backends/ts.js';
import type { GradientArrays } from '../backends/types.js';
import type { DeviceTensor } from '../device-tensor.js';
import {
  backwardProblem,
  checkOptions,
  checkOutputGradient,
  checkWantedGradients,
  normalizeOnnxCall,
  ONNX_ATTRIBUTES,
  ONNX_SNAKE_CASE,
  problemSizes,
  type CheckedTensor,
  type ConvTransposeAttributes,
  type ConvTransposeProblem,
  type GradientName,
  type TfDataFormat1D,
  type TfDataFormat2D,
  type TfDataFormat3D,
  type TfPadding,
} from '../problem/index.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { executeBackwardOnDevice, type DeviceBackwardCall, type DeviceGradients } from './device.js';
import { checkBackendOptions, degenerate, withOpName } from './execute.js';
import { normalizeTfArguments, type ResultFor, type TfStrides } from './tf.js';

/** Options every backward call takes. */
export interface BackwardOptions<G extends GradientName = GradientName> {
  /** Which backend computes: 'auto' (default) picks the best available one that has gradients. */
  backend?: BackendChoice;
  /** Which gradients to compute: any of 'dX', 'dW', 'dB' (default all three). */
  gradients?: readonly G[];
  /** cuDNN: CUDA device index of host-only calls (device tensors decide their own). */
  device?: number;
  /** cuDNN: TF32 tensor cores for float32 (default false). */
  allowTF32?: boolean;
  /** cuDNN: only deterministic algorithms. */
  deterministic?: boolean;
  /**
   * Device gradients (dOutput a device tensor): false returns as soon as the work is queued
   * (later ops and reads are ordered after it); true (default) waits for it to finish.
   */
  wait?: boolean;
}

/**
 * The gradients asked for: `dX` in the input's shape, `dW` in the filters' shape, `dB` of shape
 * `[outputChannels]`. They live where the output gradient does: host `Tensor`s, or, when dY is a
 * device tensor, `DeviceTensor`s in its dtype on its device (computed by cuDNN, never read back).
 */
export type ConvTransposeGradients<G extends GradientName = GradientName, T = Tensor> = { [K in G]: T };

/** Backward options of the ONNX front end: the forward attributes plus what to compute. */
export interface ConvTransposeBackwardOptions<G extends GradientName = GradientName> extends ConvTransposeAttributes, BackwardOptions<G> {}

/** Backward options of the TF front ends. */
export interface TfConvTransposeBackwardOptions<Format extends string, G extends GradientName = GradientName> extends BackwardOptions<G> {
  /** Layout of input and output: channels last (default) or channels first. */
  dataFormat?: Format;
  /** Dilation rate: one int, one per spatial dimension, or rank + 2 with 1 at batch and channels. */
  dilations?: number | readonly number[];
}

const BACKWARD_KEYS = ['backend', 'gradients', 'device', 'allowTF32', 'deterministic', 'wait'] as const;
const ONNX_KEYS = [...ONNX_ATTRIBUTES, ...Object.keys(ONNX_SNAKE_CASE), ...BACKWARD_KEYS];
const TF_KEYS = ['dataFormat', 'dilations', ...BACKWARD_KEYS];

/** A checked backward call: what the device path takes, and the backend asked for. */
interface BackwardCall extends DeviceBackwardCall {
  readonly backend: unknown;
}

function prepareBackward(
  normalized: { problem: ConvTransposeProblem; input: CheckedTensor; filters: CheckedTensor },
  dyValue: unknown,
  dyArgument: string,
  options: Record<string, unknown>,
  prefix: string,
): BackwardCall {
  const problem = backwardProblem(normalized.problem);
  const dy = checkOutputGradient(problem, dyArgument, dyValue);
  const wanted = checkWantedGradients(`${prefix}.gradients`, options.gradients);
  const { backendOptions, wait } = checkBackendOptions(options, prefix);
  return { problem, input: normalized.input, filters: normalized.filters, dy, dyArgument, wanted, backend: options.backend, backendOptions, wait };
}

/** Whether any operand is a device tensor: then only cuDNN computes the call. */
function touchesDevice(call: BackwardCall): boolean {
  return Boolean(call.input.device || call.filters.device || call.dy.device);
}

function allocate(call: BackwardCall): GradientArrays {
  const sizes = problemSizes(call.problem);
  const outputs: GradientArrays = {};
  if (call.wanted.dX) outputs.dX = new Float32Array(sizes.input);
  if (call.wanted.dW) outputs.dW = new Float32Array(sizes.filter);
  if (call.wanted.dB) outputs.dB = new Float32Array(call.problem.outChannels);
  return outputs;
}

function wrap<G extends GradientName>(call: BackwardCall, arrays: GradientArrays): ConvTransposeGradients<G> {
  const result: Partial<Record<GradientName, Tensor>> = {};
  if (arrays.dX) result.dX = new Tensor(call.input.shape, arrays.dX);
  if (arrays.dW) result.dW = new Tensor(call.filters.shape, arrays.dW);
  if (arrays.dB) result.dB = new Tensor([call.problem.outChannels], arrays.dB);
  return result as ConvTransposeGradients<G>;
}

/** The backend for a call; problems with an empty side never reach a native backend. */
function backendFor(call: BackwardCall) {
  const chosen = selectBackend(call.backend, 'options.backend', 'backward');
  return degenerate(call.problem) ? tsBackend : chosen;
}

/** A device result, or host arrays when dY is on the host but x or w is on the device. */
function fromDevice<G extends GradientName>(call: BackwardCall, results: DeviceGradients): ConvTransposeGradients<G, Tensor | DeviceTensor> {
  if (call.dy.device) return results as ConvTransposeGradients<G, DeviceTensor>;
  const arrays: GradientArrays = {};
  for (const [name, tensor] of Object.entries(results) as [GradientName, DeviceTensor][]) {
    arrays[name] = tensor.toHostSync().data;
    tensor.dispose();
  }
  return wrap<G>(call, arrays);
}

function executeBackward<G extends GradientName>(call: BackwardCall): ConvTransposeGradients<G, Tensor | DeviceTensor> {
  if (touchesDevice(call)) return fromDevice<G>(call, executeBackwardOnDevice(call, call.backend, 'sync'));
  const backend = backendFor(call);
  const outputs = allocate(call);
  backend.convTransposeBackward!(call.problem, call.input.data, call.filters.data, call.dy.data, outputs, call.backendOptions);
  return wrap<G>(call, outputs);
}

async function executeBackwardAsync<G extends GradientName>(call: BackwardCall): Promise<ConvTransposeGradients<G, Tensor | DeviceTensor>> {
  if (touchesDevice(call)) return fromDevice<G>(call, await executeBackwardOnDevice(call, call.backend, 'async'));
  const backend = backendFor(call);
  const arrays = await backend.convTransposeBackwardAsync!(call.problem, call.input.data, call.filters.data, call.dy.data, call.wanted, call.backendOptions);
  return wrap<G>(call, arrays);
}

function prepareOnnxBackward(X: unknown, W: unknown, dY: unknown, attrs: unknown): BackwardCall {
  const options = checkOptions('attrs', attrs, ONNX_KEYS);
  return prepareBackward(normalizeOnnxCall(X, W, options), dY, 'dY', options, 'attrs');
}

/**
 * Gradients of ONNX `ConvTranspose` with respect to X, W and B, given dY = ∂L/∂Y.
 * @param X `[N, C, D1, ..., Dn]`, as in the forward call.
 * @param W `[C, M/group, k1, ..., kn]`.
 * @param dY the gradient of the output, of the forward output's shape.
 * @param attrs the forward call's attributes, plus `gradients` (which of 'dX', 'dW', 'dB') and `backend`.
 * @returns `{ dX, dW, dB }` (those asked for): dX like X, dW like W, dB of shape `[M]`.
 */
export function convTransposeBackward<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  X: TensorLike | DeviceTensor,
  W: TensorLike | DeviceTensor,
  dY: D,
  attrs?: ConvTransposeBackwardOptions<G>,
): ConvTransposeGradients<G, ResultFor<D>> {
  return withOpName('convTransposeBackward', () => executeBackward<G>(prepareOnnxBackward(X, W, dY, attrs))) as ConvTransposeGradients<G, ResultFor<D>>;
}

/** convTransposeBackward off the JS thread (native backends); inputs are snapshotted at the call. */
export async function convTransposeBackwardAsync<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  X: TensorLike | DeviceTensor,
  W: TensorLike | DeviceTensor,
  dY: D,
  attrs?: ConvTransposeBackwardOptions<G>,
): Promise<ConvTransposeGradients<G, ResultFor<D>>> {
  const call = withOpName('convTransposeBackward', () => prepareOnnxBackward(X, W, dY, attrs));
  return executeBackwardAsync<G>(call) as Promise<ConvTransposeGradients<G, ResultFor<D>>>;
}

interface TfBackwardArguments {
  readonly filters: unknown;
  readonly dOutput: unknown;
  readonly outputShape: readonly number[];
  readonly strides: TfStrides;
  readonly padding: TfPadding;
  readonly options: TfConvTransposeBackwardOptions<string> | undefined;
}

function prepareTfBackward(rank: 1 | 2 | 3, input: unknown, args: TfBackwardArguments): BackwardCall {
  const { options, normalized } = normalizeTfArguments(rank, input, args, TF_KEYS);
  return prepareBackward(normalized, args.dOutput, 'dOutput', options, 'options');
}

function tfBackward<G extends GradientName>(op: string, rank: 1 | 2 | 3, input: unknown, args: TfBackwardArguments): ConvTransposeGradients<G, Tensor | DeviceTensor> {
  return withOpName(op, () => executeBackward<G>(prepareTfBackward(rank, input, args)));
}

async function tfBackwardAsync<G extends GradientName>(
  op: string,
  rank: 1 | 2 | 3,
  input: unknown,
  args: TfBackwardArguments,
): Promise<ConvTransposeGradients<G, Tensor | DeviceTensor>> {
  const call = withOpName(op, () => prepareTfBackward(rank, input, args));
  return executeBackwardAsync<G>(call);
}

/**
 * Gradients of `conv1dTranspose` (as `tf.GradientTape` gives them for `tf.nn.conv1d_transpose`).
 * Arguments as the forward call, plus `dOutput` (of the output's shape) after the filters.
 * @returns `{ dX, dW, dB }` (those asked for in `options.gradients`): dX like the input, dW like
 *   the filters, dB of shape `[outputChannels]`.
 */
export function conv1dTransposeBackward<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  input: TensorLike | DeviceTensor,
  filters: TensorLike | DeviceTensor,
  dOutput: D,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat1D, G>,
): ConvTransposeGradients<G, ResultFor<D>> {
  return tfBackward<G>('conv1dTransposeBackward', 1, input, { filters, dOutput, outputShape, strides, padding, options }) as ConvTransposeGradients<G, ResultFor<D>>;
}

/**
 * Gradients of `conv2dTranspose` (as `tf.GradientTape` gives them for `tf.nn.conv2d_transpose`):
 * dX is the forward convolution of dOutput with the same filters (`tf.nn.conv2d`), dW the filter
 * gradient, dB the sum of dOutput over batch and space.
 * Arguments as the forward call, plus `dOutput` (of the output's shape) after the filters.
 * @returns `{ dX, dW, dB }` (those asked for in `options.gradients`).
 */
export function conv2dTransposeBackward<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  input: TensorLike | DeviceTensor,
  filters: TensorLike | DeviceTensor,
  dOutput: D,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat2D, G>,
): ConvTransposeGradients<G, ResultFor<D>> {
  return tfBackward<G>('conv2dTransposeBackward', 2, input, { filters, dOutput, outputShape, strides, padding, options }) as ConvTransposeGradients<G, ResultFor<D>>;
}

/** Gradients of `conv3dTranspose`; arguments and result as `conv2dTransposeBackward`. */
export function conv3dTransposeBackward<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  input: TensorLike | DeviceTensor,
  filters: TensorLike | DeviceTensor,
  dOutput: D,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat3D, G>,
): ConvTransposeGradients<G, ResultFor<D>> {
  return tfBackward<G>('conv3dTransposeBackward', 3, input, { filters, dOutput, outputShape, strides, padding, options }) as ConvTransposeGradients<G, ResultFor<D>>;
}

/** conv1dTransposeBackward off the JS thread (native backends). */
export function conv1dTransposeBackwardAsync<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  input: TensorLike | DeviceTensor,
  filters: TensorLike | DeviceTensor,
  dOutput: D,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat1D, G>,
): Promise<ConvTransposeGradients<G, ResultFor<D>>> {
  return tfBackwardAsync<G>('conv1dTransposeBackward', 1, input, { filters, dOutput, outputShape, strides, padding, options }) as Promise<ConvTransposeGradients<G, ResultFor<D>>>;
}

/** conv2dTransposeBackward off the JS thread (native backends). */
export function conv2dTransposeBackwardAsync<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  input: TensorLike | DeviceTensor,
  filters: TensorLike | DeviceTensor,
  dOutput: D,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat2D, G>,
): Promise<ConvTransposeGradients<G, ResultFor<D>>> {
  return tfBackwardAsync<G>('conv2dTransposeBackward', 2, input, { filters, dOutput, outputShape, strides, padding, options }) as Promise<ConvTransposeGradients<G, ResultFor<D>>>;
}

/** conv3dTransposeBackward off the JS thread (native backends). */
export function conv3dTransposeBackwardAsync<G extends GradientName = GradientName, D extends TensorLike | DeviceTensor = TensorLike>(
  input: TensorLike | DeviceTensor,
  filters: TensorLike | DeviceTensor,
  dOutput: D,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat3D, G>,
): Promise<ConvTransposeGradients<G, ResultFor<D>>> {
  return tfBackwardAsync<G>('conv3dTransposeBackward', 3, input, { filters, dOutput, outputShape, strides, padding, options }) as Promise<ConvTransposeGradients<G, ResultFor<D>>>;
}
