#!/usr/bin/env node
// The cuDNN backend's correctness suite, for the GPU machine (plain Node, no npm there):
//   1. the golden data (real TF / ONNX Runtime outputs) and the outside conformance suites, bundled
//      by test/gpu/bundle.mjs, on every available backend (so 'cudnn' too);
//   2. random problems against the reference backend ('ts', float64 accumulation): ranks 1–3,
//      strides, dilations, groups, asymmetric pads, output_padding, both layouts, bias, every
//      activation; host tensors sync and async, device tensors, plans, enqueue mode; float32
//      (TF32 off) to 1e-4, TF32 to 1e-2, float16 to 1e-2 and bfloat16 to 4e-2 (inputs rounded to
//      the dtype first, so these bound the accumulation and output rounding only);
//   3. device memory: dispose, the finalization registry, an out-of-memory request that fails
//      cleanly and leaves the process usable.
// Between 1 and 2, test/gpu/training.mjs checks device-resident training (gradients, activation
// and batch-norm kernels, optimizers, a small decoder) against the host.
// Prints one line per failure and a summary; exits 1 on any failure.
//
//   node test/gpu/check.mjs [--quick]
import path from 'node:path';
import * as deconv from '../../dist/esm/index.js';
import { runBundledSuites } from './suites.mjs';
import { checkTraining } from './training.mjs';
import { makeChecker } from './check-helpers.mjs';

const { convTranspose, convTransposeAsync, conv2dTranspose, convTransposePlan, toDevice, deviceMemory, synchronize, backends, cudnnStatus } = deconv;
const quick = process.argv.includes('--quick');
// Gradients only: the two gradient suites (TF's GradientTape golden data, finite differences and
// the float64 definition on random problems), for a short device run.
const onlyGradients = process.argv.includes('--only-gradients');
const { checks: counted, fail, log, random, pick, int, tensor, compare, rounded, addon, failures } = makeChecker();
let checks = 0; // suites' own checks; compare() counts the rest (see total())
const total = () => checks + counted();

// ---------------------------------------------------------------- 0. where we are
const status = cudnnStatus();
log(`cudnn: ${JSON.stringify(status)}`);
log(`backends: ${JSON.stringify(backends())}`);
if (!status?.available) {
  log('the cuDNN backend is not available here; nothing to check');
  process.exit(1);
}

// ---------------------------------------------------------------- 1. golden + conformance
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
for (const result of await runBundledSuites(path.join(root, '.gpu-carry', 'tests'), (name) => !onlyGradients || name.includes('grad'))) {
  checks += result.passed + result.failed;
  log(`suite ${result.bundle}: ${result.passed} passed, ${result.failed} failed (${result.seconds.toFixed(1)} s)`);
  for (const f of result.failures) fail(`${result.bundle}: ${f}`);
}

