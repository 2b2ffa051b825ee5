/** ONNX ConvTranspose (opset 11 and later), with an async twin. */
import { checkOptions, normalizeOnnxCall, ONNX_ATTRIBUTES, ONNX_SNAKE_CASE, type ConvTransposeAttributes } from '../problem/index.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { EXECUTION_KEYS, execute, executeAsync, prepare, withOpName, type ExecutionOptions, type PreparedCall } from './execute.js';

/** ConvTranspose attributes plus where and how to run. */
export interface ConvTransposeOptions extends ConvTransposeAttributes, ExecutionOptions {}

const KEYS = [...ONNX_ATTRIBUTES, ...Object.keys(ONNX_SNAKE_CASE), ...EXECUTION_KEYS];

/** Checks a ConvTranspose call (X may be a ShapeOnly for plans) and prepares it. */
export function prepareOnnx(X: unknown, W: unknown, B: unknown, attrs: unknown): { call: PreparedCall; options: Record<string, unknown> } {
  const options = checkOptions('attrs', attrs, KEYS);
  const normalized = normalizeOnnxCall(X, W, options);
  return { call: prepare(normalized, B, 'B', options, 'attrs'), options };
}

/**
 * ONNX `ConvTranspose`.
 * @param X `[N, C, D1, ..., Dn]`, n = 1, 2 or 3.
 * @param W `[C, M/group, k1, ..., kn]`.
 * @param B optional bias `[M]` (null or undefined for none).
 * @param attrs the operator's attributes (spec defaults when omitted) plus execution options.
 */
export function convTranspose(X: TensorLike, W: TensorLike, B?: TensorLike | null, attrs?: ConvTransposeOptions): Tensor {
  return withOpName('convTranspose', () => {
    const { call, options } = prepareOnnx(X, W, B, attrs);
    return execute(call, options.backend);
  });
}

/** convTranspose off the JS thread (native backends); inputs are snapshotted at the call. */
export async function convTransposeAsync(X: TensorLike, W: TensorLike, B?: TensorLike | null, attrs?: ConvTransposeOptions): Promise<Tensor> {
  const { call, options } = withOpName('convTranspose', () => prepareOnnx(X, W, B, attrs));
  return executeAsync(call, options.backend);
}
