#!/usr/bin/env node
// GPU benchmark, deconv's side: every layer of bench/suite.json on the cuDNN backend with device
// tensors, in float32 (TF32 off), float32 with TF32, and bfloat16. bench/gpu_torch.py measures
// torch.nn.functional.conv_transpose{1,2,3}d on the same device with the same shapes, dtypes and
// settings; bench/gpu-report.mjs puts both into one table.
//
// Per layer and mode: a plan (weights packed on the device, algorithm chosen by timing once,
// like torch.backends.cudnn.benchmark = True), then
//   device ms  CUDA events around back-to-back runs (cudnnTime), median of 5 — what torch's
//              own event timing measures;
//   call ms    wall clock of back-to-back `plan.run(x, { out, wait: false })` calls from JS,
//              then one synchronize, median of 5 — host overhead included (small layers).
//
//   node bench/gpu.mjs <out.json> [--quick]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as deconv from '../dist/esm/index.js';

const { convTransposePlan, toDevice, synchronize, cudnnStatus, DeviceTensor } = deconv;
const outFile = process.argv[2] ?? 'gpu-deconv.json';
const quick = process.argv.includes('--quick');
const suite = JSON.parse(readFileSync(new URL('./suite.json', import.meta.url), 'utf8'));
const addon = createRequire(import.meta.url)(process.env.DECONV_ADDON_PATH ?? '../build/Release/deconv.node');

const size = (shape) => shape.reduce((a, b) => a * b, 1);
const random = (shape) => ({ shape, data: Float32Array.from({ length: size(shape) }, (_, i) => Math.sin(i * 12.9898) * 0.5) });
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The layer's ONNX attributes (TF-SAME layers: their asymmetric pads, begin ≤ end). */
function attributes(layer) {
  const rank = layer.x.length - 2;
  const attrs = { strides: layer.strides };
  if (layer.dilations) attrs.dilations = layer.dilations;
  if (layer.group) attrs.group = layer.group;
  if (layer.outputPadding) attrs.outputPadding = layer.outputPadding;
  if (layer.pads) attrs.pads = layer.pads;
  else if (layer.tfSame) {
    const out = layer.tfSame.outputShape.slice(1, 1 + rank);
    const k = layer.w.slice(2);
    const totals = out.map((o, i) => (layer.x[2 + i] - 1) * layer.strides[i] + k[i] - o);
    attrs.pads = [...totals.map((t) => Math.floor(t / 2)), ...totals.map((t) => t - Math.floor(t / 2))];
  }
  return attrs;
}

function flops(layer) {
  const [n, c, ...spatial] = layer.x;
  const [, mg, ...kernel] = layer.w;
  return 2 * n * size(spatial) * c * mg * size(kernel);
}

const MODES = [
  { name: 'fp32', dtype: 'float32', allowTF32: false },
  { name: 'tf32', dtype: 'float32', allowTF32: true },
  { name: 'bf16', dtype: 'bfloat16', allowTF32: false },
];

function measure(layer, mode) {
  const x = toDevice(random(layer.x), { dtype: mode.dtype });
  const w = toDevice(random(layer.w), { dtype: mode.dtype });
  const plan = convTransposePlan(layer.x, w, null, { ...attributes(layer), backend: 'cudnn', benchmark: true, allowTF32: mode.allowTF32 });
  const out = DeviceTensor.empty(plan.outputShape, mode.dtype, 0);
  const handle = (t) => t.handle();
  const native = plan_native(plan);
  // Enough runs per sample for ~20 ms of device time.
  const once = addon.cudnnTime(native, handle(x), handle(out), 3);
  const iterations = Math.max(3, Math.min(2000, Math.round(20 / Math.max(once, 1e-3))));
  const device = [];
  const call = [];
  for (let r = 0; r < 5; r++) {
    device.push(addon.cudnnTime(native, handle(x), handle(out), iterations));
    synchronize();
    const start = performance.now();
    for (let i = 0; i < iterations; i++) plan.run(x, { out, wait: false });
    synchronize();
    call.push((performance.now() - start) / iterations);
  }
  const algorithm = addon.cudnnDescribePlan(native);
  plan.dispose();
  for (const t of [x, w, out]) t.dispose();
  return { deviceMs: median(device), callMs: median(call), iterations, algorithm };
}

// The plan's cuDNN handle, for the event timing (an internal of ConvTransposePlan).
const plan_native = (plan) => plan.nativeHandle();

const status = cudnnStatus();
const results = { device: status.devices[0], cudnn: status.version, driverCudaVersion: status.driverCudaVersion, layers: [] };
console.log(`deconv on ${status.devices[0]?.name}, cuDNN ${status.version}`);
for (const layer of suite.layers) {
  if (quick && !/b1$|tiny|unet-1-b8/.test(layer.name)) continue;
  const row = { name: layer.name, suite: layer.suite, gflop: flops(layer) / 1e9, modes: {} };
  for (const mode of MODES) {
    try {
      row.modes[mode.name] = measure(layer, mode);
    } catch (error) {
      row.modes[mode.name] = { error: error.message };
    }
  }
  results.layers.push(row);
  console.log(`${layer.name}: ${MODES.map((m) => `${m.name} ${row.modes[m.name].deviceMs?.toFixed(4) ?? row.modes[m.name].error} ms`).join(', ')}`);
}
writeFileSync(outFile, JSON.stringify(results, null, 2));
