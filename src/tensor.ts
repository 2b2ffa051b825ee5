import { typeError } from './errors.js';
import { checkedProduct, checkShape } from './problem/checks.js';

/** What every op accepts: any object with a shape and float32 data laid out row-major. */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The data types a Tensor can hold. Only float32 today. */
export type DType = 'float32';

/**
 * A dense row-major float32 tensor. Ops return these; `data` is the output memory itself (no copy
 * is made when reading it).
 */
export class Tensor implements TensorLike {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  readonly dtype: DType = 'float32';

  constructor(shape: readonly number[], data?: Float32Array) {
    const dims = checkShape('shape', shape);
    const size = checkedProduct('shape', dims);
    if (data !== undefined && !(data instanceof Float32Array)) throw typeError('data', 'a Float32Array', data);
    this.shape = Object.freeze(dims);
    this.data = data ?? new Float32Array(size);
    if (this.data.length !== size) {
      throw new RangeError(
        `Tensor data must have ${size} elements for shape [${shape.join(', ')}], but got ${this.data.length}`,
      );
    }
  }

  /**
   * @internal A Tensor over data whose shape was already checked (the hot path of plans): no copy
   * and no validation. `shape` must be frozen and match `data`.
   */
  static trusted(shape: readonly number[], data: Float32Array): Tensor {
    const t = Object.create(Tensor.prototype) as { shape: readonly number[]; data: Float32Array; dtype: DType };
    t.shape = shape;
    t.data = data;
    t.dtype = 'float32';
    return t as unknown as Tensor;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** Rank (number of dimensions). */
  get rank(): number {
    return this.shape.length;
  }
}

/** Makes a Tensor from data and a shape; a plain number array is converted to a Float32Array. */
export function tensor(data: Float32Array | readonly number[], shape: readonly number[]): Tensor {
  if (data instanceof Float32Array) return new Tensor(shape, data);
  if (!Array.isArray(data)) throw typeError('data', 'a Float32Array or an array of numbers', data);
  const bad = data.findIndex((v) => typeof v !== 'number');
  if (bad >= 0) throw typeError(`data[${bad}]`, 'a number', data[bad]);
  return new Tensor(shape, Float32Array.from(data));
}
