/**
 * Gradients of a transposed convolution, on the normalized problem. With
 *   y[n, g·Mg + m, i·s + k·d − padsBegin] += x[n, g·Cg + c, i] · w[g, c, m, k]   (+ bias[m])
 * and dy = ∂L/∂y of the same shape as y:
 *   dx[n, g·Cg + c, i] = Σ_{m, k} dy[n, g·Mg + m, i·s + k·d − padsBegin] · w[g, c, m, k]
 *       — the forward (ordinary) convolution of dy with the same filter;
 *   dw[g, c, m, k]     = Σ_{n, i}  x[n, g·Cg + c, i] · dy[n, g·Mg + m, i·s + k·d − padsBegin]
 *       — the weight gradient of that convolution, with input and output swapped;
 *   db[m]              = Σ_{n, o}  dy[n, m, o].
 * Positions of dy outside the full output (negative pads) reach no input and only count for db.
 * The activation is not part of the backward problem: callers differentiate it themselves.
 */
import { describe, rangeError, typeError } from '../errors.js';
import { checkTensor, type CheckedTensor } from './checks.js';
import type { ConvTransposeProblem } from './types.js';

/** The three gradients: of the input (dX), the filters (dW) and the bias (dB). */
export type GradientName = 'dX' | 'dW' | 'dB';
export const GRADIENT_NAMES: readonly GradientName[] = ['dX', 'dW', 'dB'];

/** Which gradients a backward call computes. */
export interface WantedGradients {
  readonly dX: boolean;
  readonly dW: boolean;
  readonly dB: boolean;
}

/** `options.gradients`: a list of gradient names (default: all three), at least one. */
export function checkWantedGradients(argument: string, value: unknown): WantedGradients {
  if (value === undefined) return { dX: true, dW: true, dB: true };
  const expected = `a non-empty array of 'dX', 'dW' and 'dB'`;
  if (!Array.isArray(value)) throw typeError(argument, expected, value);
  if (value.length === 0) throw rangeError(argument, expected, value);
  const wanted = { dX: false, dW: false, dB: false };
  value.forEach((name: unknown, i) => {
    if (typeof name !== 'string') throw typeError(`${argument}[${i}]`, `'dX', 'dW' or 'dB'`, name);
    if (!(GRADIENT_NAMES as readonly string[]).includes(name)) throw rangeError(`${argument}[${i}]`, `'dX', 'dW' or 'dB'`, name);
    wanted[name as GradientName] = true;
  });
  return wanted;
}

/** The output gradient: a tensor of exactly the forward output's shape. */
export function checkOutputGradient(problem: ConvTransposeProblem, argument: string, value: unknown): CheckedTensor {
  const dy = checkTensor(argument, value);
  const expected = problem.outputShape;
  if (dy.shape.length !== expected.length || dy.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(
      `${argument} must have the forward output's shape [${expected.join(', ')}], but got ${describe(dy.shape)}`,
    );
  }
  return dy;
}

/** The problem a backward call describes: the forward problem without bias and activation. */
export function backwardProblem(problem: ConvTransposeProblem): ConvTransposeProblem {
  return { ...problem, hasBias: false, activation: 'none', activationAlpha: 0, math: 'float32' };
}
