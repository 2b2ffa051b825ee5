#!/usr/bin/env node
// The pure-TypeScript reference backend (deconv, backend 'ts') against TensorFlow.js's CPU backend
// (@tensorflow/tfjs-backend-cpu, tf.conv2dTranspose) on the "dcgan" and "unet" layers of
// bench/suite.json, with the same random data on both sides.
//
//   npm run build && node bench/reference-vs-tfjs.mjs            # every layer, writes bench/results/
//   node bench/reference-vs-tfjs.mjs --quick                     # one small layer per suite, prints only
//   node bench/reference-vs-tfjs.mjs --only=unet-1-b1,dcgan-g2-b1 # chosen layers, prints only
//   node bench/reference-vs-tfjs.mjs --budget=8                  # seconds of timed runs per side per layer
//
// Layers are given in the ONNX convention (x [N, C, H, W], w [C, M, KH, KW], pads [top, left,
// bottom, right]). Each is run as TF's conv2d_transpose in NHWC: input [N, H, W, C], filters
// [KH, KW, M, C], outputShape [N, OH, OW, M] with OH = (H - 1)·s + KH − top − bottom, and padding
// 'valid' (all pads 0 and that is the full output) or 'same' (when TF's SAME rule gives exactly
// these pads); a layer that is neither is refused. Each output is checked three ways: deconv
// against tfjs (max |diff| / max |tfjs|), both against the ONNX scatter definition in float64 on
// sampled output elements.
//
// Timing: one warm-up call per side, then `reps` calls alternating deconv and tfjs; reps is fitted
// to --budget from the warm-up time (at least 3, at most 50). The tfjs time includes dataSync() and
// the result is disposed each time; the inputs are made once per layer on both sides.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distEntry = join(root, 'dist/esm/index.js');
if (!existsSync(distEntry)) {
  console.error(`bench: ${relative(root, distEntry)} is missing; run \`npm run build\` first.`);
  process.exit(1);
}
const srcRef = join(root, 'src/backends/reference.ts');
const distRef = join(root, 'dist/esm/backends/reference.js');
if (existsSync(srcRef) && existsSync(distRef) && statSync(srcRef).mtimeMs > statSync(distRef).mtimeMs) {
  console.warn('bench: warning: src/backends/reference.ts is newer than dist/; run `npm run build` to measure the current source.');
}

const deconv = await import(pathToFileURL(distEntry).href);
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
tf.env().set('PROD', true); // silences the "install tfjs-node" notice; no effect on the kernels
await tf.setBackend('cpu');
await tf.ready();
if (tf.getBackend() !== 'cpu') throw new Error(`tfjs backend is ${tf.getBackend()}, expected cpu`);

// ---------------------------------------------------------------------------------------------
// Arguments

const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
for (const a of args) {
  if (!/^--(quick|only=.+|budget=[\d.]+|help)$/.test(a)) {
    console.error(`bench: unknown argument ${a} (try --help)`);
    process.exit(2);
  }
}
if (flag('help')) {
  console.log('usage: node bench/reference-vs-tfjs.mjs [--quick] [--only=name,name] [--budget=seconds]');
  process.exit(0);
}
const quick = flag('quick');
const only = option('only')?.split(',');
const budgetS = Number(option('budget') ?? (quick ? 2 : 6));
const MIN_REPS = 3;
const MAX_REPS = 50;
const TOLERANCE = 1e-4;
const SUITES = ['dcgan', 'unet'];
const QUICK_LAYERS = ['dcgan-g3-b1', 'unet-2-b1'];

const suite = JSON.parse(readFileSync(join(root, 'bench/suite.json'), 'utf8'));
let layers = suite.layers.filter((l) => SUITES.includes(l.suite));
if (quick) layers = layers.filter((l) => QUICK_LAYERS.includes(l.name));
if (only) {
  const unknown = only.filter((n) => !layers.some((l) => l.name === n));
  if (unknown.length) {
    console.error(`bench: no layer ${unknown.join(', ')} in suites ${SUITES.join(', ')}`);
    process.exit(2);
  }
  layers = layers.filter((l) => only.includes(l.name));
}
const writeResults = !quick && !only;

// ---------------------------------------------------------------------------------------------
// Layers as TF conv2d_transpose calls

