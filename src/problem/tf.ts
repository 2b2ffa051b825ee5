/**
 * The TensorFlow front end: turns the arguments of tf.nn.conv{1,2,3}d_transpose into the
 * normalized problem, refusing what TensorFlow refuses.
 */
import { describe, rangeError, typeError } from '../errors.js';
import { checkedProduct, checkEnum, checkInt, checkShape, checkTensor, type CheckedTensor } from './checks.js';
import { fullOutputSize, tfForwardWindow, type TfPaddingMode } from './geometry.js';
import type { ConvTransposeProblem } from './types.js';

/** `'SAME'`, `'VALID'` (either case), one pad for every side, or TF's explicit list of pairs. */
export type TfPadding = 'SAME' | 'VALID' | 'same' | 'valid' | number | readonly (readonly number[])[];

export type TfDataFormat1D = 'NWC' | 'NCW';
export type TfDataFormat2D = 'NHWC' | 'NCHW';
export type TfDataFormat3D = 'NDHWC' | 'NCDHW';

/** The arguments of one TF-style call, before any checking. */
export interface TfCall {
  readonly rank: 1 | 2 | 3;
  readonly input: unknown;
  readonly filters: unknown;
  readonly outputShape: unknown;
  readonly strides: unknown;
  readonly padding: unknown;
  readonly dataFormat: unknown;
  readonly dilations: unknown;
}

/** A checked TF-style call: the problem plus the tensors it runs on. */
export interface TfNormalized {
  readonly problem: ConvTransposeProblem;
  readonly input: CheckedTensor;
  readonly filters: CheckedTensor;
}

const FORMATS: Record<1 | 2 | 3, readonly [string, string]> = {
  1: ['NWC', 'NCW'],
  2: ['NHWC', 'NCHW'],
  3: ['NDHWC', 'NCDHW'],
};

/** TF-style per-dimension list: one int, `rank` ints, or rank + 2 ints with 1 at batch and channels. */
function spatialList(
  argument: string,
  value: unknown,
  rank: number,
  channelsLast: boolean,
  fallback: number | undefined,
): number[] {
  if (value === undefined || value === null) {
    if (fallback === undefined) throw typeError(argument, `an integer or a list of 1, ${rank} or ${rank + 2} integers`, value);
    return new Array<number>(rank).fill(fallback);
  }
  if (typeof value === 'number') return new Array<number>(rank).fill(checkInt(argument, value, 1));
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw typeError(argument, `an integer or a list of 1, ${rank} or ${rank + 2} integers`, value);
  }
  const list = Array.from(value as ArrayLike<unknown>).map((v, i) => checkInt(`${argument}[${i}]`, v, 1));
  if (list.length === 1) return new Array<number>(rank).fill(list[0]!);
  if (list.length === rank) return list;
  if (list.length === rank + 2) {
    const batch = list[0]!;
    const channel = channelsLast ? list[rank + 1]! : list[1]!;
    if (batch !== 1 || channel !== 1) {
      throw rangeError(argument, `1 in the batch and channel dimensions (TensorFlow does not support ${argument} there)`, value);
    }
    return channelsLast ? list.slice(1, rank + 1) : list.slice(2);
  }
  throw rangeError(argument, `an integer or a list of 1, ${rank} or ${rank + 2} integers`, value);
}

/**
 * Padding as TF takes it. Explicit padding exists only for 2-D (tf.nn.conv2d_transpose; a single
 * number pads every side, as in TensorFlow.js); conv1d_transpose and conv3d_transpose take only
 * 'SAME' or 'VALID', and TF raises a TypeError for anything else.
 */
function parsePadding(value: unknown, rank: number, channelsLast: boolean): TfPaddingMode[] {
  const argument = 'padding';
  const expected = rank === 2 ? `'SAME', 'VALID' or a list of ${rank + 2} [before, after] pairs` : `'SAME' or 'VALID'`;
  if (typeof value === 'string') {
    const mode = value.toUpperCase();
    if (mode === 'SAME' || mode === 'VALID') return new Array(rank).fill({ kind: mode });
    throw rangeError(argument, expected, value);
  }
  if (rank !== 2) throw typeError(argument, `${expected} (explicit padding is 2-D only, as in TensorFlow)`, value);
  if (typeof value === 'number') {
    const pad = checkInt(argument, value, 0);
    return new Array(rank).fill({ kind: 'EXPLICIT', before: pad, after: pad });
  }
  if (!Array.isArray(value)) {
    throw typeError(argument, expected, value);
  }
  if (value.length !== rank + 2) {
    throw rangeError(argument, `a list of ${rank + 2} [before, after] pairs in the data format's order`, value);
  }
  const pairs = value.map((pair: unknown, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw typeError(`padding[${i}]`, 'a [before, after] pair of non-negative integers', pair);
    }
    return [checkInt(`padding[${i}][0]`, pair[0], 0), checkInt(`padding[${i}][1]`, pair[1], 0)] as const;
  });
  const batchPair = pairs[0]!;
  const channelPair = channelsLast ? pairs[rank + 1]! : pairs[1]!;
  if (batchPair[0] !== 0 || batchPair[1] !== 0 || channelPair[0] !== 0 || channelPair[1] !== 0) {
    throw rangeError(argument, '[0, 0] for the batch and channel dimensions', value);
  }
  const spatial = channelsLast ? pairs.slice(1, rank + 1) : pairs.slice(2);
  return spatial.map(([before, after]) => ({ kind: 'EXPLICIT', before, after }));
}

function describePadding(mode: TfPaddingMode): string {
  return mode.kind === 'EXPLICIT' ? `explicit padding [${mode.before}, ${mode.after}]` : `padding ${mode.kind}`;
}

