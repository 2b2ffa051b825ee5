// A short run for compute-sanitizer memcheck (test/gpu/run.sh): host and device calls with
// asymmetric crops, bias, activation, each dtype, then everything disposed.
import * as deconv from '../../dist/esm/index.js';

const { convTranspose, toDevice, synchronize } = deconv;
const size = (s) => s.reduce((a, b) => a * b, 1);
const t = (shape) => ({ shape, data: Float32Array.from({ length: size(shape) }, (_, i) => Math.cos(i)) });
for (const dtype of ['float32', 'float16', 'bfloat16']) {
  const x = toDevice(t([2, 4, 5, 6]), { dtype });
  const w = toDevice(t([4, 3, 3, 3]), { dtype });
  const b = toDevice(t([3]), { dtype });
  const y = convTranspose(x, w, b, { strides: [2, 2], pads: [0, 1, 1, 0], outputPadding: [1, 1], activation: 'leakyRelu' });
  const h = convTranspose(t([1, 4, 5, 6]), t([4, 3, 3, 3]), t([3]), { backend: 'cudnn', strides: [2, 2], pads: [1, 0, 0, 1], activation: 'elu' });
  console.log(dtype, y.shape, y.toHostSync().data[0], h.data[0]);
  for (const d of [x, w, b, y]) d.dispose();
}
synchronize();
console.log('sanitize run done');