/** The NHWC conv2dTranspose call that is this ONNX layer, with TF padding checked to match. */
function tfCall(layer) {
  const [N, C, H, W] = layer.x;
  const [C2, M, KH, KW] = layer.w;
  if (C2 !== C || (layer.group ?? 1) !== 1 || layer.dilations || layer.outputPadding) {
    throw new Error(`${layer.name}: only ungrouped, undilated layers without outputPadding are supported`);
  }
  const [sh, sw] = layer.strides;
  const [top, left, bottom, right] = layer.pads;
  const OH = (H - 1) * sh + KH - top - bottom;
  const OW = (W - 1) * sw + KW - left - right;
  // TF 'VALID': the full output, no padding.
  const validMatches = top === 0 && left === 0 && bottom === 0 && right === 0;
  // TF 'SAME' for conv2d_transpose with output size O: the forward conv of O gives ceil(O / s)
  // positions (must be the input size), total padding max((in − 1)·s + k − O, 0), the smaller half
  // before.
  const samePads = (inSize, outSize, k, s) => {
    if (Math.ceil(outSize / s) !== inSize) return undefined;
    const total = Math.max((inSize - 1) * s + k - outSize, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const ph = samePads(H, OH, KH, sh);
  const pw = samePads(W, OW, KW, sw);
  const sameMatches = ph && pw && ph[0] === top && ph[1] === bottom && pw[0] === left && pw[1] === right;
  let padding;
  if (validMatches) padding = 'valid';
  else if (sameMatches) padding = 'same';
  else throw new Error(`${layer.name}: pads [${layer.pads}] are neither TF 'VALID' nor 'SAME' for output ${OH}x${OW}`);
  return {
    N, C, H, W, M, KH, KW, sh, sw, top, left, OH, OW, padding,
    xShape: [N, H, W, C],
    wShape: [KH, KW, M, C],
    outputShape: [N, OH, OW, M],
    flops: 2 * N * H * W * C * M * KH * KW,
  };
}

/** Deterministic uniform [-1, 1) data (mulberry32). */
function randomData(size, seed) {
  const out = new Float32Array(size);
  let a = seed >>> 0;
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2147483648 - 1;
  }
  return out;
}

/** One output element (NHWC) from the ONNX scatter definition, in float64. */
function definitionAt(call, x, w, n, oh, ow, m) {
  const { C, H, W, M, KH, KW, sh, sw, top, left } = call;
  let sum = 0;
  for (let kh = 0; kh < KH; kh++) {
    const th = oh + top - kh; // = ih·sh
    if (th < 0 || th % sh !== 0 || th / sh >= H) continue;
    const ih = th / sh;
    for (let kw = 0; kw < KW; kw++) {
      const tw = ow + left - kw;
      if (tw < 0 || tw % sw !== 0 || tw / sw >= W) continue;
      const iw = tw / sw;
      const xo = ((n * H + ih) * W + iw) * C;
      const wo = ((kh * KW + kw) * M + m) * C;
      for (let c = 0; c < C; c++) sum += x[xo + c] * w[wo + c];
    }
  }
  return sum;
}

/** max |a − b| / max |b| over all elements. */
function relativeDiff(a, b) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** The same measure against the definition on `samples` pseudo-random output elements. */
function definitionDiff(call, x, w, outputs, samples) {
  const rnd = randomData(samples * 4, 99);
  const pick = (r, size) => Math.min(size - 1, Math.floor(((r + 1) / 2) * size));
  let scale = 0;
  const picked = [];
  for (let s = 0; s < samples; s++) {
    const n = pick(rnd[4 * s], call.N);
    const oh = pick(rnd[4 * s + 1], call.OH);
    const ow = pick(rnd[4 * s + 2], call.OW);
    const m = pick(rnd[4 * s + 3], call.M);
    const exact = definitionAt(call, x, w, n, oh, ow, m);
    scale = Math.max(scale, Math.abs(exact));
    picked.push([((n * call.OH + oh) * call.OW + ow) * call.M + m, exact]);
  }
  return outputs.map((out) => Math.max(...picked.map(([i, exact]) => Math.abs(out[i] - exact))) / (scale || 1));
}

// ---------------------------------------------------------------------------------------------
// Timing

const now = () => performance.now();
const gc = globalThis.gc ?? (() => {});

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    medianMs: median,
    minMs: sorted[0],
    maxMs: sorted[sorted.length - 1],
    spreadPct: (100 * (sorted[sorted.length - 1] - sorted[0])) / median,
    reps: times.length,
    timesMs: times.map((t) => Number(t.toFixed(3))),
  };
}

