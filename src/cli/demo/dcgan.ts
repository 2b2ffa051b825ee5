/**
 * A small DCGAN-style generator (Radford et al., 2015), untrained: a latent vector of 100 → 4×4×128
 * (kernel 4, valid) → 8×8×64 → 16×16×32 → 32×32×16 → 64×64×3 (kernel 4, stride 2, same), batch
 * normalization (batch statistics) and ReLU between, tanh at the end; the stride-2 kernels are
 * ICNR-initialized, so the untrained images show no checkerboard. Its forward pass on a batch
 * of 16 is timed layer by layer on each backend; the images are its untrained output.
 */
import { performance } from 'node:perf_hooks';
import { Activation, BatchNormalization, Conv2DTranspose, type Layer } from '../../layers/index.js';
import type { BackendName } from '../../backends/types.js';
import { tensor, type Tensor } from '../../tensor.js';
import type { Image } from './image.js';
import { seededUniform } from './checkerboard.js';

export const LATENT = 100;
export const BATCH = 16;
const WIDTHS = [128, 64, 32, 16, 3];

export interface Generator {
  layers: Layer[];
  convs: Conv2DTranspose[];
}

export function makeGenerator(seed = 1): Generator {
  const layers: Layer[] = [];
  const convs: Conv2DTranspose[] = [];
  WIDTHS.forEach((filters, i) => {
    const first = i === 0;
    const last = i === WIDTHS.length - 1;
    const conv = new Conv2DTranspose({ filters, kernelSize: 4, strides: first ? 1 : 2, padding: first ? 'valid' : 'same', useBias: last, activation: last ? 'tanh' : 'linear', kernelInitializer: first ? { name: 'glorotUniform', seed } : { name: 'icnr', seed: seed + i } });
    convs.push(conv);
    layers.push(conv);
    if (!last) layers.push(new BatchNormalization(), new Activation({ activation: 'relu' }));
  });
  return { layers, convs };
}

/** Standard normal latent vectors (Box–Muller on the seeded uniform), [BATCH, 1, 1, LATENT]. */
export function latents(seed = 3): Tensor {
  const u = seededUniform(BATCH * LATENT * 2, seed);
  const z = new Float32Array(BATCH * LATENT);
  for (let i = 0; i < z.length; i++) z[i] = Math.sqrt(-2 * Math.log(1 - u[2 * i]!)) * Math.cos(2 * Math.PI * u[2 * i + 1]!);
  return tensor(z, [BATCH, 1, 1, LATENT]);
}

export interface GeneratorRun {
  backend: BackendName;
  /** ms per transposed-convolution layer (median of the reps), then the total forward pass. */
  layerMs: number[];
  totalMs: number;
  output: Tensor;
}

/** The forward pass on `backend` (training-mode batch norm), timed per conv layer: median of reps after a warm-up. */
export function runGenerator(g: Generator, z: Tensor, backend: BackendName, reps = 3): GeneratorRun {
  for (const c of g.convs) c.backend = backend;
  const samples: number[][] = [];
  const totals: number[] = [];
  let output = z;
  for (let r = 0; r <= reps; r++) {
    let y: Tensor = z;
    const per: number[] = [];
    const t0 = performance.now();
    for (const layer of g.layers) {
      const t = performance.now();
      y = layer.apply(y, { training: true });
      if (layer instanceof Conv2DTranspose) per.push(performance.now() - t);
    }
    if (r > 0) {
      samples.push(per);
      totals.push(performance.now() - t0);
    }
    output = y;
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { backend, layerMs: g.convs.map((_, i) => median(samples.map((s) => s[i]!))), totalMs: median(totals), output };
}

/** The batch's images ([BATCH, 64, 64, 3] in [−1, 1]) as pictures in [0, 1]. */
export function generatorImages(output: Tensor): Image[] {
  const [n, h, w, c] = output.shape as [number, number, number, number];
  const images: Image[] = [];
  for (let i = 0; i < n; i++) {
    const data = output.data.slice(i * h * w * c, (i + 1) * h * w * c).map((v) => (v + 1) / 2);
    images.push({ width: w, height: h, data });
  }
  return images;
}