/** Checks a TF-style call and returns its normalized problem. */
export function normalizeTfCall(call: TfCall): TfNormalized {
  const { rank } = call;
  const formats = FORMATS[rank];
  const dataFormat = call.dataFormat === undefined ? formats[0] : checkEnum('options.dataFormat', call.dataFormat, formats);
  const channelsLast = dataFormat === formats[0];
  const axisNames = dataFormat.slice(channelsLast ? 1 : 2, channelsLast ? -1 : undefined);

  const input = checkTensor('input', call.input, [rank + 2, rank + 1]);
  const unbatched = input.shape.length === rank + 1;
  const inShape = unbatched ? [1, ...input.shape] : input.shape;
  const batch = inShape[0]!;
  const inChannels = channelsLast ? inShape[rank + 1]! : inShape[1]!;
  const inSpatial = channelsLast ? inShape.slice(1, rank + 1) : inShape.slice(2);

  const filters = checkTensor('filters', call.filters, [rank + 2]);
  const kernel = filters.shape.slice(0, rank);
  const filterOut = filters.shape[rank]!;
  const filterIn = filters.shape[rank + 1]!;
  kernel.forEach((k, i) => {
    if (k < 1) throw rangeError(`filters.shape[${i}]`, 'at least 1 (a kernel needs a tap)', k);
  });
  if (filterOut < 1) throw rangeError(`filters.shape[${rank}]`, 'at least 1 (output channels per group)', filterOut);
  if (filterIn !== inChannels) {
    throw new RangeError(
      `filters.shape[${rank + 1}] must equal the input's channel count ${inChannels} (input shape [${input.shape.join(', ')}], ${dataFormat}), but got ${filterIn} (filters shape [${filters.shape.join(', ')}])`,
    );
  }

  const strides = spatialList('strides', call.strides, rank, channelsLast, undefined);
  const dilations = spatialList('options.dilations', call.dilations, rank, channelsLast, 1);

  // outputShape: the full output shape (batched, or unbatched like the input), or its spatial part.
  const outDims = checkShape('outputShape', call.outputShape);
  const fullLength = unbatched ? rank + 1 : rank + 2;
  let outChannels: number;
  let outSpatial: number[];
  if (outDims.length === fullLength) {
    const full = unbatched ? [batch, ...outDims] : outDims;
    if (full[0] !== batch) {
      throw new RangeError(
        `outputShape[0] (batch) must equal the input's batch size ${batch}, but got ${full[0]} (outputShape ${describe(outDims)})`,
      );
    }
    outChannels = channelsLast ? full[rank + 1]! : full[1]!;
    outSpatial = channelsLast ? full.slice(1, rank + 1) : full.slice(2);
  } else if (rank === 2 && outDims.length === rank) {
    // conv2d_backprop_input also takes [H, W]: batch from the input, channels from the filter.
    outChannels = filterOut;
    outSpatial = outDims;
  } else {
    const spatialToo = rank === 2 ? ` or ${rank} (its spatial part)` : '';
    throw rangeError('outputShape', `${fullLength} dimensions (the full output shape in ${dataFormat} order)${spatialToo}`, outDims);
  }
  const channelArg = `outputShape channel dimension`;
  if (outChannels < 1 || outChannels % filterOut !== 0) {
    throw new RangeError(
      `${channelArg} must be a positive multiple of filters.shape[${rank}] = ${filterOut} (the output channels per group), but got ${outChannels}`,
    );
  }
  const groups = outChannels / filterOut;
  if (inChannels % groups !== 0) {
    throw new RangeError(
      `input channels ${inChannels} must be divisible by the group count ${groups} (= ${channelArg} ${outChannels} / filters.shape[${rank}] ${filterOut}), but they are not`,
    );
  }

  const padding = parsePadding(call.padding === undefined ? 'SAME' : call.padding, rank, channelsLast);
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  for (let i = 0; i < rank; i++) {
    const window = tfForwardWindow(outSpatial[i]!, kernel[i]!, strides[i]!, dilations[i]!, padding[i]!);
    const how = `a convolution with filter ${kernel[i]}, stride ${strides[i]}, dilation ${dilations[i]} and ${describePadding(padding[i]!)}`;
    if (window.size < 0) {
      throw new RangeError(
        `outputShape is too small along ${axisNames[i]}: ${how} would map ${outSpatial[i]} to a negative size ${window.size}`,
      );
    }
    if (window.size !== inSpatial[i]) {
      throw new RangeError(
        `outputShape cannot be produced along ${axisNames[i]}: ${how} maps an output of ${outSpatial[i]} to ${window.size}, but the input has ${inSpatial[i]}`,
      );
    }
    padsBegin.push(window.padBefore);
    padsEnd.push(fullOutputSize(inSpatial[i]!, kernel[i]!, strides[i]!, dilations[i]!) - window.padBefore - outSpatial[i]!);
  }

  const fullOut = channelsLast ? [batch, ...outSpatial, outChannels] : [batch, outChannels, ...outSpatial];
  checkedProduct('outputShape', fullOut);
  const problem: ConvTransposeProblem = {
    rank,
    batch,
    inChannels,
    outChannels,
    groups,
    inSpatial,
    outSpatial,
    kernel,
    strides,
    dilations,
    padsBegin,
    padsEnd,
    layout: channelsLast ? 'channelsLast' : 'channelsFirst',
    filterLayout: 'spatialOutIn',
    hasBias: false,
    activation: 'none',
    activationAlpha: 0,
    math: 'float32',
    outputShape: unbatched ? fullOut.slice(1) : fullOut,
  };
  return { problem, input, filters };
}