function runLayer(layer, index) {
  const call = tfCall(layer);
  const x = randomData(call.xShape.reduce((a, b) => a * b, 1), 1000 + 2 * index);
  const w = randomData(call.wShape.reduce((a, b) => a * b, 1), 1001 + 2 * index);
  const strides = [call.sh, call.sw];

  const runDeconv = () =>
    deconv.conv2dTranspose({ shape: call.xShape, data: x }, { shape: call.wShape, data: w }, call.outputShape, strides, call.padding, {
      backend: 'ts',
    }).data;
  const xt = tf.tensor4d(x, call.xShape, 'float32');
  const wt = tf.tensor4d(w, call.wShape, 'float32');
  const runTfjs = () => {
    const y = tf.conv2dTranspose(xt, wt, call.outputShape, strides, call.padding);
    const data = y.dataSync();
    y.dispose();
    return data;
  };

  // Warm-up, which also gives the outputs to compare and the time per call.
  gc();
  let t = now();
  const ours = runDeconv();
  const warmDeconv = now() - t;
  gc();
  t = now();
  const theirs = runTfjs();
  const warmTfjs = now() - t;
  const shapeOk = ours.length === theirs.length && ours.length === call.outputShape.reduce((a, b) => a * b, 1);
  if (!shapeOk) throw new Error(`${layer.name}: output sizes differ (deconv ${ours.length}, tfjs ${theirs.length})`);
  const maxDiff = relativeDiff(ours, theirs);
  const [defDeconv, defTfjs] = definitionDiff(call, x, w, [ours, theirs], 64);

  const reps = Math.max(MIN_REPS, Math.min(MAX_REPS, Math.floor((budgetS * 1000) / Math.max(warmDeconv, warmTfjs))));
  const deconvTimes = [];
  const tfjsTimes = [];
  for (let r = 0; r < reps; r++) {
    gc();
    t = now();
    runDeconv();
    deconvTimes.push(now() - t);
    gc();
    t = now();
    runTfjs();
    tfjsTimes.push(now() - t);
  }
  xt.dispose();
  wt.dispose();

  const d = stats(deconvTimes);
  const f = stats(tfjsTimes);
  return {
    suite: layer.suite,
    name: layer.name,
    onnx: { x: layer.x, w: layer.w, strides: layer.strides, pads: layer.pads },
    tf: { input: call.xShape, filters: call.wShape, outputShape: call.outputShape, strides, padding: call.padding },
    flops: call.flops,
    deconv: { ...d, gflops: call.flops / (d.medianMs * 1e6) },
    tfjs: { ...f, gflops: call.flops / (f.medianMs * 1e6) },
    ratio: f.medianMs / d.medianMs,
    maxDiff,
    definitionDiff: { deconv: defDeconv, tfjs: defTfjs },
    ok: maxDiff <= TOLERANCE && defDeconv <= TOLERANCE && defTfjs <= TOLERANCE,
  };
}

// ---------------------------------------------------------------------------------------------
// Machine, run, report

