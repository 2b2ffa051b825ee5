import { applyActivation } from '../activation.js';
import type { ConvTransposeProblem } from '../problem/index.js';
import { referenceConvTranspose } from './reference.js';
import { referenceConvTransposeBackward } from './reference-backward.js';
import { problemSizes } from '../problem/index.js';
import type { Backend, GradientArrays, PackedWeights } from './types.js';

function compute(p: ConvTransposeProblem, x: Float32Array, w: Float32Array, bias: Float32Array | undefined, out: Float32Array): void {
  referenceConvTranspose(p, x, w, bias, out);
  applyActivation(out, p.activation, p.activationAlpha);
}

/** Lets the event loop turn once before a long synchronous computation. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function outputLength(p: ConvTransposeProblem): number {
  return p.outputShape.reduce((a, b) => a * b, 1);
}

/**
 * The pure-TypeScript reference backend: always available. It computes on the JS thread, so its
 * async calls only yield to the event loop once before computing.
 */
export const tsBackend: Backend = {
  name: 'ts',
  info: () => ({ name: 'ts', available: true, version: 'reference' }),
  convTranspose: compute,
  async convTransposeAsync(p, x, w, bias) {
    // Snapshot first, as the native backends do: the caller may change its arrays meanwhile.
    const [xs, ws, bs] = [x.slice(), w.slice(), bias?.slice()];
    await nextTurn();
    const out = new Float32Array(outputLength(p));
    compute(p, xs, ws, bs, out);
    return out;
  },
  convTransposeBackward: referenceConvTransposeBackward,
  async convTransposeBackwardAsync(p, x, w, dy, wanted) {
    const [xs, ws, dys] = [x.slice(), w.slice(), dy.slice()];
    await nextTurn();
    const sizes = problemSizes(p);
    const outputs: GradientArrays = {};
    if (wanted.dX) outputs.dX = new Float32Array(sizes.input);
    if (wanted.dW) outputs.dW = new Float32Array(sizes.filter);
    if (wanted.dB) outputs.dB = new Float32Array(p.outChannels);
    referenceConvTransposeBackward(p, xs, ws, dys, outputs);
    return outputs;
  },
  pack(p, w, bias): PackedWeights {
    let weights: Float32Array | undefined = w.slice();
    const b = bias?.slice();
    const live = () => {
      if (!weights) throw new Error('this plan was disposed');
      return weights;
    };
    return {
      run: (x, out) => compute(p, x, live(), b, out),
      async runAsync(x) {
        const xs = x.slice();
        await nextTurn();
        const out = new Float32Array(outputLength(p));
        compute(p, xs, live(), b, out);
        return out;
      },
      dispose: () => {
        weights = undefined;
      },
    };
  },
};
