/**
 * Gradients of the transposed convolutions: `convTransposeBackward` for the ONNX front end and
 * `conv{1,2,3}dTransposeBackward` for the TensorFlow ones, each with an async twin. The front ends'
 * normalization is reused unchanged; the gradients are those of the linear op (no bias is needed:
 * dB does not depend on it; no activation: callers differentiate it themselves).
 */
import { selectBackend, type BackendChoice } from '../backends/registry.js';
import { tsBackend } from '../backends/ts.js';
import type { GradientArrays } from '../backends/types.js';
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
  type WantedGradients,
} from '../problem/index.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { degenerate, withOpName } from './execute.js';
import { normalizeTfArguments, type TfStrides } from './tf.js';

/** Options every backward call takes. */
export interface BackwardOptions<G extends GradientName = GradientName> {
  /** Which backend computes: 'auto' (default) picks the best available one that has gradients. */
  backend?: BackendChoice;
  /** Which gradients to compute: any of 'dX', 'dW', 'dB' (default all three). */
  gradients?: readonly G[];
}

/**
 * The gradients asked for: `dX` in the input's shape, `dW` in the filters' shape, `dB` of shape
 * `[outputChannels]`.
 */
export type ConvTransposeGradients<G extends GradientName = GradientName> = { [K in G]: Tensor };

/** Backward options of the ONNX front end: the forward attributes plus what to compute. */
export interface ConvTransposeBackwardOptions<G extends GradientName = GradientName> extends ConvTransposeAttributes, BackwardOptions<G> {}

/** Backward options of the TF front ends. */
export interface TfConvTransposeBackwardOptions<Format extends string, G extends GradientName = GradientName> extends BackwardOptions<G> {
  /** Layout of input and output: channels last (default) or channels first. */
  dataFormat?: Format;
  /** Dilation rate: one int, one per spatial dimension, or rank + 2 with 1 at batch and channels. */
  dilations?: number | readonly number[];
}

const BACKWARD_KEYS = ['backend', 'gradients'] as const;
const ONNX_KEYS = [...ONNX_ATTRIBUTES, ...Object.keys(ONNX_SNAKE_CASE), ...BACKWARD_KEYS];
const TF_KEYS = ['dataFormat', 'dilations', ...BACKWARD_KEYS];

