/**
 * The ONNX front end: turns ConvTranspose's inputs and attributes (opset 11 and later) into the
 * normalized problem, with the operator specification's defaults and its rule for how
 * output_shape and auto_pad imply pads.
 */
import { describe, rangeError } from '../errors.js';
import { checkedProduct, checkEnum, checkInt, checkIntList, checkShape, checkTensor, type CheckedTensor } from './checks.js';
import { fullOutputSize, onnxPadsForOutput } from './geometry.js';
import type { ConvTransposeProblem } from './types.js';

export type OnnxAutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

/** ConvTranspose attributes, camelCase (ONNX's snake_case names are accepted too). */
export interface ConvTransposeAttributes {
  autoPad?: OnnxAutoPad;
  dilations?: readonly number[];
  group?: number;
  kernelShape?: readonly number[];
  outputPadding?: readonly number[];
  /** Spatial output shape, or the full [N, M, ...spatial]; when given, pads are derived from it. */
  outputShape?: readonly number[];
  /** [begin..., end...] for each spatial axis. */
  pads?: readonly number[];
  strides?: readonly number[];
  /** ONNX's own spelling of autoPad (give one or the other). */
  auto_pad?: OnnxAutoPad;
  /** ONNX's own spelling of kernelShape. */
  kernel_shape?: readonly number[];
  /** ONNX's own spelling of outputPadding. */
  output_padding?: readonly number[];
  /** ONNX's own spelling of outputShape. */
  output_shape?: readonly number[];
}

export const ONNX_ATTRIBUTES = [
  'autoPad',
  'dilations',
  'group',
  'kernelShape',
  'outputPadding',
  'outputShape',
  'pads',
  'strides',
] as const;

/** ONNX's own attribute spellings, accepted as aliases. */
export const ONNX_SNAKE_CASE: Readonly<Record<string, (typeof ONNX_ATTRIBUTES)[number]>> = {
  auto_pad: 'autoPad',
  kernel_shape: 'kernelShape',
  output_padding: 'outputPadding',
  output_shape: 'outputShape',
};

export interface OnnxNormalized {
  readonly problem: ConvTransposeProblem;
  readonly input: CheckedTensor;
  readonly filters: CheckedTensor;
}

/** Reads an attribute under its camelCase or snake_case name (not both). */
export function readAttribute(attrs: Record<string, unknown>, name: (typeof ONNX_ATTRIBUTES)[number]): unknown {
  const snake = Object.keys(ONNX_SNAKE_CASE).find((k) => ONNX_SNAKE_CASE[k] === name);
  const camelValue = attrs[name];
  const snakeValue = snake === undefined ? undefined : attrs[snake];
  if (camelValue !== undefined && snakeValue !== undefined) {
    throw new TypeError(`attrs.${name} and attrs.${snake} are the same attribute; give only one of them`);
  }
  return camelValue ?? snakeValue;
}

