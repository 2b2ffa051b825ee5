// Trains a small decoder of transposed convolutions to upsample images ×4, on whichever backend
// this machine has ('auto': oneDNN where the addon is built, else the TypeScript reference).
//
//   npm run build && node examples/train-upsampler.mjs [--steps N] [--backend ts|onednn|auto]
//
// Data: synthetic 32×32 RGB images made here (soft coloured blobs on a colour gradient, no
// download); the input is each image averaged down to 8×8. Model: Conv2DTranspose(×2) → BN →
// ReLU → Conv2DTranspose(×2) → BN → ReLU → Conv2DTranspose (3 channels), added to the bilinear
// upsampling of the input (so the decoder learns what bilinear misses), trained with Adam on the
// mean squared error. The upsampling kernels start from ICNR (no checkerboard at the start). It prints the loss as it falls and the held-out loss next to plain bilinear
// upsampling's, then writes examples/train-upsampler/result.png: input (nearest ×4), bilinear,
// model output and target, side by side, one held-out image per row. Exits with status 1 if the
// training loss did not fall by the stated factor.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  Activation,
  adam,
  BatchNormalization,
  backends,
  Conv2DTranspose,
  conv2dTranspose,
  bilinearKernel,
  foldBatchNorm,
  Sequential,
} from '../dist/esm/index.js';
import { writePng } from './png.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const STEPS = Number(option('steps', 300));
const BACKEND = option('backend', 'auto');
const BATCH = 16;
const SIZE = 32; // target size; inputs are SIZE / 4
const SMALL = SIZE / 4;
const REQUIRED_FACTOR = 10; // the training loss must fall at least this much

// ---- synthetic data ---------------------------------------------------------------------------
function random(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
}

/** One 32×32×3 image in [−1, 1]: a colour gradient plus 2–4 soft blobs. */
function makeImage(rand, out, offset) {
  const base = [rand(), rand(), rand()].map((v) => v * 1.2 - 0.6);
  const slope = [rand() - 0.5, rand() - 0.5].map((v) => v * 1.2);
  const blobs = Array.from({ length: 2 + Math.floor(rand() * 3) }, () => ({
    x: rand() * SIZE, y: rand() * SIZE, r: 3 + rand() * 7, color: [rand() * 2 - 1, rand() * 2 - 1, rand() * 2 - 1],
  }));
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++)
      for (let c = 0; c < 3; c++) {
        let v = base[c] + slope[0] * (x / SIZE - 0.5) + slope[1] * (y / SIZE - 0.5);
        for (const b of blobs) v += b.color[c] * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
        out[offset + (y * SIZE + x) * 3 + c] = Math.max(-1, Math.min(1, v));
      }
}

/** A batch: targets [n, 32, 32, 3] and inputs [n, 8, 8, 3] (4×4 averages). */
function makeBatch(n, seed) {
  const rand = random(seed);
  const target = new Float32Array(n * SIZE * SIZE * 3);
  for (let i = 0; i < n; i++) makeImage(rand, target, i * SIZE * SIZE * 3);
  const input = new Float32Array(n * SMALL * SMALL * 3);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++)
        for (let c = 0; c < 3; c++) {
          input[((i * SMALL + (y >> 2)) * SMALL + (x >> 2)) * 3 + c] += target[((i * SIZE + y) * SIZE + x) * 3 + c] / 16;
        }
  return { input: { shape: [n, SMALL, SMALL, 3], data: input }, target: { shape: [n, SIZE, SIZE, 3], data: target } };
}

// Bilinear ×4: a transposed convolution with the bilinear kernel (8×8 taps, stride 4, SAME).
const BILINEAR = { shape: [8, 8, 3, 3], data: bilinearKernel([8, 8, 3, 3]) };
const bilinearUp = (input) => conv2dTranspose(input, BILINEAR, [input.shape[0], SIZE, SIZE, 3], 4, 'SAME', { backend: BACKEND });

/** Adds the bilinear upsampling of `input` to y, in place. */
function addBilinear(y, input) {
  const b = bilinearUp(input).data;
  for (let i = 0; i < y.data.length; i++) y.data[i] += b[i];
  return y;
}

function mse(y, t) {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - t[i]) ** 2;
  return s / y.length;
}

