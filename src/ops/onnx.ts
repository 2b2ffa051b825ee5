/** ONNX ConvTranspose (opset 11 and later). */
import { checkOptions, normalizeOnnxCall, ONNX_ATTRIBUTES, ONNX_SNAKE_CASE, type ConvTransposeAttributes } from '../problem/index.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { execute, prepare, withOpName, type ExecutionOptions } from './execute.js';

/** ConvTranspose attributes plus where and how to run. */
export interface ConvTransposeOptions extends ConvTransposeAttributes, ExecutionOptions {}

const KEYS = [...ONNX_ATTRIBUTES, ...Object.keys(ONNX_SNAKE_CASE), 'backend', 'out'];

/**
 * ONNX `ConvTranspose`.
 * @param X `[N, C, D1, ..., Dn]`, n = 1, 2 or 3.
 * @param W `[C, M/group, k1, ..., kn]`.
 * @param B optional bias `[M]` (null or undefined for none).
 * @param attrs the operator's attributes (spec defaults when omitted) plus `backend` and `out`.
 */
export function convTranspose(X: TensorLike, W: TensorLike, B?: TensorLike | null, attrs?: ConvTransposeOptions): Tensor {
  return withOpName('convTranspose', () => {
    const opts = checkOptions('attrs', attrs, KEYS);
    const normalized = normalizeOnnxCall(X, W, opts);
    const call = prepare(normalized, B, 'B', opts.out, 'attrs.out');
    return execute(call, opts.backend);
  });
}