/** Checks a ConvTranspose call and returns its normalized problem. `attrs` has known keys only. */
export function normalizeOnnxCall(X: unknown, W: unknown, attrs: Record<string, unknown>): OnnxNormalized {
  const input = checkTensor('X', X, [3, 4, 5]);
  const rank = (input.shape.length - 2) as 1 | 2 | 3;
  const filters = checkTensor('W', W, [rank + 2]);
  const [batch, inChannels] = input.shape as [number, number];
  const inSpatial = input.shape.slice(2);

  const group = readAttribute(attrs, 'group') === undefined ? 1 : checkInt('attrs.group', readAttribute(attrs, 'group'), 1);
  if (filters.shape[0] !== inChannels) {
    throw new RangeError(
      `W.shape[0] must equal X's channel count ${inChannels} (X shape [${input.shape.join(', ')}]), but got ${filters.shape[0]} (W shape [${filters.shape.join(', ')}])`,
    );
  }
  if (inChannels % group !== 0) {
    throw new RangeError(`attrs.group must divide X's channel count ${inChannels}, but got ${group}`);
  }
  const outPerGroup = filters.shape[1]!;
  if (outPerGroup < 1) throw rangeError('W.shape[1]', 'at least 1 (output channels per group)', outPerGroup);
  const outChannels = outPerGroup * group;
  const kernel = filters.shape.slice(2);
  kernel.forEach((k, i) => {
    if (k < 1) throw rangeError(`W.shape[${i + 2}]`, 'at least 1 (a kernel needs a tap)', k);
  });

  const kernelShape = readAttribute(attrs, 'kernelShape');
  if (kernelShape !== undefined) {
    const given = checkIntList('attrs.kernelShape', kernelShape, rank, 1);
    if (given.some((k, i) => k !== kernel[i])) {
      throw new RangeError(`attrs.kernelShape must match W's spatial shape [${kernel.join(', ')}], but got ${describe(given)}`);
    }
  }
  const listOr = (name: (typeof ONNX_ATTRIBUTES)[number], length: number, min: number, fallback: number) => {
    const value = readAttribute(attrs, name);
    return value === undefined ? new Array<number>(length).fill(fallback) : checkIntList(`attrs.${name}`, value, length, min);
  };
  const strides = listOr('strides', rank, 1, 1);
  const dilations = listOr('dilations', rank, 1, 1);
  const outputPadding = listOr('outputPadding', rank, 0, 0);
  outputPadding.forEach((op, i) => {
    if (op >= strides[i]! && op >= dilations[i]!) {
      throw new RangeError(
        `attrs.outputPadding[${i}] must be smaller than the stride (${strides[i]}) or the dilation (${dilations[i]}), but got ${op}`,
      );
    }
  });
  const rawAutoPad = readAttribute(attrs, 'autoPad');
  const autoPad: OnnxAutoPad =
    rawAutoPad === undefined ? 'NOTSET' : checkEnum('attrs.autoPad', rawAutoPad, ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']);
  const rawPads = readAttribute(attrs, 'pads');
  const pads = rawPads === undefined ? new Array<number>(2 * rank).fill(0) : checkIntList('attrs.pads', rawPads, 2 * rank, 0);
  // As in ONNX Runtime, explicit pads only count with auto_pad NOTSET (and no output_shape).

  // The output size: given by output_shape, implied by SAME_* (in · stride), or computed from pads.
  let requested: number[] | undefined;
  const rawOutputShape = readAttribute(attrs, 'outputShape');
  if (rawOutputShape !== undefined) {
    const dims = checkShape('attrs.outputShape', rawOutputShape);
    if (dims.length === rank + 2) {
      if (dims[0] !== batch || dims[1] !== outChannels) {
        throw new RangeError(
          `attrs.outputShape, given in full, must start with [N, M] = [${batch}, ${outChannels}], but got ${describe(dims)}`,
        );
      }
      requested = dims.slice(2);
    } else if (dims.length === rank) {
      requested = dims;
    } else {
      throw rangeError('attrs.outputShape', `${rank} spatial dimensions or the full ${rank + 2}`, dims);
    }
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    requested = inSpatial.map((n, i) => n * strides[i]!);
  }

  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  const outSpatial: number[] = [];
  for (let i = 0; i < rank; i++) {
    const full = fullOutputSize(inSpatial[i]!, kernel[i]!, strides[i]!, dilations[i]!);
    let begin: number;
    let end: number;
    if (requested !== undefined) {
      const total = full + outputPadding[i]! - requested[i]!;
      // An output may outgrow the full one by less than a stride (the positions a forward
      // convolution of it would still map onto the input, as ONNX Runtime checks); not more.
      if (total <= -strides[i]! && rawOutputShape !== undefined) {
        throw new RangeError(
          `attrs.outputShape must be at most ${full + outputPadding[i]! + strides[i]! - 1} along spatial axis ${i} (the full output ${full + outputPadding[i]!} plus less than one stride ${strides[i]}), but got ${requested[i]}`,
        );
      }
      ({ begin, end } = onnxPadsForOutput(total, autoPad));
    } else if (autoPad === 'VALID') {
      [begin, end] = [0, 0];
    } else {
      [begin, end] = [pads[i]!, pads[i + rank]!];
    }
    const size = full + outputPadding[i]! - begin - end;
    if (size < 1) {
      const source = rawOutputShape !== undefined ? 'attrs.outputShape' : 'attrs.pads';
      throw new RangeError(
        `${source}: the output size along spatial axis ${i} must be at least 1, but the input size ${inSpatial[i]}, kernel ${kernel[i]}, stride ${strides[i]}, dilation ${dilations[i]}, pads [${begin}, ${end}] and output padding ${outputPadding[i]} give ${size}`,
      );
    }
    padsBegin.push(begin);
    padsEnd.push(end - outputPadding[i]!);
    outSpatial.push(size);
  }

  const outputShape = [batch, outChannels, ...outSpatial];
  checkedProduct(rawOutputShape !== undefined ? 'attrs.outputShape' : 'the output (of X, W, attrs.strides, attrs.dilations and attrs.pads)', outputShape);

  const problem: ConvTransposeProblem = {
    rank,
    batch,
    inChannels,
    outChannels,
    groups: group,
    inSpatial,
    outSpatial,
    kernel,
    strides,
    dilations,
    padsBegin,
    padsEnd,
    layout: 'channelsFirst',
    filterLayout: 'inOutSpatial',
    hasBias: false,
    activation: 'none',
    activationAlpha: 0,
    math: 'float32',
    outputShape,
  };
  return { problem, input, filters };
}
