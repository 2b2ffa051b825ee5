// A stand-in for the addon's cuDNN half, for testing the JavaScript side of device-resident work
// on a machine without a GPU (test/device-training.test.ts loads it through DECONV_ADDON_PATH).
//
// Device tensors are host arrays behind opaque handles, their values rounded to their dtype by the
// real addon's own conversion; convolutions and their gradients run on the real addon's oneDNN
// backend; the training kernels are their formulas written out here. It proves nothing about the
// GPU code (the device script does, and the kernels' arithmetic has its own host test); it shows
// that the library hands the right tensors, shapes and options to the native entry points, keeps
// results where they belong and frees what it allocates.
'use strict';

const real = require(process.env.DECONV_REAL_ADDON);

const tensors = new WeakMap(); // handle -> { data: Float32Array | undefined, dtype }
let live = 0;

function round(data, dtype) {
  return dtype === 'float32' ? data : real.cudnnConvert(data, dtype);
}

function entry(handle, name) {
  const t = tensors.get(handle);
  if (!t) throw new TypeError(`${name} must be a device tensor`);
  if (!t.data) throw new Error(`${name} is a disposed device tensor`);
  return t;
}

function newHandle(data, dtype) {
  const handle = {};
  tensors.set(handle, { data, dtype });
  live++;
  return handle;
}

function store(handle, name, values) {
  const t = entry(handle, name);
  if (t.data.length !== values.length) throw new RangeError(`${name}: ${values.length} values for a tensor of ${t.data.length}`);
  t.data.set(round(values, t.dtype));
}

// The packed problem (src/backends/native-problem.ts): sizes of x, w and y.
function sizes(p) {
  const rank = p[1];
  const prod = (from) => Array.from({ length: rank }, (_, i) => p[from + i]).reduce((a, b) => a * b, 1);
  return {
    input: p[2] * p[3] * prod(6),
    output: p[2] * p[4] * prod(9),
    filter: ((p[3] * p[4]) / p[5]) * prod(12),
    channels: p[4],
  };
}

// A host operand is converted to the call's dtype, as the native staging does.
function operand(value, name, dtype) {
  if (value instanceof Float32Array) return round(value, dtype);
  return entry(value, name).data;
}

const DTYPES = ['float32', 'float16', 'bfloat16'];
const dtypeOf = (o) => (DTYPES.includes(o.math) ? o.math : 'float32');

