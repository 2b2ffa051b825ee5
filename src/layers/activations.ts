/**
 * Layer activations and their derivatives. The forward pass fuses them into the backend's kernel
 * (see ExecutionOptions.activation); the backward pass needs f′ at each output, which for every
 * activation here is a function of the output y = f(v) alone, so layers keep y, not v.
 */
import { activate, DEFAULT_ALPHA } from '../activation.js';
import { checkEnum } from '../problem/index.js';

export const ACTIVATION_NAMES = ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu'] as const;
/** Keras's activation names (camelCase), 'linear' meaning none. */
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

export function checkActivation(argument: string, value: unknown): ActivationName {
  return value === undefined || value === null ? 'linear' : checkEnum(argument, value, ACTIVATION_NAMES);
}

/** leakyRelu's slope (default 0.2) or elu's scale (default 1); 0 for the others. */
export function defaultAlpha(name: ActivationName): number {
  return name === 'linear' ? 0 : DEFAULT_ALPHA[name];
}

/** f(v) elementwise into a new array. */
export function applyActivation(name: ActivationName, alpha: number, v: Float32Array): Float32Array {
  if (name === 'linear') return v.slice();
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = activate(name, alpha, v[i]!);
  return out;
}

/** dv = dy · f′(v), with f′ written in terms of the output y = f(v). */
export function activationBackward(name: ActivationName, alpha: number, y: Float32Array, dy: Float32Array): Float32Array {
  if (name === 'linear') return dy;
  const dv = new Float32Array(dy.length);
  for (let i = 0; i < dy.length; i++) {
    const out = y[i]!;
    let slope: number;
    switch (name) {
      case 'relu':
        slope = out > 0 ? 1 : 0;
        break;
      case 'leakyRelu':
        slope = out > 0 ? 1 : alpha; // y > 0 exactly when v > 0 (alpha ≥ 0)
        break;
      case 'sigmoid':
        slope = out * (1 - out);
        break;
      case 'tanh':
        slope = 1 - out * out;
        break;
      case 'elu':
        slope = out > 0 ? 1 : out + alpha; // α·eᵛ = y + α below zero
        break;
    }
    dv[i] = dy[i]! * slope;
  }
  return dv;
}