// ---- the model --------------------------------------------------------------------------------
const backend = BACKEND;
const model = new Sequential([
  new Conv2DTranspose({ filters: 32, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: { name: 'icnr', base: 'heNormal', seed: 1 }, backend, name: 'up1' }),
  new BatchNormalization({ momentum: 0.9, name: 'bn1' }),
  new Activation({ activation: 'relu', name: 'relu1' }),
  new Conv2DTranspose({ filters: 16, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: { name: 'icnr', base: 'heNormal', seed: 2 }, backend, name: 'up2' }),
  new BatchNormalization({ momentum: 0.9, name: 'bn2' }),
  new Activation({ activation: 'relu', name: 'relu2' }),
  new Conv2DTranspose({ filters: 3, kernelSize: 3, strides: 1, padding: 'same', kernelInitializer: { name: 'glorotUniform', seed: 3 }, backend, name: 'rgb' }),
]);
const optimizer = adam({ learningRate: 0.002 });

const chosen = backend === 'auto' ? backends().find((b) => b.available)?.name : backend;
console.log(`Training a ×4 upsampler on backend '${chosen}' (${STEPS} steps of ${BATCH} images, ${SMALL}×${SMALL} → ${SIZE}×${SIZE})`);
const started = performance.now();
let first;
let recent = [];
for (let step = 1; step <= STEPS; step++) {
  const { input, target } = makeBatch(BATCH, 1000 + step);
  const y = addBilinear(model.apply(input, { training: true }), input);
  const loss = mse(y.data, target.data);
  first ??= loss;
  recent.push(loss);
  if (recent.length > 20) recent.shift();
  // ∂MSE/∂y = 2(y − t)/n
  const dy = new Float32Array(y.data.length);
  for (let i = 0; i < dy.length; i++) dy[i] = (2 * (y.data[i] - target.data[i])) / dy.length;
  model.backward({ shape: y.shape, data: dy });
  optimizer.step(model.parameters());
  if (step === 1 || step % 50 === 0) console.log(`  step ${String(step).padStart(4)}  loss ${loss.toFixed(5)}`);
}
const seconds = (performance.now() - started) / 1000;
const last = recent.reduce((a, b) => a + b, 0) / recent.length;

// ---- evaluation on held-out images: the model (batch norm folded in) against bilinear ---------
const test = makeBatch(8, 424242);
const [up1, bn1, , up2, bn2, , rgb] = model.layers;
const inference = new Sequential([foldBatchNorm(up1, bn1, { activation: 'relu' }), foldBatchNorm(up2, bn2, { activation: 'relu' }), rgb]);
const predicted = addBilinear(inference.apply(test.input), test.input);
const bilinear = bilinearUp(test.input);
const modelLoss = mse(predicted.data, test.target.data);
const bilinearLoss = mse(bilinear.data, test.target.data);
console.log(`Training loss ${first.toFixed(5)} → ${last.toFixed(5)} (mean of the last 20 steps): ${(first / last).toFixed(1)}× lower, in ${seconds.toFixed(1)} s`);
console.log(`Held-out MSE: model ${modelLoss.toFixed(5)}, bilinear upsampling ${bilinearLoss.toFixed(5)}`);

// ---- picture: input (nearest ×4) | bilinear | model | target, one row per held-out image -------
const SCALE = 4;
const tile = SIZE * SCALE;
const gap = 4;
const cols = 4;
const rows = 6;
const width = cols * tile + (cols + 1) * gap;
const height = rows * tile + (rows + 1) * gap;
const rgbBytes = new Uint8Array(width * height * 3).fill(255);
const toByte = (v) => Math.round((Math.max(-1, Math.min(1, v)) + 1) * 127.5);
for (let r = 0; r < rows; r++) {
  const sources = [
    (y, x, c) => test.input.data[((r * SMALL + (y >> 2)) * SMALL + (x >> 2)) * 3 + c],
    (y, x, c) => bilinear.data[((r * SIZE + y) * SIZE + x) * 3 + c],
    (y, x, c) => predicted.data[((r * SIZE + y) * SIZE + x) * 3 + c],
    (y, x, c) => test.target.data[((r * SIZE + y) * SIZE + x) * 3 + c],
  ];
  sources.forEach((source, col) => {
    for (let py = 0; py < tile; py++)
      for (let px = 0; px < tile; px++) {
        const at = ((gap + r * (tile + gap) + py) * width + gap + col * (tile + gap) + px) * 3;
        for (let c = 0; c < 3; c++) rgbBytes[at + c] = toByte(source(Math.floor(py / SCALE), Math.floor(px / SCALE), c));
      }
  });
}
const png = join(dirname(fileURLToPath(import.meta.url)), 'train-upsampler', 'result.png');
writePng(png, width, height, rgbBytes);
console.log(`Wrote ${png} (columns: input, bilinear, model, target)`);

if (!(first / last >= REQUIRED_FACTOR)) {
  console.error(`The training loss fell only ${(first / last).toFixed(1)}×; expected at least ${REQUIRED_FACTOR}×`);
  process.exit(1);
}