const fake = {
  ...real,
  cudnnInfo: () => ({
    compiled: true,
    available: true,
    headerVersion: '9.19.0',
    version: '9.19.0 (stand-in)',
    driverCudaVersion: 13000,
    devices: [{ index: 0, name: 'stand-in device', computeCapability: 9, totalMemory: 2 ** 34 }],
  }),
  cudnnEmpty: (elements, dtype) => newHandle(new Float32Array(elements).fill(NaN), dtype),
  cudnnUpload(data, dtype, _device, into) {
    if (into) {
      store(into, 'into', data);
      return into;
    }
    return newHandle(round(data, dtype).slice(), dtype);
  },
  cudnnDownload(handle, mode) {
    const copy = entry(handle, 'tensor').data.slice();
    return mode === 'async' ? Promise.resolve(copy) : copy;
  },
  cudnnDispose(handle) {
    const t = tensors.get(handle);
    if (!t) throw new TypeError('tensor must be a device tensor');
    if (t.data) live--;
    t.data = undefined;
  },
  cudnnSynchronize() {},
  cudnnMemory: () => ({ device: 0, tensors: live }),
  cudnnRun(p, o, x, w, bias, y, mode) {
    const dtype = dtypeOf(o);
    const n = sizes(p);
    const out = new Float32Array(n.output);
    real.onednnRun(p, 'float32', operand(x, 'x', dtype), operand(w, 'w', dtype), bias ? operand(bias, 'bias', dtype) : null, out);
    const result = round(out, dtype);
    if (y && !(y instanceof Float32Array)) store(y, 'y', result);
    else if (y) y.set(result);
    if (mode === 'async') return Promise.resolve(y ? undefined : result);
    return undefined;
  },
  cudnnBackward(p, o, x, w, dy, outputs, mode) {
    const dtype = dtypeOf(o);
    const n = sizes(p);
    const arrays = { dX: new Float32Array(n.input), dW: new Float32Array(n.filter), dB: new Float32Array(n.channels) };
    const wanted = (name) => outputs[name] !== null && outputs[name] !== undefined && outputs[name] !== false;
    real.onednnBackward(
      p,
      operand(x, 'x', dtype),
      operand(w, 'w', dtype),
      operand(dy, 'dy', dtype),
      wanted('dX') ? arrays.dX : null,
      wanted('dW') ? arrays.dW : null,
      wanted('dB') ? arrays.dB : null,
    );
    const hostResults = {};
    for (const name of ['dX', 'dW', 'dB']) {
      if (!wanted(name)) continue;
      const target = outputs[name];
      const values = round(arrays[name], dtype);
      if (target === true) hostResults[name] = values;
      else if (target instanceof Float32Array) target.set(values);
      else store(target, name, values);
    }
    if (mode === 'async') return Promise.resolve(Object.keys(hostResults).length ? hostResults : undefined);
    return undefined;
  },
  cudnnSgd(w, g, velocity, lr, momentum, nesterov) {
    const W = entry(w, 'w');
    const G = entry(g, 'g').data;
    const V = velocity ? entry(velocity, 'velocity').data : undefined;
    const next = W.data.slice();
    for (let i = 0; i < next.length; i++) {
      if (!V) {
        next[i] -= lr * G[i];
        continue;
      }
      V[i] = Math.fround(momentum * V[i] - lr * G[i]);
      next[i] += nesterov ? momentum * V[i] - lr * G[i] : V[i];
    }
    W.data.set(round(next, W.dtype));
  },
  cudnnAdam(w, g, m, v, lr, beta1, beta2, epsilon) {
    const W = entry(w, 'w');
    const [G, M, V] = [entry(g, 'g').data, entry(m, 'm').data, entry(v, 'v').data];
    const next = W.data.slice();
    for (let i = 0; i < next.length; i++) {
      M[i] = beta1 * M[i] + (1 - beta1) * G[i];
      V[i] = beta2 * V[i] + (1 - beta2) * G[i] * G[i];
      next[i] -= (lr * M[i]) / (Math.sqrt(V[i]) + epsilon);
    }
    W.data.set(round(next, W.dtype));
  },
  cudnnActivationForward(activation, alpha, v, y) {
    const values = entry(v, 'v').data;
    const f = {
      linear: (x) => x,
      relu: (x) => (x > 0 ? x : 0),
      leakyRelu: (x) => (x > 0 ? x : alpha === 0 ? 0 : x * alpha),
      sigmoid: (x) => 1 / (1 + Math.exp(-x)),
      tanh: Math.tanh,
      elu: (x) => (x > 0 ? x : alpha * Math.expm1(x)),
    }[activation];
    if (!f) throw new RangeError(`activation must be one of 'linear', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu', got '${activation}'`);
    store(y, 'y', values.map(f));
  },
  cudnnActivationBackward(activation, alpha, y, dy, dv) {
    const out = entry(y, 'y').data;
    const grad = entry(dy, 'dy').data;
    const slope = {
      linear: () => 1,
      relu: (o) => (o > 0 ? 1 : 0),
      leakyRelu: (o) => (o > 0 ? 1 : alpha),
      sigmoid: (o) => o * (1 - o),
      tanh: (o) => 1 - o * o,
      elu: (o) => (o > 0 ? 1 : o + alpha),
    }[activation];
    store(dv, 'dv', grad.map((g, i) => g * slope(out[i])));
  },
  cudnnBatchNormForward(x, y, normalized, invStd, gamma, beta, movingMean, movingVariance, outer, channels, inner, momentum, epsilon, training) {
    const X = entry(x, 'x').data;
    const [N, S] = [entry(normalized, 'normalized').data, entry(invStd, 'invStd').data];
    const [MM, MV] = [entry(movingMean, 'movingMean').data, entry(movingVariance, 'movingVariance').data];
    const G = gamma ? entry(gamma, 'gamma').data : undefined;
    const B = beta ? entry(beta, 'beta').data : undefined;
    const out = new Float32Array(X.length);
    const count = outer * inner;
    for (let c = 0; c < channels; c++) {
      const at = (k) => (Math.floor(k / inner) * channels + c) * inner + (k % inner);
      let mean = MM[c];
      let variance = MV[c];
      if (training) {
        mean = 0;
        for (let k = 0; k < count; k++) mean += X[at(k)];
        mean /= count;
        variance = 0;
        for (let k = 0; k < count; k++) variance += (X[at(k)] - mean) ** 2;
        variance /= count;
        MM[c] = MM[c] * momentum + mean * (1 - momentum);
        MV[c] = MV[c] * momentum + variance * (1 - momentum);
      }
      S[c] = 1 / Math.sqrt(variance + epsilon);
      for (let k = 0; k < count; k++) {
        N[at(k)] = (X[at(k)] - mean) * S[c];
        out[at(k)] = (G ? G[c] : 1) * N[at(k)] + (B ? B[c] : 0);
      }
    }
    store(y, 'y', out);
  },
  cudnnBatchNormBackward(dy, normalized, invStd, gamma, dx, dGamma, dBeta, outer, channels, inner, training) {
    const D = entry(dy, 'dy').data;
    const [N, S] = [entry(normalized, 'normalized').data, entry(invStd, 'invStd').data];
    const G = gamma ? entry(gamma, 'gamma').data : undefined;
    const out = new Float32Array(D.length);
    const count = outer * inner;
    const dg = new Float32Array(channels);
    const db = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const at = (k) => (Math.floor(k / inner) * channels + c) * inner + (k % inner);
      let sumDy = 0;
      let sumDyN = 0;
      for (let k = 0; k < count; k++) {
        sumDy += D[at(k)];
        sumDyN += D[at(k)] * N[at(k)];
      }
      db[c] = sumDy;
      dg[c] = sumDyN;
      const factor = (G ? G[c] : 1) * S[c];
      for (let k = 0; k < count; k++) {
        out[at(k)] = training ? factor * (D[at(k)] - sumDy / count - (N[at(k)] * sumDyN) / count) : factor * D[at(k)];
      }
    }
    store(dx, 'dx', out);
    if (dGamma) store(dGamma, 'dGamma', dg);
    if (dBeta) store(dBeta, 'dBeta', db);
  },
};

module.exports = fake;
