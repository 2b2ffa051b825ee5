/**
 * Checkerboard artifacts (Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts",
 * 2016): upsampling a flat image ×2 with random positive kernels of the same total weight.
 *
 * - kernel 3, stride 2: the kernel does not divide into the stride's phases evenly, so output
 *   pixels receive 1, 2 or 4 taps: a strong checkerboard;
 * - kernel 4, stride 2: every pixel receives 4 taps, but each phase sums a different 2×2 subset of
 *   the random kernel: a weaker one (the reason ICNR initializes the subsets equal);
 * - nearest resize ×2, then a 3×3 convolution (stride 1): every pixel sees the whole kernel: flat.
 *
 * The amplitude is (max − min) / mean over the interior (the borders are cut off: there the
 * kernels hang over the edge and every method darkens).
 */
import { convTranspose } from '../../ops/onnx.js';
import type { BackendName } from '../../backends/types.js';
import { tensor } from '../../tensor.js';

export interface CheckerboardResult {
  method: 'k3s2' | 'k4s2' | 'resize-conv';
  title: string;
  /** The output (size × size) of a flat input of size/2 × size/2. */
  output: Float32Array;
  size: number;
  amplitude: number;
}

/** Uniform [0, 1) from a seed (mulberry32): the demo's kernels are the same on every run. */
export function seededUniform(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/** A random positive k×k kernel whose taps sum to `total`. */
function kernel(k: number, seed: number, total: number): Float32Array {
  const w = seededUniform(k * k, seed);
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => (v * total) / sum);
}

/** (max − min) / mean of the size×size map, `border` pixels cut off on every side. */
export function amplitude(values: Float32Array, size: number, border: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let n = 0;
  for (let y = border; y < size - border; y++) {
    for (let x = border; x < size - border; x++) {
      const v = values[y * size + x]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v;
      n++;
    }
  }
  return (hi - lo) / (sum / n);
}

export function checkerboard(backend: BackendName | 'auto' = 'auto', inSize = 16, seed = 7): CheckerboardResult[] {
  const size = 2 * inSize;
  const flat = tensor(new Float32Array(inSize * inSize).fill(1), [1, 1, inSize, inSize]);
  const border = 4;
  // Total weight 4 for the stride-2 kernels (4 output pixels per input pixel), 1 for the resize:
  // every method's output averages 1.
  const k3 = convTranspose(flat, tensor(kernel(3, seed, 4), [1, 1, 3, 3]), null, { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1], backend });
  const k4 = convTranspose(flat, tensor(kernel(4, seed + 1, 4), [1, 1, 4, 4]), null, { strides: [2, 2], pads: [1, 1, 1, 1], backend });
  const resized = tensor(new Float32Array(size * size).fill(1), [1, 1, size, size]); // nearest ×2 of a flat image
  // A stride-1 transposed convolution is a convolution with the kernel flipped: a 3×3 'same' conv.
  const rc = convTranspose(resized, tensor(kernel(3, seed + 2, 1), [1, 1, 3, 3]), null, { strides: [1, 1], pads: [1, 1, 1, 1], backend });
  const result = (method: CheckerboardResult['method'], title: string, output: Float32Array): CheckerboardResult => ({ method, title, output, size, amplitude: amplitude(output, size, border) });
  return [
    result('k3s2', 'kernel 3, stride 2', k3.data),
    result('k4s2', 'kernel 4, stride 2', k4.data),
    result('resize-conv', 'nearest resize ×2, then 3×3 convolution', rc.data),
  ];
}