/** A checked backward call. */
interface BackwardCall {
  readonly problem: ConvTransposeProblem;
  readonly input: CheckedTensor;
  readonly filters: CheckedTensor;
  readonly dy: CheckedTensor;
  readonly wanted: WantedGradients;
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
  // Gradients read host arrays (on cuDNN too, staged through pinned memory); device tensors here
  // would have no data to read.
  for (const [tensor, name] of [[normalized.input, 'input'], [normalized.filters, 'filters'], [dy, dyArgument]] as const) {
    if (tensor.device) throw new TypeError(`${name} is a device tensor: gradients take host tensors (read them back with toHost())`);
  }
  const wanted = checkWantedGradients(`${prefix}.gradients`, options.gradients);
  return { problem, input: normalized.input, filters: normalized.filters, dy, wanted, backend: options.backend };
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

function executeBackward<G extends GradientName>(call: BackwardCall): ConvTransposeGradients<G> {
  const backend = backendFor(call);
  const outputs = allocate(call);
  backend.convTransposeBackward!(call.problem, call.input.data, call.filters.data, call.dy.data, outputs);
  return wrap<G>(call, outputs);
}

async function executeBackwardAsync<G extends GradientName>(call: BackwardCall): Promise<ConvTransposeGradients<G>> {
  const backend = backendFor(call);
  const arrays = await backend.convTransposeBackwardAsync!(call.problem, call.input.data, call.filters.data, call.dy.data, call.wanted);
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
export function convTransposeBackward<G extends GradientName = GradientName>(
  X: TensorLike,
  W: TensorLike,
  dY: TensorLike,
  attrs?: ConvTransposeBackwardOptions<G>,
): ConvTransposeGradients<G> {
  return withOpName('convTransposeBackward', () => executeBackward<G>(prepareOnnxBackward(X, W, dY, attrs)));
}

/** convTransposeBackward off the JS thread (native backends); inputs are snapshotted at the call. */
export async function convTransposeBackwardAsync<G extends GradientName = GradientName>(
  X: TensorLike,
  W: TensorLike,
  dY: TensorLike,
  attrs?: ConvTransposeBackwardOptions<G>,
): Promise<ConvTransposeGradients<G>> {
  const call = withOpName('convTransposeBackward', () => prepareOnnxBackward(X, W, dY, attrs));
  return executeBackwardAsync<G>(call);
}

interface TfBackwardArguments {
  readonly filters: TensorLike;
  readonly dOutput: TensorLike;
  readonly outputShape: readonly number[];
  readonly strides: TfStrides;
  readonly padding: TfPadding;
  readonly options: TfConvTransposeBackwardOptions<string> | undefined;
}

function prepareTfBackward(rank: 1 | 2 | 3, input: unknown, args: TfBackwardArguments): BackwardCall {
  const { options, normalized } = normalizeTfArguments(rank, input, args, TF_KEYS);
  return prepareBackward(normalized, args.dOutput, 'dOutput', options, 'options');
}

function tfBackward<G extends GradientName>(op: string, rank: 1 | 2 | 3, input: TensorLike, args: TfBackwardArguments): ConvTransposeGradients<G> {
  return withOpName(op, () => executeBackward<G>(prepareTfBackward(rank, input, args)));
}

async function tfBackwardAsync<G extends GradientName>(
  op: string,
  rank: 1 | 2 | 3,
  input: TensorLike,
  args: TfBackwardArguments,
): Promise<ConvTransposeGradients<G>> {
  const call = withOpName(op, () => prepareTfBackward(rank, input, args));
  return executeBackwardAsync<G>(call);
}

/**
 * Gradients of `conv1dTranspose` (as `tf.GradientTape` gives them for `tf.nn.conv1d_transpose`).
 * Arguments as the forward call, plus `dOutput` (of the output's shape) after the filters.
 * @returns `{ dX, dW, dB }` (those asked for in `options.gradients`): dX like the input, dW like
 *   the filters, dB of shape `[outputChannels]`.
 */
export function conv1dTransposeBackward<G extends GradientName = GradientName>(
  input: TensorLike,
  filters: TensorLike,
  dOutput: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat1D, G>,
): ConvTransposeGradients<G> {
  return tfBackward('conv1dTransposeBackward', 1, input, { filters, dOutput, outputShape, strides, padding, options });
}

/**
 * Gradients of `conv2dTranspose` (as `tf.GradientTape` gives them for `tf.nn.conv2d_transpose`):
 * dX is the forward convolution of dOutput with the same filters (`tf.nn.conv2d`), dW the filter
 * gradient, dB the sum of dOutput over batch and space.
 * Arguments as the forward call, plus `dOutput` (of the output's shape) after the filters.
 * @returns `{ dX, dW, dB }` (those asked for in `options.gradients`).
 */
export function conv2dTransposeBackward<G extends GradientName = GradientName>(
  input: TensorLike,
  filters: TensorLike,
  dOutput: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat2D, G>,
): ConvTransposeGradients<G> {
  return tfBackward('conv2dTransposeBackward', 2, input, { filters, dOutput, outputShape, strides, padding, options });
}

/** Gradients of `conv3dTranspose`; arguments and result as `conv2dTransposeBackward`. */
export function conv3dTransposeBackward<G extends GradientName = GradientName>(
  input: TensorLike,
  filters: TensorLike,
  dOutput: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat3D, G>,
): ConvTransposeGradients<G> {
  return tfBackward('conv3dTransposeBackward', 3, input, { filters, dOutput, outputShape, strides, padding, options });
}

/** conv1dTransposeBackward off the JS thread (native backends). */
export function conv1dTransposeBackwardAsync<G extends GradientName = GradientName>(
  input: TensorLike,
  filters: TensorLike,
  dOutput: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat1D, G>,
): Promise<ConvTransposeGradients<G>> {
  return tfBackwardAsync('conv1dTransposeBackward', 1, input, { filters, dOutput, outputShape, strides, padding, options });
}

/** conv2dTransposeBackward off the JS thread (native backends). */
export function conv2dTransposeBackwardAsync<G extends GradientName = GradientName>(
  input: TensorLike,
  filters: TensorLike,
  dOutput: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat2D, G>,
): Promise<ConvTransposeGradients<G>> {
  return tfBackwardAsync('conv2dTransposeBackward', 2, input, { filters, dOutput, outputShape, strides, padding, options });
}

/** conv3dTransposeBackward off the JS thread (native backends). */
export function conv3dTransposeBackwardAsync<G extends GradientName = GradientName>(
  input: TensorLike,
  filters: TensorLike,
  dOutput: TensorLike,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: TfConvTransposeBackwardOptions<TfDataFormat3D, G>,
): Promise<ConvTransposeGradients<G>> {
  return tfBackwardAsync('conv3dTransposeBackward', 3, input, { filters, dOutput, outputShape, strides, padding, options });
}
