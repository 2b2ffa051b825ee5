// Device-resident training on the GPU machine (imported by test/gpu/check.mjs): everything a
// training step does, done on device tensors, against the same step on the host.
//   1. gradients with a device dY: device dX/dW/dB against the reference ('ts'), float32 and
//      float16/bfloat16 (inputs rounded first), sync, async and enqueued; a host dY with device
//      operands gives host gradients;
//   2. the Activation layer's kernels (forward and derivative) for every activation;
//   3. BatchNormalization on the device (training and inference passes, gradients, moving
//      statistics) against the host layer;
//   4. sgd (plain, momentum, Nesterov) and adam updating device parameters, three steps each,
//      against the host optimizers;
//   5. a small decoder (Conv2DTranspose, BatchNormalization, Activation, Conv2DTranspose + tanh)
//      trained three steps on the device and on the host from the same weights.
import * as deconv from '../../dist/esm/index.js';

const {
  convTranspose,
  convTransposeBackward,
  convTransposeBackwardAsync,
  conv2dTransposeBackward,
  toDevice,
  synchronize,
  Activation,
  BatchNormalization,
  Conv2DTranspose,
  Sequential,
  sgd,
  adam,
} = deconv;

/**
 * @param {{ compare: (label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) => void,
 *           fail: (what: string) => void, log: (line: string) => void, tensor: (shape: number[]) => object,
 *           rounded: (t: object, dtype: string) => object, random: () => number, int: (lo: number, hi: number) => number,
 *           quick: boolean }} h
 */
