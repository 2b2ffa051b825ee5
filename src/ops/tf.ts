/**
 * tf.nn.conv1d_transpose, conv2d_transpose and conv3d_transpose, with TensorFlow's arguments and
 * TensorFlow's rules for what they accept; each with an async twin.
 */
import { checkOptions, normalizeTfCall, type TfDataFormat1D, type TfDataFormat2D, type TfDataFormat3D, type TfPadding } from '../problem/index.js';
import type { DeviceTensor } from '../device-tensor.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { EXECUTION_KEYS, execute, executeAsync, prepare, withOpName, type ExecutionOptions, type PreparedCall } from './execute.js';

/** Options of the TF-style ops. */
export interface TfConvTransposeOptions<Format extends string> extends ExecutionOptions {
  /** Layout of input and output: channels last (default) or channels first. */
  dataFormat?: Format;
  /** Dilation rate: one int, one per spatial dimension, or rank + 2 with 1 at batch and channels. */
  dilations?: number | readonly number[];
  /** Optional bias, one value per output channel, added to every output element. */
  bias?: TensorLike | DeviceTensor;
}

export type Conv1DTransposeOptions = TfConvTransposeOptions<TfDataFormat1D>;
export type Conv2DTransposeOptions = TfConvTransposeOptions<TfDataFormat2D>;
export type Conv3DTransposeOptions = TfConvTransposeOptions<TfDataFormat3D>;

/** Strides: one int, one per spatial dimension, or rank + 2 with 1 at batch and channels. */
export type TfStrides = number | readonly number[];

export const TF_OPTION_KEYS = ['dataFormat', 'dilations', 'bias', ...EXECUTION_KEYS] as const;

/** The arguments of a TF-style op after the input. */
export interface TfArguments {
  readonly filters: TensorLike | DeviceTensor;
  readonly outputShape: readonly number[];
  readonly strides: TfStrides;
  readonly padding: TfPadding;
  readonly options: TfConvTransposeOptions<string> | undefined;
}

/** The TF arguments every TF-style entry shares (forward and backward). */
export interface TfCallArguments {
  readonly filters: unknown;
  readonly outputShape: readonly number[];
  readonly strides: TfStrides;
  readonly padding: TfPadding;
  readonly options: object | undefined;
}

/** Checks the options against `keys` and normalizes a TF-style call into the problem. */
export function normalizeTfArguments(rank: 1 | 2 | 3, input: unknown, args: TfCallArguments, keys: readonly string[]) {
  const options = checkOptions('options', args.options, keys);
  const normalized = normalizeTfCall({
    rank,
    input,
    filters: args.filters,
    outputShape: args.outputShape,
    strides: args.strides,
    padding: args.padding,
    dataFormat: options.dataFormat,
    dilations: options.dilations,
  });
  return { options, normalized };
}

/** Checks a TF-style call (input may be a ShapeOnly for plans) and prepares it. */
export function prepareTf(rank: 1 | 2 | 3, input: unknown, args: TfArguments): { call: PreparedCall; options: Record<string, unknown> } {
  const { options, normalized } = normalizeTfArguments(rank, input, args, TF_OPTION_KEYS);
  return { call: prepare(normalized, options.bias, 'options.bias', options, 'options'), options };
}

/** What an op returns for an input: a device tensor for a device input, else a host Tensor. */
export type ResultFor<I> = I extends DeviceTensor ? DeviceTensor : Tensor;

function run<I extends TensorLike | DeviceTensor>(op: string, rank: 1 | 2 | 3, input: I, args: TfArguments): ResultFor<I> {
  return withOpName(op, () => {
    const { call, options } = prepareTf(rank, input, args);
    return execute(call, options.backend) as ResultFor<I>;
  });
}

async function runAsync<I extends TensorLike | DeviceTensor>(op: string, rank: 1 | 2 | 3, input: I, args: TfArguments): Promise<ResultFor<I>> {
  const { call, options } = withOpName(op, () => prepareTf(rank, input, args));
  return (await executeAsync(call, options.backend)) as ResultFor<I>;
}