// ---------------------------------------------------------------- 2. random problems
const ACTIVATIONS = ['none', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu'];

function randomOnnxProblem() {
  const rank = pick([1, 2, 2, 2, 3]);
  const group = pick([1, 1, 1, 2, 4]);
  const C = group * int(1, 4);
  const Mg = int(1, 4);
  const kernel = Array.from({ length: rank }, () => int(1, rank === 3 ? 3 : 5));
  const strides = Array.from({ length: rank }, () => int(1, 3));
  const dilations = Array.from({ length: rank }, () => pick([1, 1, 2]));
  const spatial = Array.from({ length: rank }, () => int(1, rank === 3 ? 5 : 9));
  const attrs = { strides, dilations, group };
  const mode = pick(['pads', 'pads', 'outputShape', 'same']);
  if (mode === 'pads') {
    attrs.pads = [...kernel.map((k, i) => int(0, (k - 1) * dilations[i])), ...kernel.map((k, i) => int(0, (k - 1) * dilations[i]))];
    attrs.outputPadding = strides.map((s, i) => int(0, Math.max(s, dilations[i]) - 1));
  } else if (mode === 'outputShape') {
    attrs.outputShape = spatial.map((n, i) => (n - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 + int(-1, strides[i] - 1));
    attrs.outputShape = attrs.outputShape.map((o) => Math.max(1, o));
  } else {
    attrs.autoPad = pick(['SAME_UPPER', 'SAME_LOWER']);
  }
  const activation = pick(ACTIVATIONS);
  if (activation !== 'none') attrs.activation = activation;
  if (activation === 'leakyRelu') attrs.alpha = pick([0.1, 0.2, 1.5]);
  if (activation === 'elu') attrs.alpha = pick([1, 0.5]);
  const X = tensor([int(1, 3), C, ...spatial]);
  const W = tensor([C, Mg, ...kernel]);
  const B = random() < 0.5 ? tensor([Mg * group]) : null;
  return { X, W, B, attrs };
}

function randomTfProblem() {
  const N = int(1, 3), H = int(1, 8), Wd = int(1, 8), C = int(1, 6), M = int(1, 6);
  const kh = int(1, 5), kw = int(1, 5), sh = int(1, 3), sw = int(1, 3);
  const padding = pick(['SAME', 'VALID', 'explicit']);
  const nchw = random() < 0.5;
  let outH, outW, pad;
  if (padding === 'SAME') {
    outH = H * sh - int(0, sh - 1);
    outW = Wd * sw - int(0, sw - 1);
    pad = 'SAME';
  } else if (padding === 'VALID') {
    outH = (H - 1) * sh + kh + int(0, sh - 1);
    outW = (Wd - 1) * sw + kw + int(0, sw - 1);
    pad = 'VALID';
  } else {
    const t = int(0, kh - 1), b = int(0, kh - 1), l = int(0, kw - 1), r = int(0, kw - 1);
    outH = (H - 1) * sh + kh - t - b;
    outW = (Wd - 1) * sw + kw - l - r;
    if (outH < 1 || outW < 1) return randomTfProblem();
    pad = nchw ? [[0, 0], [0, 0], [t, b], [l, r]] : [[0, 0], [t, b], [l, r], [0, 0]];
  }
  if (outH < 1 || outW < 1) return randomTfProblem();
  const input = tensor(nchw ? [N, C, H, Wd] : [N, H, Wd, C]);
  const filters = tensor([kh, kw, M, C]);
  const outputShape = nchw ? [N, M, outH, outW] : [N, outH, outW, M];
  const options = { dataFormat: nchw ? 'NCHW' : 'NHWC' };
  if (random() < 0.5) options.bias = tensor([M]);
  const activation = pick(ACTIVATIONS);
  if (activation !== 'none') options.activation = activation;
  return { input, filters, outputShape, strides: [sh, sw], padding: pad, options };
}

// ---------------------------------------------------------------- 1b. training on the device
await checkTraining({ compare, fail, log, tensor, rounded, random, int, quick });

if (onlyGradients) {
  log(`\n${total()} checks, ${failures.length} failures`);
  process.exit(failures.length === 0 ? 0 : 1);
}

const count = quick ? 60 : 300;
const started = performance.now();
for (let i = 0; i < count; i++) {
  // ONNX front end: host sync, host async, device (each dtype in turn), plan.
  const { X, W, B, attrs } = randomOnnxProblem();
  let expected;
  try {
    expected = convTranspose(X, W, B, { ...attrs, backend: 'ts' });
  } catch {
    continue; // an invalid random combination (the reference refuses it); cuDNN must refuse too
  }
  const label = `onnx #${i} X[${X.shape}] W[${W.shape}] ${JSON.stringify(attrs)} bias=${!!B}`;
  try {
    compare(`${label} host sync`, convTranspose(X, W, B, { ...attrs, backend: 'cudnn' }).data, expected.data, 1e-4);
    compare(`${label} host async`, (await convTransposeAsync(X, W, B, { ...attrs, backend: 'cudnn' })).data, expected.data, 1e-4);
    const dtype = ['float32', 'float16', 'bfloat16'][i % 3];
    const tol = { float32: 1e-4, float16: 1e-2, bfloat16: 4e-2 }[dtype];
    const [Xr, Wr, Br] = [rounded(X, dtype), rounded(W, dtype), B && rounded(B, dtype)];
    const expectedRounded = dtype === 'float32' ? expected : convTranspose(Xr, Wr, Br, { ...attrs, backend: 'ts' });
    const xd = toDevice(X, { dtype }), wd = toDevice(W, { dtype }), bd = B ? toDevice(B, { dtype }) : null;
    const yd = convTranspose(xd, wd, bd, attrs);
    compare(`${label} device ${dtype}`, yd.toHostSync().data, expectedRounded.data, tol);
    const ya = await convTransposeAsync(xd, wd, bd, { ...attrs, benchmark: i % 2 === 0 });
    compare(`${label} device async ${dtype}${i % 2 === 0 ? ' benchmark' : ''}`, (await ya.toHost()).data, expectedRounded.data, tol);
    const plan = convTransposePlan(X.shape, wd, bd, { ...attrs, backend: 'cudnn' });
    const yp = plan.run(xd, { wait: false });
    compare(`${label} plan device enqueue ${dtype}`, (await yp.toHost()).data, expectedRounded.data, tol);
    if (dtype === 'float32') compare(`${label} plan host`, plan.run(X).data, expected.data, 1e-4);
    plan.dispose();
    for (const t of [xd, wd, bd, yd, ya, yp]) t?.dispose();
    if (i % 10 === 0) {
      compare(`${label} tf32`, convTranspose(X, W, B, { ...attrs, backend: 'cudnn', allowTF32: true }).data, expected.data, 1e-2);
      compare(`${label} deterministic`, convTranspose(X, W, B, { ...attrs, backend: 'cudnn', deterministic: true }).data, expected.data, 1e-4);
    }
  } catch (error) {
    fail(`${label}: threw ${error?.constructor?.name}: ${error?.message}`);
  }
  // TF front end: NHWC and NCHW, SAME with odd totals, explicit asymmetric pads.
  const p = randomTfProblem();
  const tfLabel = `tf #${i} in[${p.input.shape}] f[${p.filters.shape}] out[${p.outputShape}] s${p.strides} ${JSON.stringify(p.padding)} ${JSON.stringify({ ...p.options, bias: !!p.options.bias })}`;
  try {
    const want = conv2dTranspose(p.input, p.filters, p.outputShape, p.strides, p.padding, { ...p.options, backend: 'ts' });
    compare(`${tfLabel} host`, conv2dTranspose(p.input, p.filters, p.outputShape, p.strides, p.padding, { ...p.options, backend: 'cudnn' }).data, want.data, 1e-4);
    const xd = toDevice(p.input);
    const got = conv2dTranspose(xd, p.filters, p.outputShape, p.strides, p.padding, { ...p.options, backend: 'cudnn' });
    compare(`${tfLabel} device`, got.toHostSync().data, want.data, 1e-4);
    xd.dispose();
    got.dispose();
  } catch (error) {
    fail(`${tfLabel}: threw ${error?.constructor?.name}: ${error?.message}`);
  }
}
log(`random problems: ${count} ONNX + ${count} TF, ${((performance.now() - started) / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------- 3. memory
try {
  synchronize();
  const before = deviceMemory();
  const many = Array.from({ length: 20 }, () => toDevice(tensor([256, 1024])));
  const during = deviceMemory();
  checks++;
  if (during.tensors - before.tensors !== 20 || during.tensorBytes - before.tensorBytes !== 20 * 256 * 1024 * 4) {
    fail(`deviceMemory: 20 tensors of 1 MiB, but counted ${during.tensors - before.tensors} and ${during.tensorBytes - before.tensorBytes} bytes`);
  }
  for (const t of many) t.dispose();
  const after = deviceMemory();
  checks++;
  if (after.tensors !== before.tensors || after.tensorBytes !== before.tensorBytes) fail(`dispose did not free: ${JSON.stringify({ before, after })}`);
  log(`memory: ${JSON.stringify(after)}`);
  // Out of memory: a request far beyond the device fails with an Error; the process goes on.
  checks++;
  try {
    addon.cudnnEmpty(2 ** 42, 'float32', 0);
    fail('a 16 TiB device allocation did not fail');
  } catch (error) {
    log(`out-of-memory request: ${error.constructor.name}: ${error.message}`);
    if (!/out of device memory/.test(error.message)) fail(`out-of-memory message: ${error.message}`);
  }
  const X = tensor([1, 4, 5, 5]), W = tensor([4, 3, 3, 3]);
  compare('after out-of-memory', convTranspose(X, W, null, { backend: 'cudnn', strides: [2, 2] }).data, convTranspose(X, W, null, { backend: 'ts', strides: [2, 2] }).data, 1e-4);
  // A disposed tensor is refused with a TypeError naming the argument.
  checks++;
  const gone = toDevice(X);
  gone.dispose();
  try {
    convTranspose(gone, W, null, { strides: [2, 2] });
    fail('a disposed device tensor was accepted');
  } catch (error) {
    if (!(error instanceof TypeError) || !/X|input/.test(error.message)) fail(`disposed tensor: ${error.constructor.name}: ${error.message}`);
  }
} catch (error) {
  fail(`memory checks threw ${error?.constructor?.name}: ${error?.message}`);
}

log(`\n${total()} checks, ${failures.length} failures`);
process.exit(failures.length === 0 ? 0 : 1);