export async function checkTraining(h) {
  const { compare, fail, log, tensor, rounded, random, int, quick } = h;
  const started = performance.now();
  const TOL = { float32: 1e-4, float16: 1e-2, bfloat16: 4e-2 };
  const guarded = async (label, body) => {
    try {
      await body();
    } catch (error) {
      fail(`${label}: threw ${error?.constructor?.name}: ${error?.message}`);
    }
  };

  // ------------------------------------------------------------ 1. gradients on the device
  const count = quick ? 12 : 60;
  for (let i = 0; i < count; i++) {
    const rank = [1, 2, 2, 3][i % 4];
    const group = [1, 1, 2][i % 3];
    const C = group * int(1, 3);
    const Mg = int(1, 3);
    const kernel = Array.from({ length: rank }, () => int(1, 3));
    const strides = Array.from({ length: rank }, () => int(1, 3));
    const spatial = Array.from({ length: rank }, () => int(1, rank === 3 ? 4 : 7));
    const attrs = { strides, group, pads: [...kernel.map((k) => int(0, k - 1)), ...kernel.map((k) => int(0, k - 1))] };
    const X = tensor([int(1, 2), C, ...spatial]);
    const W = tensor([C, Mg, ...kernel]);
    let Yshape;
    try {
      Yshape = convTranspose(X, W, null, { ...attrs, backend: 'ts' }).shape;
    } catch {
      continue; // an invalid random combination
    }
    const dY = tensor(Yshape);
    const dtype = ['float32', 'float16', 'bfloat16'][i % 3];
    const [Xr, Wr, dYr] = [rounded(X, dtype), rounded(W, dtype), rounded(dY, dtype)];
    const want = convTransposeBackward(Xr, Wr, dYr, { ...attrs, backend: 'ts' });
    const label = `grad #${i} ${dtype} X[${X.shape}] W[${W.shape}] ${JSON.stringify(attrs)}`;
    await guarded(label, async () => {
      const [xd, wd, dyd] = [toDevice(X, { dtype }), toDevice(W, { dtype }), toDevice(dY, { dtype })];
      const sync = convTransposeBackward(xd, wd, dyd, attrs);
      for (const name of ['dX', 'dW', 'dB']) {
        if (!(sync[name] instanceof deconv.DeviceTensor) || sync[name].dtype !== dtype) fail(`${label}: ${name} is not a ${dtype} device tensor`);
        compare(`${label} ${name} device sync`, sync[name].toHostSync().data, want[name].data, TOL[dtype]);
      }
      const queued = convTransposeBackward(xd, wd, dyd, { ...attrs, gradients: ['dW'], wait: false });
      compare(`${label} dW device enqueued`, (await queued.dW.toHost()).data, want.dW.data, TOL[dtype]);
      if ('dX' in queued) fail(`${label}: gradients ['dW'] also gave dX`);
      const later = await convTransposeBackwardAsync(xd, wd, dyd, { ...attrs, gradients: ['dX', 'dB'] });
      compare(`${label} dX device async`, (await later.dX.toHost()).data, want.dX.data, TOL[dtype]);
      compare(`${label} dB device async`, (await later.dB.toHost()).data, want.dB.data, TOL[dtype]);
      if (dtype === 'float32') {
        // A host dY with device operands: the gradients come back to the host.
        const mixed = convTransposeBackward(xd, W, dY, attrs);
        if (mixed.dX instanceof deconv.DeviceTensor) fail(`${label}: a host dY gave device gradients`);
        compare(`${label} dX host dY, device x`, mixed.dX.data, want.dX.data, 1e-4);
      }
      for (const t of [xd, wd, dyd, ...Object.values(sync), queued.dW, later.dX, later.dB]) t.dispose();
    });
  }
  // TF front end (the filter layout cuDNN packs): NHWC and NCHW.
  for (const format of ['NHWC', 'NCHW']) {
    const input = tensor(format === 'NHWC' ? [2, 5, 4, 3] : [2, 3, 5, 4]);
    const filters = tensor([3, 3, 4, 3]);
    const outputShape = format === 'NHWC' ? [2, 10, 8, 4] : [2, 4, 10, 8];
    const dOut = tensor(outputShape);
    const label = `grad tf ${format}`;
    await guarded(label, async () => {
      const want = conv2dTransposeBackward(input, filters, dOut, outputShape, 2, 'SAME', { dataFormat: format, backend: 'ts' });
      const got = conv2dTransposeBackward(toDevice(input), toDevice(filters), toDevice(dOut), outputShape, 2, 'SAME', { dataFormat: format });
      for (const name of ['dX', 'dW', 'dB']) compare(`${label} ${name}`, got[name].toHostSync().data, want[name].data, 1e-4);
    });
  }

  // ------------------------------------------------------------ 2. activation kernels
  for (const activation of ['linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu']) {
    for (const dtype of ['float32', 'bfloat16']) {
      const label = `Activation ${activation} ${dtype}`;
      await guarded(label, async () => {
        const x = rounded(tensor([3, 7, 5]), dtype);
        const dy = rounded(tensor([3, 7, 5]), dtype);
        const host = new Activation({ activation });
        const device = new Activation({ activation });
        const y = host.apply(x);
        const yd = device.apply(toDevice(x, { dtype }));
        compare(`${label} forward`, yd.toHostSync().data, y.data, TOL[dtype]);
        // The derivative from the device's own y (rounded to the dtype), against the host's.
        const yRounded = { shape: y.shape, data: yd.toHostSync().data };
        const expected = deconv.activationBackward(activation, host.alpha, yRounded.data, dy.data);
        compare(`${label} backward`, device.backward(toDevice(dy, { dtype })).toHostSync().data, expected, TOL[dtype]);
      });
    }
  }

  // ------------------------------------------------------------ 3. batch normalization
  for (const [axis, shape] of [[-1, [4, 6, 5, 3]], [1, [2, 5, 7, 6]], [-1, [1, 1, 1, 4]]]) {
    const label = `BatchNormalization axis ${axis} [${shape}]`;
    await guarded(label, async () => {
      const host = new BatchNormalization({ axis, momentum: 0.9 });
      const device = new BatchNormalization({ axis, momentum: 0.9 });
      const x = tensor(shape);
      host.build(shape);
      device.build(shape);
      const C = host.weights().gamma.shape[0];
      const gamma = tensor([C]);
      const beta = tensor([C]);
      host.setWeights({ gamma, beta });
      device.setWeights({ gamma, beta });
      device.toDevice();
      const training = shape[0] * shape[1] * shape[2] > 1 || axis === 1;
      const y = host.apply(x, { training });
      const yd = device.apply(toDevice(x), { training });
      compare(`${label} forward (training ${training})`, yd.toHostSync().data, y.data, 1e-4);
      const dy = tensor(shape);
      compare(`${label} backward dx`, device.backward(toDevice(dy)).toHostSync().data, host.backward(dy).data, 1e-4);
      const [hp, dp] = [host.parameters(), device.parameters()];
      for (let k = 0; k < hp.length; k++) compare(`${label} d${hp[k].name}`, dp[k].grad.toHostSync().data, hp[k].grad.data, 1e-4);
      const [hw, dw] = [host.weights(), device.weights()];
      compare(`${label} moving mean`, dw.movingMean.data, hw.movingMean.data, 1e-5);
      compare(`${label} moving variance`, dw.movingVariance.data, hw.movingVariance.data, 1e-5);
      const inference = device.apply(toDevice(x));
      compare(`${label} inference`, inference.toHostSync().data, host.apply(x).data, 1e-4);
    });
  }

  // ------------------------------------------------------------ 4. optimizers
  const configs = [
    ['sgd', () => sgd({ learningRate: 0.1 })],
    ['sgd momentum', () => sgd({ learningRate: 0.05, momentum: 0.9 })],
    ['sgd nesterov', () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true })],
    ['adam', () => adam({ learningRate: 0.01 })],
  ];
  for (const [name, make] of configs) {
    for (const dtype of ['float32', 'float16']) {
      const label = `optimizer ${name} ${dtype}`;
      await guarded(label, async () => {
        const w = rounded(tensor([5, 37]), dtype);
        const host = { name: 'w', value: new deconv.Tensor(w.shape, w.data.slice()), grad: undefined };
        const device = { name: 'w', value: toDevice(w, { dtype }), grad: undefined };
        const [ho, dopt] = [make(), make()];
        for (let step = 0; step < 3; step++) {
          const g = rounded(tensor([5, 37]), dtype);
          host.grad = g;
          device.grad = toDevice(g, { dtype });
          ho.step([host]);
          dopt.step([device]);
          // The device keeps w in its dtype: compare with the host's w rounded the same way.
          host.value.data.set(rounded(host.value, dtype).data);
        }
        compare(label, device.value.toHostSync().data, host.value.data, TOL[dtype]);
      });
    }
  }

  // ------------------------------------------------------------ 5. a decoder trained on the device
  await guarded('decoder', async () => {
    const makeModel = () =>
      new Sequential([
        new Conv2DTranspose({ filters: 6, kernelSize: 4, strides: 2, padding: 'same', useBias: false, name: 'up1' }),
        new BatchNormalization({ name: 'bn1' }),
        new Activation({ activation: 'relu', name: 'act1' }),
        new Conv2DTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', name: 'up2' }),
      ]);
    const x = tensor([4, 5, 5, 8]);
    const target = tensor([4, 20, 20, 3]);
    const host = makeModel();
    host.apply(x, { training: true });
    const device = makeModel();
    device.apply(x, { training: true });
    for (let l = 0; l < host.layers.length; l++) device.layers[l].setWeights(host.layers[l].weights());
    device.toDevice();
    const [ho, dopt] = [adam({ learningRate: 0.01 }), adam({ learningRate: 0.01 })];
    const xd = toDevice(x);
    const losses = [];
    for (let step = 0; step < 3; step++) {
      const y = host.apply(x, { training: true });
      const dy = new deconv.Tensor(y.shape, y.data.map((v, k) => (2 * (v - target.data[k])) / y.data.length));
      host.backward(dy);
      ho.step(host.parameters());
      const yd = device.apply(xd, { training: true });
      const yh = yd.toHostSync();
      compare(`decoder step ${step} output`, yh.data, y.data, 1e-3);
      const dyd = toDevice(new deconv.Tensor(yh.shape, yh.data.map((v, k) => (2 * (v - target.data[k])) / yh.data.length)));
      device.backward(dyd);
      dopt.step(device.parameters());
      losses.push(yh.data.reduce((s, v, k) => s + (v - target.data[k]) ** 2, 0) / yh.data.length);
    }
    synchronize();
    for (let l = 0; l < host.layers.length; l++) {
      const [hw, dw] = [host.layers[l].weights(), device.layers[l].weights()];
      for (const key of Object.keys(hw)) compare(`decoder ${host.layers[l].name}.${key} after 3 adam steps`, dw[key].data, hw[key].data, 1e-3);
    }
    log(`decoder on the device: loss ${losses.map((v) => v.toFixed(5)).join(' → ')}`);
    // Back to the host: the same weights, now host tensors, and the model runs there.
    const before = device.layers.map((l) => l.weights());
    device.toHost();
    for (let l = 0; l < device.layers.length; l++) {
      for (const p of device.layers[l].parameters()) {
        if (!(p.value instanceof deconv.Tensor)) fail(`decoder ${device.layers[l].name}.${p.name}: not a host tensor after toHost()`);
        compare(`decoder ${device.layers[l].name}.${p.name} after toHost()`, p.value.data, before[l][p.name].data, 1e-7);
      }
    }
    compare('decoder on the host after toHost()', device.apply(x).data, host.apply(x).data, 1e-3);
  });

  log(`device training checks: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
