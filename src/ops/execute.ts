/**
 * What every op does after its front end has normalized the call: check the bias and the `out`
 * tensor against the problem, pick the backend, run it, and hand back the output tensor.
 */
import { selectBackend, type BackendChoice } from '../backends/registry.js';
import { checkTensor, overlaps, type CheckedTensor, type ConvTransposeProblem } from '../problem/index.js';
import { Tensor, type TensorLike } from '../tensor.js';

/** Options every op takes. */
export interface ExecutionOptions {
  /** Which backend computes: 'auto' (default) picks the best available one. */
  backend?: BackendChoice;
  /**
   * A preallocated output (its shape must equal the result's). The result is written into its
   * data and a Tensor viewing that same memory is returned, so a loop allocates nothing.
   */
  out?: TensorLike;
}

export interface PreparedCall {
  readonly problem: ConvTransposeProblem;
  readonly input: CheckedTensor;
  readonly filters: CheckedTensor;
  readonly bias: CheckedTensor | undefined;
  readonly out: Float32Array;
}

/** Checks bias and out against the problem and returns everything a backend needs. */
export function prepare(
  normalized: { problem: ConvTransposeProblem; input: CheckedTensor; filters: CheckedTensor },
  biasValue: unknown,
  biasArgument: string,
  outValue: unknown,
  outArgument: string,
): PreparedCall {
  let { problem } = normalized;
  const { input, filters } = normalized;
  let bias: CheckedTensor | undefined;
  if (biasValue !== undefined && biasValue !== null) {
    bias = checkTensor(biasArgument, biasValue, [1]);
    if (bias.shape[0] !== problem.outChannels) {
      throw new RangeError(
        `${biasArgument} must have one value per output channel (shape [${problem.outChannels}]), but got shape [${bias.shape.join(', ')}]`,
      );
    }
    problem = { ...problem, hasBias: true };
  }
  let out: Float32Array;
  if (outValue !== undefined && outValue !== null) {
    const given = checkTensor(outArgument, outValue);
    const expected = problem.outputShape;
    if (given.shape.length !== expected.length || given.shape.some((d, i) => d !== expected[i])) {
      throw new RangeError(
        `${outArgument} must have the result's shape [${expected.join(', ')}], but got [${given.shape.join(', ')}]`,
      );
    }
    for (const [name, t] of [['input', input], ['filters', filters], ['bias', bias]] as const) {
      if (t && overlaps(given.data, t.data)) {
        throw new RangeError(`${outArgument} must not share memory with the ${name} it is computed from`);
      }
    }
    out = given.data;
  } else {
    out = new Float32Array(problem.outputShape.reduce((a, b) => a * b, 1));
  }
  return { problem, input, filters, bias, out };
}

/** Runs a prepared call on the chosen backend and wraps the output. */
export function execute(call: PreparedCall, backend: unknown): Tensor {
  const chosen = selectBackend(backend);
  chosen.convTranspose(call.problem, call.input.data, call.filters.data, call.bias?.data, call.out);
  return new Tensor(call.problem.outputShape, call.out);
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
