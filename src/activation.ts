/** The activations a transposed convolution can fuse, as the reference computes them. */
import type { Activation } from './problem/index.js';

/** Default alpha per activation: tf.nn.leaky_relu's 0.2 and tf.nn.elu's 1. */
export const DEFAULT_ALPHA: Readonly<Record<Activation, number>> = {
  none: 0,
  relu: 0,
  leakyRelu: 0.2,
  sigmoid: 0,
  tanh: 0,
  elu: 1,
};

/** f(v) for one value. */
export function activate(activation: Activation, alpha: number, v: number): number {
  switch (activation) {
    case 'none':
      return v;
    case 'relu':
      // max(v, 0) in IEEE maxNum's sense: NaN gives 0, as oneDNN's kernels compute it.
      return v > 0 ? v : 0;
    case 'leakyRelu':
      // A slope of 0 is relu (NaN and −∞ give 0, not NaN · 0); otherwise NaN stays NaN.
      return v > 0 ? v : alpha === 0 ? 0 : v * alpha;
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'tanh':
      return Math.tanh(v);
    case 'elu':
      return v > 0 ? v : alpha * Math.expm1(v);
  }
}

/** Applies the activation in place. */
export function applyActivation(data: Float32Array, activation: Activation, alpha: number): void {
  if (activation === 'none') return;
  for (let i = 0; i < data.length; i++) data[i] = activate(activation, alpha, data[i]!);
}
