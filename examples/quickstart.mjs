// A first look at deconv: which backends this machine has, and a ×2 bilinear upsampling of a small
// image with conv2dTranspose, drawn in the terminal. Run with `npm run demo` (after npm install).
import { backends, conv2dTranspose, convTranspose, tensor } from '../dist/esm/index.js';

console.log('Backends on this machine:');
for (const b of backends()) {
  console.log(`  ${b.name.padEnd(7)} ${b.available ? 'available' : 'unavailable'}${b.reason ? ` (${b.reason})` : ''}`);
}

// An 8×8 image: a bright disc on a dark background, NHWC with one channel.
const size = 8;
const image = new Float32Array(size * size);
for (let y = 0; y < size; y++)
  for (let x = 0; x < size; x++) image[y * size + x] = Math.hypot(x - 3.5, y - 3.5) < 3 ? 1 : 0.1;

// The bilinear ×2 kernel (4×4, stride 2, SAME): what a "fresh" upsampling layer starts from.
const k1 = [0.25, 0.75, 0.75, 0.25];
const kernel = new Float32Array(16);
for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) kernel[i * 4 + j] = k1[i] * k1[j];

const up = conv2dTranspose(tensor(image, [1, size, size, 1]), tensor(kernel, [4, 4, 1, 1]), [1, 16, 16, 1], 2, 'SAME');
const shades = ' .:-=+*#%@';
const draw = (data, n) => {
  const rows = [];
  for (let y = 0; y < n; y++) {
    let row = '';
    for (let x = 0; x < n; x++) row += shades[Math.min(9, Math.max(0, Math.round(data[y * n + x] * 9)))].repeat(2);
    rows.push(row);
  }
  return rows;
};
const left = draw(image, size);
const right = draw(up.data, 16);
console.log('\n8×8 input                 conv2dTranspose ×2 (bilinear kernel, SAME) → 16×16');
for (let i = 0; i < 16; i++) console.log(`${(left[i] ?? '').padEnd(26)}${right[i]}`);

// The same operator as ONNX ConvTranspose (NCHW, W = [C, M, kH, kW]) gives the same numbers.
const onnx = convTranspose(tensor(image, [1, 1, size, size]), tensor(kernel, [1, 1, 4, 4]), null, { strides: [2, 2], pads: [1, 1, 1, 1] });
const same = up.data.every((v, i) => Math.abs(v - onnx.data[i]) < 1e-6);
console.log(`\nONNX convTranspose (pads 1) equals TF conv2dTranspose (SAME): ${same}`);