const cpuModel = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1]?.trim() ?? cpus()[0]?.model;
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
})();
const pkgVersion = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
let gitCommit = 'unknown';
try {
  gitCommit = execSync('git rev-parse --short HEAD', { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {}
const machine = {
  cpu: cpuModel,
  logicalCpus: cpus().length,
  node: process.version,
  v8: process.versions.v8,
  platform: `${process.platform} ${process.arch}`,
  tfjsCore: pkgVersion('@tensorflow/tfjs-core'),
  tfjsBackendCpu: pkgVersion('@tensorflow/tfjs-backend-cpu'),
  tfjsBackend: tf.getBackend(),
  deconvBackend: 'ts',
  gitCommit,
  loadAverageAtStart: loadavg().map((v) => Number(v.toFixed(2))),
};
const command = ['node', ...process.execArgv, 'bench/reference-vs-tfjs.mjs', ...args].join(' ');

console.log(`deconv reference (backend 'ts') vs tfjs ${machine.tfjsBackendCpu} cpu conv2dTranspose`);
console.log(`${machine.cpu}, ${machine.logicalCpus} logical CPUs, node ${machine.node}; budget ${budgetS} s per side per layer`);
console.log('');

const fmt = (v, digits = 1) => v.toFixed(digits);
const header = ['layer', 'tf call (NHWC)', 'GFLOP', 'deconv ms (min, spread)', 'tfjs ms (min, spread)', 'tfjs/deconv', 'deconv GFLOP/s', 'tfjs GFLOP/s', 'max diff', 'reps'];
const row = (r) => [
  r.name,
  `[${r.tf.input}] * [${r.tf.filters}] s${r.tf.strides[0]} ${r.tf.padding}`,
  fmt(r.flops / 1e9, 2),
  `${fmt(r.deconv.medianMs)} (${fmt(r.deconv.minMs)}, ${fmt(r.deconv.spreadPct, 0)}%)`,
  `${fmt(r.tfjs.medianMs)} (${fmt(r.tfjs.minMs)}, ${fmt(r.tfjs.spreadPct, 0)}%)`,
  `${fmt(r.ratio, 2)}x`,
  fmt(r.deconv.gflops, 2),
  fmt(r.tfjs.gflops, 2),
  r.maxDiff.toExponential(1),
  String(r.deconv.reps),
];

const results = [];
const started = now();
for (const layer of layers) {
  const r = runLayer(layer, suite.layers.indexOf(layer));
  results.push(r);
  const cells = row(r);
  console.log(
    `${r.ok ? 'ok  ' : 'FAIL'} ${cells[0].padEnd(13)} deconv ${cells[3].padStart(22)}  tfjs ${cells[4].padStart(22)}  ratio ${cells[5].padStart(6)}  ` +
      `${cells[6].padStart(5)} vs ${cells[7].padStart(5)} GFLOP/s  diff ${cells[8]} (definition: deconv ${r.definitionDiff.deconv.toExponential(1)}, tfjs ${r.definitionDiff.tfjs.toExponential(1)})`,
  );
}
const totalS = (now() - started) / 1000;
machine.loadAverageAtEnd = loadavg().map((v) => Number(v.toFixed(2)));

const table = [header, header.map(() => '---'), ...results.map(row)].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
const slower = results.filter((r) => r.ratio < 1);
const failed = results.filter((r) => !r.ok);
const geomean = Math.exp(results.reduce((s, r) => s + Math.log(r.ratio), 0) / Math.max(1, results.length));
const summary =
  `${results.length} layers, ${fmt(totalS, 0)} s. tfjs/deconv ratio: geometric mean ${fmt(geomean, 2)}x, ` +
  `min ${fmt(Math.min(...results.map((r) => r.ratio)), 2)}x, max ${fmt(Math.max(...results.map((r) => r.ratio)), 2)}x. ` +
  (slower.length ? `deconv slower than tfjs on: ${slower.map((r) => r.name).join(', ')}.` : 'deconv is no slower than tfjs on any layer.') +
  (failed.length ? ` OUTPUT MISMATCH on: ${failed.map((r) => r.name).join(', ')}.` : ` All outputs agree (max diff ≤ ${TOLERANCE}).`);
console.log('');
console.log(table);
console.log('');
console.log(summary);

if (writeResults) {
  const outDir = join(root, 'bench/results');
  mkdirSync(outDir, { recursive: true });
  const date = new Date().toISOString();
  const md = `# deconv reference backend vs TensorFlow.js CPU: conv2dTranspose

Generated by \`${command}\` (npm script \`bench:reference\`, after \`npm run build\`) on ${date}.

- Machine: ${machine.cpu}, ${machine.logicalCpus} logical CPUs, ${machine.platform}
- Load average (1, 5, 15 min) at start ${machine.loadAverageAtStart.join(', ')}, at end ${machine.loadAverageAtEnd.join(', ')}: the CPUs may be shared with other work, which is why deconv and tfjs calls alternate (both see the same conditions) and the min is shown too
- Node ${machine.node} (V8 ${machine.v8}); tfjs-core ${machine.tfjsCore}, tfjs-backend-cpu ${machine.tfjsBackendCpu} (backend \`${machine.tfjsBackend}\`); deconv backend \`'ts'\` (src/backends/reference.ts) at commit ${machine.gitCommit} plus working-tree changes
- Layers: suites ${SUITES.map((s) => `"${s}"`).join(' and ')} of bench/suite.json (ONNX shapes), run as NHWC \`conv2dTranspose(input [N,H,W,C], filters [KH,KW,M,C], [N,OH,OW,M], strides, padding)\` on both sides with the same uniform [-1, 1) data. OH = (H−1)·s + KH − pads; padding is \`valid\` (pads 0) or \`same\` (checked to give exactly the ONNX pads).
- Times: median of the reps after one warm-up (min and spread = (max−min)/median in parentheses); tfjs includes \`dataSync()\`, both allocate their output. GFLOP/s = 2·N·H·W·C·M·KH·KW / median. Ratio = tfjs median / deconv median (> 1: deconv faster).
- max diff = max |deconv − tfjs| / max |tfjs| over the whole output; both were also checked against the float64 ONNX definition on 64 sampled elements (see the JSON).

${table}

${summary}
`;
  writeFileSync(join(outDir, 'reference-vs-tfjs.md'), md);
  writeFileSync(
    join(outDir, 'reference-vs-tfjs.json'),
    `${JSON.stringify({ command, date, machine, budgetSeconds: budgetS, tolerance: TOLERANCE, totalSeconds: totalS, results }, null, 2)}\n`,
  );
  console.log(`wrote bench/results/reference-vs-tfjs.{md,json}`);
} else {
  console.log('(partial run: bench/results/ not written)');
}
if (failed.length) process.exitCode = 1;
