/**
 * Argument checks shared by every front end. Each one either returns the value in a normalized
 * form or throws a TypeError/RangeError naming the argument.
 */
import { describe, rangeError, typeError } from '../errors.js';
import type { TensorLike } from '../tensor.js';

/**
 * Largest element count of any tensor deconv accepts or makes (2^31 − 1, 8 GiB of float32). It keeps
 * every index inside a signed 32-bit integer for native code and stops absurd allocations early.
 */
export const MAX_ELEMENTS = 2 ** 31 - 1;

const EMPTY = new Float32Array(0);

/**
 * Stands for a tensor of which only the shape is known yet (a plan is made for an input shape
 * before any input exists). checkTensor validates its shape and gives it no data.
 */
export class ShapeOnly {
  constructor(readonly shape: unknown) {}
}

/** A device tensor as the checks see it (the class is src/device-tensor.ts; no import, no cycle). */
export interface DeviceTensorRef {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'float16' | 'bfloat16';
  readonly device: number;
  readonly disposed: boolean;
}

const DEVICE_TENSOR = Symbol.for('deconv.DeviceTensor');

/** Whether `value` is one of deconv's device tensors. */
export function isDeviceTensorRef(value: unknown): value is DeviceTensorRef {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEVICE_TENSOR] === true;
}

/**
 * A validated tensor: shape copied into a plain array, data the caller's own Float32Array. For a
 * device tensor, `data` is empty and `device` is the tensor.
 */
export interface CheckedTensor {
  readonly shape: number[];
  readonly data: Float32Array;
  readonly device?: DeviceTensorRef;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/** Product of dims, refusing results past MAX_ELEMENTS (checked step by step, so no overflow). */
export function checkedProduct(argument: string, dims: readonly number[]): number {
  let size = 1;
  for (const d of dims) {
    size *= d;
    if (size > MAX_ELEMENTS) {
      throw new RangeError(
        `${argument} has too many elements: the shape [${dims.join(', ')}] holds more than ${MAX_ELEMENTS} (2^31 − 1)`,
      );
    }
  }
  return size;
}

/** A non-negative integer dimension list. */
export function checkShape(argument: string, shape: unknown): number[] {
  if (!Array.isArray(shape) && !(ArrayBuffer.isView(shape) && !(shape instanceof DataView))) {
    throw typeError(argument, 'an array of non-negative integers', shape);
  }
  const dims = Array.from(shape as ArrayLike<unknown>);
  dims.forEach((d, i) => {
    if (typeof d !== 'number') throw typeError(`${argument}[${i}]`, 'a non-negative integer', d);
    if (!Number.isInteger(d) || d < 0) throw rangeError(`${argument}[${i}]`, 'a non-negative integer', d);
    // One dimension past the element limit is refused even when another is 0 (an empty tensor):
    // sizes that large lose exactness in the floating-point shape arithmetic.
    if (d > MAX_ELEMENTS) throw rangeError(`${argument}[${i}]`, `a non-negative integer no larger than ${MAX_ELEMENTS} (2^31 − 1)`, d);
  });
  return dims as number[];
}

/**
 * Checks that `value` is a tensor: `{ shape, data }` with data a Float32Array whose length matches
 * the shape, and (when given) that its rank is one of `ranks`.
 */
export function checkTensor(argument: string, value: unknown, ranks?: readonly number[]): CheckedTensor {
  if (value instanceof ShapeOnly) {
    const shape = checkShape(`${argument} shape`, value.shape);
    if (ranks && !ranks.includes(shape.length)) {
      throw new RangeError(`${argument} shape must have ${ranks.join(' or ')} dimensions, but got [${shape.join(', ')}]`);
    }
    checkedProduct(argument, shape);
    return { shape, data: EMPTY };
  }
  if (isDeviceTensorRef(value)) {
    if (value.disposed) throw new TypeError(`${argument} is a disposed device tensor`);
    const shape = checkShape(`${argument}.shape`, value.shape);
    if (ranks && !ranks.includes(shape.length)) {
      const expected = ranks.length === 1 ? `rank ${ranks[0]}` : `rank ${ranks.slice(0, -1).join(', ')} or ${ranks[ranks.length - 1]}`;
      throw new RangeError(`${argument} must be of ${expected}, but got rank ${shape.length} (shape [${shape.join(', ')}])`);
    }
    return { shape, data: EMPTY, device: value };
  }
  if (!isPlainObject(value)) {
    throw typeError(argument, 'a tensor { shape: number[], data: Float32Array }', value);
  }
  const shape = checkShape(`${argument}.shape`, value.shape);
  const data = value.data;
  if (!(data instanceof Float32Array)) {
    throw typeError(`${argument}.data`, 'a Float32Array', data);
  }
  if (ranks && !ranks.includes(shape.length)) {
    const expected = ranks.length === 1 ? `rank ${ranks[0]}` : `rank ${ranks.slice(0, -1).join(', ')} or ${ranks[ranks.length - 1]}`;
    throw new RangeError(`${argument} must be of ${expected}, but got rank ${shape.length} (shape [${shape.join(', ')}])`);
  }
  const size = checkedProduct(argument, shape);
  if (data.length !== size) {
    const detached = data.byteLength === 0 && size > 0 ? ' (its ArrayBuffer may be detached)' : '';
    throw new RangeError(
      `${argument}.data must have ${size} elements for shape [${shape.join(', ')}], but got ${data.length}${detached}`,
    );
  }
  return { shape, data };
}

/**
 * An integer ≥ min (and ≤ max, by default 2^31 − 1: strides, dilations, pads and groups that
 * large mean nothing, and would lose exactness in the floating-point shape arithmetic).
 */
export function checkInt(argument: string, value: unknown, min: number, max = MAX_ELEMENTS): number {
  if (typeof value !== 'number') throw typeError(argument, `an integer ≥ ${min}`, value);
  if (!Number.isInteger(value) || value < min) throw rangeError(argument, `an integer ≥ ${min}`, value);
  if (value > max) throw rangeError(argument, `an integer from ${min} to ${max}`, value);
  return value;
}

/** A list of integers ≥ min of exactly `length` entries. */
export function checkIntList(argument: string, value: unknown, length: number, min: number): number[] {
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    throw typeError(argument, `an array of ${length} integers ≥ ${min}`, value);
  }
  const list = Array.from(value as ArrayLike<unknown>);
  if (list.length !== length) {
    throw rangeError(argument, `an array of ${length} integers ≥ ${min} (got ${list.length} entries)`, value);
  }
  return list.map((v, i) => checkInt(`${argument}[${i}]`, v, min));
}

/** Refuses keys of an options object that the function does not know (a typo would be ignored). */
export function checkOptions(
  argument: string,
  value: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw typeError(argument, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(
        `${argument} has an unknown key ${describe(key)}; expected only ${known.map((k) => `'${k}'`).join(', ')}`,
      );
    }
  }
  return value;
}

/** One of a fixed set of strings. */
export function checkEnum<T extends string>(argument: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string') throw typeError(argument, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  if (!(allowed as readonly string[]).includes(value)) {
    throw rangeError(argument, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

/** Tensors that share memory would be corrupted when one is the output of the other's op. */
export function overlaps(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer) return false;
  const aEnd = a.byteOffset + a.byteLength;
  const bEnd = b.byteOffset + b.byteLength;
  return a.byteOffset < bEnd && b.byteOffset < aEnd;
}

export type { TensorLike };