/**
 * The transpose of a 1-D convolution, as `tf.nn.conv1d_transpose`.
 * @param input `[N, W, C]` (NWC) or `[N, C, W]` (NCW); `[W, C]` / `[C, W]` for a single example.
 * @param filters `[KW, M/groups, C]`.
 * @param outputShape the full output shape (`[N, W, M]` in NWC).
 * @param strides one int, `[s]` or `[1, s, 1]` (data format order).
 * @param padding `'SAME'` (default) or `'VALID'`.
 */
export function conv1dTranspose<I extends TensorLike | DeviceTensor>(
  input: I,
  filters: TensorLike | DeviceTensor,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv1DTransposeOptions,
): ResultFor<I> {
  return run('conv1dTranspose', 1, input, { filters, outputShape, strides, padding, options });
}

/**
 * The transpose of a 2-D convolution (the gradient of conv2d with respect to its input), exactly
 * as `tf.nn.conv2d_transpose`.
 * @param input `[N, H, W, C]` (NHWC, default) or `[N, C, H, W]` (NCHW); rank 3 for one example.
 * @param filters `[KH, KW, M/groups, C]`; groups = output channels / `filters.shape[2]`.
 * @param outputShape the full output shape in the data format's order, or `[H, W]`.
 * @param strides one int, `[sh, sw]`, or 4 ints with 1 at batch and channels.
 * @param padding `'SAME'` (default), `'VALID'`, one int for every side, or explicit
 *   `[[0, 0], [top, bottom], [left, right], [0, 0]]` in the data format's order.
 */
export function conv2dTranspose<I extends TensorLike | DeviceTensor>(
  input: I,
  filters: TensorLike | DeviceTensor,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv2DTransposeOptions,
): ResultFor<I> {
  return run('conv2dTranspose', 2, input, { filters, outputShape, strides, padding, options });
}

/**
 * The transpose of a 3-D convolution, as `tf.nn.conv3d_transpose`.
 * @param input `[N, D, H, W, C]` (NDHWC) or `[N, C, D, H, W]` (NCDHW); rank 4 for one example.
 * @param filters `[KD, KH, KW, M/groups, C]`.
 * @param outputShape the full output shape in the data format's order.
 * @param strides one int, 3 ints, or 5 with 1 at batch and channels.
 * @param padding `'SAME'` (default) or `'VALID'`.
 */
export function conv3dTranspose<I extends TensorLike | DeviceTensor>(
  input: I,
  filters: TensorLike | DeviceTensor,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv3DTransposeOptions,
): ResultFor<I> {
  return run('conv3dTranspose', 3, input, { filters, outputShape, strides, padding, options });
}

/** conv1dTranspose off the JS thread (native backends); inputs are snapshotted at the call. */
export function conv1dTransposeAsync<I extends TensorLike | DeviceTensor>(
  input: I,
  filters: TensorLike | DeviceTensor,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv1DTransposeOptions,
): Promise<ResultFor<I>> {
  return runAsync('conv1dTranspose', 1, input, { filters, outputShape, strides, padding, options });
}

/** conv2dTranspose off the JS thread (native backends); inputs are snapshotted at the call. */
export function conv2dTransposeAsync<I extends TensorLike | DeviceTensor>(
  input: I,
  filters: TensorLike | DeviceTensor,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv2DTransposeOptions,
): Promise<ResultFor<I>> {
  return runAsync('conv2dTranspose', 2, input, { filters, outputShape, strides, padding, options });
}

/** conv3dTranspose off the JS thread (native backends); inputs are snapshotted at the call. */
export function conv3dTransposeAsync<I extends TensorLike | DeviceTensor>(
  input: I,
  filters: TensorLike | DeviceTensor,
  outputShape: readonly number[],
  strides: TfStrides,
  padding: TfPadding = 'SAME',
  options?: Conv3DTransposeOptions,
): Promise<ResultFor<I>> {
  return runAsync('conv3dTranspose', 3, input, { filters, outputShape, strides, padding, options });
}
