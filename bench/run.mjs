#!/usr/bin/env node
/**
 * The deconv benchmark runner: the layer suite of bench/suite.json on deconv's oneDNN and
 * reference backends, TensorFlow (tf.nn.conv{1,2,3}d_transpose in a Python subprocess,
 * bench/tf_worker.py) and ONNX Runtime (onnxruntime-node, ConvTranspose), in one run, with the
 * same thread count everywhere. See bench/README.md for the columns and `--help` for the options.
 *
 *   npm run build && node scripts/build-native.mjs    # the library and its addon
 *   npm run bench                                     # the whole suite (~10 min on 2 cores)
 *   npm run bench -- --quick                          # one layer per suite, < 1 min
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { convTransposeModel } from './onnx-model.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SUITES = ['dcgan', 'radford', 'unet', 'fsrcnn', 'style', 'depthwise', 'dilated', '1d', '3d', 'tiny'];

// ---- options -------------------------------------------------------------------------------------

const HELP = `usage: node bench/run.mjs [options]        (npm run bench -- [options])

  --suite S[,S]      ${SUITES.join('|')}|all (default all)
  --layers a,b       only these layers (names from bench/suite.json)
  --quick            one layer per suite, few reps (< 1 min)
  --backends list    deconv backends: onednn,ts (default both; 'ts' only on layers up to
                     --ts-max-gflop GFLOP, with 1-3 reps: the reference is slow)
  --ts-max-gflop G   default 2 (quick: 0.5)
  --peers list       tf,ort (default: both, each when installed); 'none' for neither
  --threads N        threads for every system (default: all cores, ${os.availableParallelism()} here)
  --target S         seconds of timed reps per system and layer (default 1, quick 0.2)
  --rounds R         the systems take turns R times per layer (default 2, quick 1)
  --json FILE        write the results as JSON
  --md FILE          write the results as a Markdown report
  --concurrency-layer NAME   the mid-size layer of the async concurrency check (default unet-2-b1)
  --no-extras        skip the tiny-call, concurrency and changing-shape measurements
  --python PATH      the Python with TensorFlow (default .cache/golden-venv/bin/python)
  --help`;

const { values: opt } = parseArgs({
  options: {
    suite: { type: 'string', default: 'all' },
    layers: { type: 'string' },
    quick: { type: 'boolean', default: false },
    backends: { type: 'string', default: 'onednn,ts' },
    'ts-max-gflop': { type: 'string' },
    peers: { type: 'string' },
    threads: { type: 'string' },
    target: { type: 'string' },
    rounds: { type: 'string' },
    json: { type: 'string' },
    md: { type: 'string' },
    'concurrency-layer': { type: 'string', default: 'unet-2-b1' },
    'no-extras': { type: 'boolean', default: false },
    python: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log(HELP);
  process.exit(0);
}

const THREADS = opt.threads ? Number(opt.threads) : os.availableParallelism();
if (!Number.isInteger(THREADS) || THREADS < 1) throw new Error(`--threads must be an integer ≥ 1, got ${opt.threads}`);
const QUICK = opt.quick;
const TARGET_S = opt.target ? Number(opt.target) : QUICK ? 0.2 : 1;
const ROUNDS = opt.rounds ? Number(opt.rounds) : QUICK ? 1 : 2;
const TS_MAX_GFLOP = opt['ts-max-gflop'] !== undefined ? Number(opt['ts-max-gflop']) : QUICK ? 0.5 : 2;
const WANT_BACKENDS = new Set(opt.backends.split(',').map((s) => s.trim()).filter(Boolean));
for (const b of WANT_BACKENDS) if (b !== 'onednn' && b !== 'ts') throw new Error(`--backends: unknown backend ${b} (onednn, ts)`);
const PEERS_GIVEN = opt.peers !== undefined;
const WANT_PEERS = new Set(PEERS_GIVEN ? opt.peers.split(',').map((s) => s.trim()).filter((s) => s && s !== 'none') : ['tf', 'ort']);
for (const p of WANT_PEERS) if (p !== 'tf' && p !== 'ort') throw new Error(`--peers: unknown peer ${p} (tf, ort)`);
const OUT_DIR = path.join(ROOT, 'bench', 'out');
mkdirSync(OUT_DIR, { recursive: true });

// ---- the library -------------------------------------------------------------------------------

const distIndex = path.join(ROOT, 'dist', 'esm', 'index.js');
if (!existsSync(distIndex)) {
  console.error('dist/ is missing: run `npm run build` (and `node scripts/build-native.mjs` for the oneDNN backend) first');
  process.exit(2);
}
const deconv = await import(pathToFileURL(distIndex).href);
const { nativeAddon } = await import(pathToFileURL(path.join(ROOT, 'dist', 'esm', 'backends', 'native.js')).href);
const addon = nativeAddon().addon;
const backendInfo = Object.fromEntries(deconv.backends().map((b) => [b.name, b]));
if (WANT_BACKENDS.has('onednn') && !backendInfo.onednn?.available) {
  console.error(`the oneDNN backend is not available: ${backendInfo.onednn?.reason}. Build it with \`node scripts/build-native.mjs\`, or pass --backends ts`);
  process.exit(2);
}
const HAVE_ONEDNN = WANT_BACKENDS.has('onednn');
if (HAVE_ONEDNN) deconv.setNumThreads(THREADS);

// ---- small helpers -----------------------------------------------------------------------------

const prod = (a) => a.reduce((x, y) => x * y, 1);
const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (v, d = 2) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(d));
const fmtMs = (v) => (v === undefined || v === null ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const fmtRatio = (v) => (v === undefined || v === null ? '–' : `${v.toFixed(2)}x`);
const geomean = (xs) => (xs.length ? Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length) : undefined);

function quantile(sorted, q) {
  if (!sorted.length) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

function stats(times, flops) {
  const s = [...times].sort((a, b) => a - b);
  const median = quantile(s, 0.5);
  return {
    reps: s.length,
    medianMs: median,
    minMs: s[0],
    maxMs: s[s.length - 1],
    p10Ms: quantile(s, 0.1),
    p90Ms: quantile(s, 0.9),
    spread: (quantile(s, 0.9) - quantile(s, 0.1)) / median,
    gflops: flops / (median * 1e6),
  };
}

/** Uniform [-1, 1) floats from a fixed seed (xorshift32), scaled. */
function randomData(n, seed, scale = 1) {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = ((s / 4294967296) * 2 - 1) * scale;
  }
  return a;
}

/** [N, C, ...S] -> [N, ...S, C]. */
function toChannelsLast(data, shape) {
  const [N, C] = shape;
  const S = prod(shape.slice(2));
  const out = new Float32Array(data.length);
  for (let n = 0; n < N; n++) {
    const base = n * C * S;
    for (let c = 0; c < C; c++) {
      const from = base + c * S;
      for (let i = 0; i < S; i++) out[base + i * C + c] = data[from + i];
    }
  }
  return out;
}

/** ONNX W [C, Mg, ...K] -> TF filters [...K, Mg, C]. */
function onnxToTfFilters(w, shape) {
  const [C, Mg] = shape;
  const K = prod(shape.slice(2));
  const out = new Float32Array(w.length);
  for (let c = 0; c < C; c++) for (let m = 0; m < Mg; m++) for (let k = 0; k < K; k++) out[(k * Mg + m) * C + c] = w[(c * Mg + m) * K + k];
  return out;
}

/** max |a - ref| / max |ref| (NaN-safe: a NaN anywhere is a mismatch). */
function relDiff(a, ref) {
  if (a.length !== ref.length) return { rel: Infinity, note: `length ${a.length} vs ${ref.length}` };
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(a[i] - ref[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    const r = Math.abs(ref[i]);
    if (r > maxRef) maxRef = r;
  }
  return { rel: maxRef > 0 ? maxDiff / maxRef : maxDiff, maxAbsDiff: maxDiff, maxAbsRef: maxRef };
}
const TOLERANCE = 1e-3;

function git(args) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Which addon binary ran (it may be older than the checked-out sources). */
function addonBuild() {
  for (const dir of ['build/Release', 'build/Debug']) {
    const file = path.join(ROOT, dir, 'deconv.node');
    if (existsSync(file)) return { path: `${dir}/deconv.node`, builtAt: statSync(file).mtime.toISOString() };
  }
  return undefined;
}

function loadAverage() {
  return os.loadavg().map((v) => Number(v.toFixed(2)));
}

// ---- layers ------------------------------------------------------------------------------------

/** Everything the systems need about one suite layer. */
function deriveLayer(spec) {
  const rank = spec.x.length - 2;
  const [N, C, ...inS] = spec.x;
  const [wC, Mg, ...K] = spec.w;
  if (wC !== C) throw new Error(`${spec.name}: w[0] = ${wC} but x has ${C} channels`);
  const group = spec.group ?? 1;
  const M = Mg * group;
  const strides = spec.strides ?? Array(rank).fill(1);
  const dilations = spec.dilations ?? Array(rank).fill(1);
  const outputPadding = spec.outputPadding ?? Array(rank).fill(0);
  let padsBegin;
  let padsEnd;
  let padsNote;
  if (spec.pads) {
    padsBegin = spec.pads.slice(0, rank);
    padsEnd = spec.pads.slice(rank);
  } else if (spec.tfSame) {
    // TF SAME with the given output shape: total = (in-1)·s + (k-1)·d + 1 − out, odd unit at the end
    // (= ONNX SAME_UPPER); written as explicit ONNX pads for every ONNX-convention system.
    const outSp = spec.tfSame.outputShape.slice(1, 1 + rank);
    padsBegin = [];
    padsEnd = [];
    for (let i = 0; i < rank; i++) {
      const total = Math.max(0, (inS[i] - 1) * strides[i] + (K[i] - 1) * dilations[i] + 1 + outputPadding[i] - outSp[i]);
      padsBegin.push(Math.floor(total / 2));
      padsEnd.push(total - Math.floor(total / 2));
    }
    padsNote = `pads from TF SAME: [${padsBegin.join(',')}, ${padsEnd.join(',')}]`;
  } else {
    padsBegin = Array(rank).fill(0);
    padsEnd = Array(rank).fill(0);
  }
  const outS = inS.map((n, i) => strides[i] * (n - 1) + outputPadding[i] + (K[i] - 1) * dilations[i] + 1 - padsBegin[i] - padsEnd[i]);
  const xShape = [N, C, ...inS];
  const yShape = [N, M, ...outS];
  const flops = 2 * N * C * Mg * prod(K) * prod(inS);
  const layer = {
    spec,
    name: spec.name,
    suite: spec.suite,
    rank,
    N,
    C,
    M,
    Mg,
    group,
    inS,
    outS,
    K,
    strides,
    dilations,
    outputPadding,
    padsBegin,
    padsEnd,
    padsNote,
    xShape,
    wShape: spec.w,
    yShape,
    flops,
    gflop: flops / 1e9,
  };
  layer.onnxAttrs = {
    strides,
    pads: [...padsBegin, ...padsEnd],
    dilations,
    group,
    outputPadding,
  };
  layer.tf = tfMapping(layer);
  return layer;
}

/**
 * How the layer is spelled as tf.nn.conv{1,2,3}d_transpose (channels last, filters [...K, Mg, C]):
 * VALID or SAME when TF's rule gives exactly the ONNX pads, else explicit padding (2-D only; 1-D
 * as conv2d_transpose over a unit H, which is what tf.nn.conv1d_transpose does inside), else none.
 */
function tfMapping(L) {
  const { rank, inS, outS, K, strides: s, dilations: d, padsBegin: pb, padsEnd: pe, outputPadding: op } = L;
  const keff = K.map((k, i) => (k - 1) * d[i] + 1);
  const outputShape = [L.N, ...outS, L.M];
  const base = { op: `conv${rank}d_transpose`, rank, xShape: [L.N, ...inS, L.C], wShape: [...K, L.Mg, L.C], outputShape, strides: s, dilations: d };
  // VALID: no padding at the beginning; the output may extend up to s−1 past the full one.
  const valid = pb.every((p) => p === 0) && op.every((o, i) => o - pe[i] >= 0 && o - pe[i] < s[i]);
  if (valid) return { ...base, padding: 'VALID', spelled: 'VALID' };
  // SAME: ceil(out/s) = in and TF's pad_before = floor(total/2) equals ONNX's begin pad.
  const same = outS.every((o, i) => {
    const total = Math.max(0, (inS[i] - 1) * s[i] + keff[i] - o);
    return Math.ceil(o / s[i]) === inS[i] && Math.floor(total / 2) === pb[i];
  });
  if (same) return { ...base, padding: 'SAME', spelled: 'SAME' };
  // Explicit: TF needs floor((out + pb + pe − keff)/s) + 1 = in, i.e. output padding < stride.
  const explicitOk = op.every((o, i) => o < s[i]) && pb.every((p) => p >= 0) && pe.every((p) => p >= 0);
  if (!explicitOk) return { ...base, skip: 'output padding ≥ stride has no TF spelling' };
  if (rank === 2) {
    return { ...base, padding: [[0, 0], [pb[0], pe[0]], [pb[1], pe[1]], [0, 0]], spelled: `explicit [[${pb[0]},${pe[0]}],[${pb[1]},${pe[1]}]]` };
  }
  if (rank === 1) {
    return {
      ...base,
      op: 'conv2d_transpose',
      rank: 2,
      via2d: true,
      xShape: [L.N, 1, inS[0], L.C],
      wShape: [1, K[0], L.Mg, L.C],
      outputShape: [L.N, 1, outS[0], L.M],
      strides: [1, s[0]],
      dilations: [1, d[0]],
      padding: [[0, 0], [0, 0], [pb[0], pe[0]], [0, 0]],
      spelled: `conv2d_transpose over H=1, explicit [[0,0],[${pb[0]},${pe[0]}]] (what conv1d_transpose does inside; it has no explicit padding)`,
    };
  }
  return { ...base, skip: `pads [${pb.join(',')}, ${pe.join(',')}] with output padding [${op.join(',')}] are neither SAME nor VALID, and conv3d_transpose takes no explicit padding` };
}

const suite = JSON.parse(readFileSync(path.join(HERE, 'suite.json'), 'utf8'));
let specs = suite.layers;
if (opt.suite !== 'all') {
  const wanted = new Set(opt.suite.split(','));
  for (const s of wanted) if (!SUITES.includes(s)) throw new Error(`--suite: unknown suite ${s} (${SUITES.join(', ')}, all)`);
  specs = specs.filter((l) => wanted.has(l.suite));
}
if (opt.layers) {
  const wanted = opt.layers.split(',').map((s) => s.trim());
  for (const n of wanted) if (!suite.layers.some((l) => l.name === n)) throw new Error(`--layers: no layer ${n} in bench/suite.json`);
  specs = suite.layers.filter((l) => wanted.includes(l.name));
}
let layers = specs.map(deriveLayer);
if (QUICK && !opt.layers) {
  // One mid-size layer per suite (10-60 ms each here), so that the whole run stays under a minute.
  const QUICK_LAYERS = ['dcgan-g5-b64', 'radford-4-b16', 'unet-2-b1', 'fsrcnn-x3', 'style-up-64-b4', 'grouped-k4-g32', 'dilated-k3-d2', '1d-hifigan-up1', '3d-k3s2', 'tiny-overhead'];
  layers = layers.filter((L) => QUICK_LAYERS.includes(L.name));
}

// ---- peers: TensorFlow (subprocess) -------------------------------------------------------------

class TfWorker {
  constructor(python) {
    this.python = python;
    this.stderr = '';
    this.queue = [];
    this.dead = undefined;
    this.proc = spawn(python, ['-u', path.join(HERE, 'tf_worker.py'), '--threads', String(THREADS)], {
      cwd: ROOT,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', OPENBLAS_NUM_THREADS: String(THREADS), OMP_NUM_THREADS: String(THREADS), CUDA_VISIBLE_DEVICES: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.proc.on('exit', (code) => {
      this.dead = `the TF worker exited (code ${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const q of this.queue.splice(0)) q.reject(new Error(this.dead));
    });
    this.proc.on('error', (e) => {
      this.dead = `cannot start ${python}: ${e.message}`;
      for (const q of this.queue.splice(0)) q.reject(new Error(this.dead));
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const q = this.queue.shift();
      if (!q) return;
      try {
        q.resolve(JSON.parse(line));
      } catch {
        q.reject(new Error(`bad answer from the TF worker: ${line.slice(0, 200)}`));
      }
    });
  }
  request(obj) {
    if (this.dead) return Promise.reject(new Error(this.dead));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.proc.stdin.write(JSON.stringify(obj) + '\n');
    });
  }
  async close() {
    if (this.dead) return;
    try {
      await Promise.race([this.request({ cmd: 'exit' }), sleep(5000)]);
    } catch {
      /* gone already */
    }
    this.proc.kill();
  }
}

const peers = { tf: { available: false }, ort: { available: false } };
const TMP = mkdtempSync(path.join(os.tmpdir(), 'deconv-bench-'));
process.on('exit', () => rmSync(TMP, { recursive: true, force: true }));

async function startTf() {
  if (!WANT_PEERS.has('tf')) return (peers.tf = { available: false, reason: 'not requested (--peers)' });
  const python = opt.python ?? path.join(ROOT, '.cache', 'golden-venv', 'bin', 'python');
  if (!existsSync(python)) {
    return (peers.tf = { available: false, reason: `no Python with TensorFlow at ${path.relative(ROOT, python)}: run \`bash scripts/golden/setup.sh\`` });
  }
  const worker = new TfWorker(python);
  try {
    const info = await worker.request({ cmd: 'info' });
    if (!info.ok) throw new Error(info.error);
    peers.tf = { available: true, worker, info, version: info.tf, probes: {} };
    // What TF's CPU kernels refuse, asked of TF itself on small layers (so that a skip quotes TF).
    const probe = async (what, wShape, outputShape, extra) => {
      const x = path.join(TMP, 'probe-x.f32');
      const w = path.join(TMP, 'probe-w.f32');
      writeFileSync(x, randomData(1 * 5 * 5 * 4, 1));
      writeFileSync(w, randomData(prod(wShape), 2));
      const r = await worker.request({ cmd: 'run', op: 'conv2d_transpose', x, xShape: [1, 5, 5, 4], w, wShape, outputShape, strides: [2, 2], padding: 'SAME', warmup: 1, minReps: 1, maxReps: 1, ...extra });
      peers.tf.probes[what] = r.ok ? { ok: true } : { ok: false, error: r.error };
    };
    await probe('groups', [3, 3, 2, 4], [1, 10, 10, 4], {});
    await probe('dilations', [3, 3, 6, 4], [1, 10, 10, 6], { dilations: [1, 2, 2, 1] });
  } catch (e) {
    peers.tf = { available: false, reason: `TensorFlow did not start: ${e.message}` };
    await worker.close();
  }
  return peers.tf;
}

// ---- peers: ONNX Runtime -----------------------------------------------------------------------

async function startOrt() {
  if (!WANT_PEERS.has('ort')) return (peers.ort = { available: false, reason: 'not requested (--peers)' });
  try {
    const mod = await import('onnxruntime-node');
    const ort = mod.default ?? mod;
    peers.ort = { available: true, ort, version: ort.env?.versions?.node ?? JSON.parse(readFileSync(path.join(ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')).version };
  } catch (e) {
    peers.ort = { available: false, reason: `onnxruntime-node is not installed or does not load (${e.message.split('\n')[0]}): it is a devDependency, run \`npm install\`` };
  }
  return peers.ort;
}

async function ortSession(L, w, { dynamicLast = false } = {}) {
  const { ort } = peers.ort;
  const xShape = dynamicLast ? [...L.xShape.slice(0, -1), 'T'] : L.xShape;
  const yShape = dynamicLast ? [...L.yShape.slice(0, -1), 'Tout'] : L.yShape;
  const model = convTransposeModel({
    xShape,
    wShape: L.wShape,
    w,
    yShape,
    attrs: {
      kernel_shape: L.K,
      strides: L.strides,
      pads: [...L.padsBegin, ...L.padsEnd],
      dilations: L.dilations,
      group: L.group,
      output_padding: L.outputPadding,
    },
  });
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
}

// ---- peak --------------------------------------------------------------------------------------

function cpuModel() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim();
    const flags = /flags\s*:\s*(.*)/.exec(info)?.[1]?.split(/\s+/) ?? [];
    const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1]);
    return { model: model ?? os.cpus()[0]?.model, flags, mhz };
  } catch {
    return { model: os.cpus()[0]?.model, flags: [], mhz: os.cpus()[0]?.speed };
  }
}
const CPU = cpuModel();
const SIMD = ['avx512f', 'avx2', 'fma'].filter((f) => CPU.flags.includes(f));

function measurePeak() {
  const src = path.join(HERE, 'peak', 'fma.c');
  const exe = path.join(OUT_DIR, 'fma');
  const cc = process.env.CC ?? 'cc';
  const build = spawnSync(cc, ['-O2', '-march=native', '-fopenmp', src, '-o', exe], { encoding: 'utf8' });
  if (build.status !== 0 || build.error) {
    // No compiler: a nominal figure from the clock and the vector width, not a measurement.
    const flopsPerCycle = CPU.flags.includes('avx512f') ? 64 : CPU.flags.includes('fma') ? 32 : 8;
    const ghz = (CPU.mhz || 2000) / 1000;
    return {
      measured: false,
      reason: `could not compile bench/peak/fma.c with ${cc}: ${(build.error?.message ?? build.stderr ?? '').trim().split('\n')[0]}`,
      threads1: ghz * flopsPerCycle,
      threadsN: ghz * flopsPerCycle * THREADS,
      note: `estimate: ${ghz.toFixed(2)} GHz × ${flopsPerCycle} flop/cycle (2 FMA pipes × ${flopsPerCycle / 4} lanes × 2) × cores`,
    };
  }
  const r = spawnSync(exe, [String(THREADS), QUICK ? '0.2' : '0.5'], { encoding: 'utf8', env: { ...process.env, OMP_PROC_BIND: 'false' } });
  if (r.status !== 0) return { measured: false, reason: `bench/out/fma failed: ${r.stderr}` };
  return { measured: true, ...JSON.parse(r.stdout.trim()) };
}

// ---- measuring ---------------------------------------------------------------------------------

/**
 * Runs fn (sync, or returning a promise) warm-up times, then times it until `target` seconds and
 * `minReps` are reached or `maxReps` (a promise is awaited inside the timed region).
 */
async function timeIt(fn, { warmup = 2, minReps = 3, maxReps = 200, target = TARGET_S } = {}) {
  let t0 = now();
  let r = fn();
  if (r && typeof r.then === 'function') await r;
  const firstMs = now() - t0;
  for (let i = 1; i < warmup; i++) {
    r = fn();
    if (r && typeof r.then === 'function') await r;
  }
  // Slow calls: fewer reps, so that a big layer does not take minutes.
  if (firstMs > target * 1000) maxReps = Math.min(maxReps, minReps);
  const times = [];
  let total = 0;
  while (times.length < minReps || (total < target * 1000 && times.length < maxReps)) {
    t0 = now();
    r = fn();
    if (r && typeof r.then === 'function') await r;
    const dt = now() - t0;
    times.push(dt);
    total += dt;
  }
  return { times, firstMs };
}

// ---- one layer ---------------------------------------------------------------------------------

const results = [];
const failures = [];

function systemsFor(L) {
  const list = [];
  if (HAVE_ONEDNN) list.push('onednn-plan', 'onednn-nhwc-plan', 'onednn-call', 'onednn-async');
  if (WANT_BACKENDS.has('ts')) list.push('ts');
  if (WANT_PEERS.has('ort')) list.push('ort');
  if (WANT_PEERS.has('tf')) list.push('tf');
  return list;
}

async function runLayer(L) {
  const res = {
    name: L.name,
    suite: L.suite,
    gflop: L.gflop,
    onnx: { x: L.xShape, w: L.wShape, y: L.yShape, ...L.onnxAttrs },
    tf: L.tf.skip ? { skip: L.tf.skip } : { call: `${L.tf.op}(${JSON.stringify(L.tf.xShape)}, ${JSON.stringify(L.tf.wShape)}, ${JSON.stringify(L.tf.outputShape)}, ${JSON.stringify(L.tf.strides)}, ${L.tf.spelled})` },
    padsNote: L.padsNote,
    notes: L.spec.notes,
    systems: {},
    skipped: {},
    checks: {},
    loadAverage: loadAverage(),
  };
  const wanted = systemsFor(L);
  const x = randomData(prod(L.xShape), 0x9e3779b9 ^ L.name.length);
  const w = randomData(prod(L.wShape), 0x85ebca6b ^ L.name.length, 1 / Math.sqrt(L.C / L.group * prod(L.K) / prod(L.strides)));
  const X = { shape: L.xShape, data: x };
  const W = { shape: L.wShape, data: w };
  const attrs = { ...L.onnxAttrs, backend: 'onednn' };
  // Big: many flops or much memory (the depthwise layer moves ~1 GB per call): fewer reps.
  const bytes = 4 * (prod(L.xShape) + prod(L.wShape) + prod(L.yShape));
  const big = L.gflop > 3 || bytes > 256 * 2 ** 20;
  const baseOpts = { warmup: big ? 1 : 2, minReps: big ? 3 : 5, maxReps: 200, target: TARGET_S / ROUNDS };

  const runners = {}; // id -> { fn, output(), teardown? }
  const outputs = {}; // id -> Float32Array (layout per system)
  const addSkip = (id, reason) => {
    res.skipped[id] = reason;
  };

  // deconv, oneDNN, NCHW
  let xNhwc;
  let wTf;
  if (wanted.includes('onednn-plan')) {
    const t0 = now();
    const plan = deconv.convTransposePlan(L.xShape, W, null, attrs);
    res.planMs = now() - t0;
    const out = { shape: L.yShape, data: new Float32Array(prod(L.yShape)) };
    res.onednnImpl = addon?.onednnDescribePlan?.(plan.problem, 'float32');
    runners['onednn-plan'] = { fn: () => plan.run(X, { out }), output: () => out.data, dispose: () => plan.dispose() };
    let last;
    runners['onednn-call'] = { fn: () => (last = deconv.convTranspose(X, W, null, attrs)), output: () => last?.data };
    let lastAsync;
    runners['onednn-async'] = { fn: async () => (lastAsync = await plan.runAsync(X)), output: () => lastAsync?.data };
  }
  // deconv, oneDNN, channels last (the TF spelling)
  if (wanted.includes('onednn-nhwc-plan')) {
    if (L.tf.skip) {
      addSkip('onednn-nhwc-plan', `no channels-last (TF API) spelling: ${L.tf.skip}`);
    } else {
      xNhwc = toChannelsLast(x, L.xShape);
      wTf = onnxToTfFilters(w, L.wShape);
      const t = L.tf;
      const tfOpts = { dilations: t.dilations, backend: 'onednn' };
      const maker = t.rank === 1 ? deconv.conv1dTransposePlan : t.rank === 2 ? deconv.conv2dTransposePlan : deconv.conv3dTransposePlan;
      try {
        const t0 = now();
        const plan = maker(t.xShape, { shape: t.wShape, data: wTf }, t.outputShape, t.strides, t.padding, tfOpts);
        res.planNhwcMs = now() - t0;
        const out = { shape: t.outputShape, data: new Float32Array(prod(t.outputShape)) };
        const Xn = { shape: t.xShape, data: xNhwc };
        res.onednnNhwcImpl = addon?.onednnDescribePlan?.(plan.problem, 'float32');
        runners['onednn-nhwc-plan'] = { fn: () => plan.run(Xn, { out }), output: () => out.data, dispose: () => plan.dispose() };
      } catch (e) {
        addSkip('onednn-nhwc-plan', `deconv refused the TF spelling: ${e.message}`);
        failures.push(`${L.name}: deconv conv${t.rank}dTranspose refused ${t.spelled}: ${e.message}`);
      }
    }
  }
  // deconv, reference
  if (wanted.includes('ts')) {
    if (L.gflop > TS_MAX_GFLOP) {
      addSkip('ts', `reference backend only on layers ≤ ${TS_MAX_GFLOP} GFLOP (this one: ${L.gflop.toFixed(2)})`);
    } else {
      let last;
      const tsAttrs = { ...L.onnxAttrs, backend: 'ts' };
      runners.ts = { fn: () => (last = deconv.convTranspose(X, W, null, tsAttrs)), output: () => last?.data, ts: true };
    }
  }
  // ONNX Runtime
  if (wanted.includes('ort')) {
    if (!peers.ort.available) addSkip('ort', peers.ort.reason);
    else {
      try {
        const session = await ortSession(L, w);
        const feeds = { X: new peers.ort.ort.Tensor('float32', x, L.xShape) };
        let last;
        runners.ort = {
          fn: async () => (last = await session.run(feeds)),
          output: () => last?.Y?.data,
          dispose: () => session.release?.(),
        };
      } catch (e) {
        addSkip('ort', `ONNX Runtime refused the model: ${e.message.split('\n')[0]}`);
      }
    }
  }
  // TensorFlow
  let tfReq;
  if (wanted.includes('tf')) {
    const probes = peers.tf.probes ?? {};
    if (!peers.tf.available) addSkip('tf', peers.tf.reason);
    else if (L.tf.skip) addSkip('tf', `no tf.nn spelling: ${L.tf.skip}`);
    else if (L.group > 1 && probes.groups && !probes.groups.ok) addSkip('tf', `groups = ${L.group}: TF ${peers.tf.version} CPU refuses grouped conv*_transpose ("${probes.groups.error}")`);
    else if (L.dilations.some((d) => d > 1) && probes.dilations && !probes.dilations.ok) addSkip('tf', `dilations ${JSON.stringify(L.dilations)}: TF ${peers.tf.version} CPU refuses them ("${probes.dilations.error}")`);
    else {
      xNhwc ??= toChannelsLast(x, L.xShape);
      wTf ??= onnxToTfFilters(w, L.wShape);
      const xf = path.join(TMP, `${L.name}-x.f32`);
      const wf = path.join(TMP, `${L.name}-w.f32`);
      const yf = path.join(TMP, `${L.name}-y.f32`);
      writeFileSync(xf, xNhwc);
      writeFileSync(wf, wTf);
      const t = L.tf;
      tfReq = { cmd: 'run', key: L.name, op: t.op, x: xf, xShape: t.xShape, w: wf, wShape: t.wShape, outputShape: t.outputShape, strides: t.strides, padding: t.padding };
      if (t.dilations.some((d) => d > 1)) tfReq.dilations = [1, ...t.dilations, 1];
      runners.tf = { remote: true, yf };
    }
  }

  // The systems take turns: round 1 in order, round 2 in reverse, ... (drifting load hits all).
  const order = wanted.filter((id) => runners[id]);
  const collected = Object.fromEntries(order.map((id) => [id, { times: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const ids = round % 2 === 0 ? order : [...order].reverse();
    for (const id of ids) {
      const r = runners[id];
      const c = collected[id];
      if (c.error || (r.ts && round > 0)) continue;
      try {
        if (r.remote) {
          const ans = await peers.tf.worker.request({
            ...tfReq,
            warmup: round === 0 ? baseOpts.warmup : 1,
            minReps: round === 0 ? baseOpts.minReps : Math.max(2, Math.ceil(baseOpts.minReps / 2)),
            maxReps: baseOpts.maxReps,
            targetSeconds: baseOpts.target,
            out: round === 0 ? r.yf : undefined,
          });
          if (!ans.ok) throw new Error(`TensorFlow: ${ans.error}`);
          c.times.push(...ans.times);
          if (round === 0) c.firstMs = ans.firstCallMs;
        } else {
          const o = r.ts ? { warmup: 0, minReps: 1, maxReps: 3, target: 1 } : baseOpts;
          const { times, firstMs } = await timeIt(r.fn, round === 0 ? o : { ...o, warmup: 1 });
          c.times.push(...times);
          if (round === 0) c.firstMs = firstMs;
          if (round === 0) outputs[id] = r.output();
        }
      } catch (e) {
        c.error = e.message.split('\n')[0];
      }
      await sleep(20); // let the previous system's threads go idle
    }
  }
  if (runners.tf && !collected.tf.error) {
    try {
      const b = readFileSync(runners.tf.yf);
      outputs.tf = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    } catch (e) {
      collected.tf.error = `no output file: ${e.message}`;
    }
    rmSync(path.join(TMP, `${L.name}-x.f32`), { force: true });
    rmSync(path.join(TMP, `${L.name}-w.f32`), { force: true });
    rmSync(runners.tf.yf, { force: true });
    await peers.tf.worker.request({ cmd: 'forget' }).catch(() => {});
  }

  for (const id of order) {
    const c = collected[id];
    if (c.error) {
      res.systems[id] = { error: c.error };
      failures.push(`${L.name}: ${id} failed: ${c.error}`);
      continue;
    }
    res.systems[id] = { ...stats(c.times, L.flops), firstCallMs: c.firstMs };
  }

  // Correctness: every output against deconv-onednn's (NCHW plan; channels-last systems against
  // the channels-last plan, which is itself checked against the NCHW plan).
  const refId = outputs['onednn-plan'] ? 'onednn-plan' : outputs.ts ? 'ts' : undefined;
  if (refId) {
    const ref = outputs[refId];
    let refNhwc;
    const check = (id, data, against, againstId) => {
      if (!data) return;
      const d = relDiff(data, against);
      const ok = d.rel <= TOLERANCE;
      res.checks[id] = { against: againstId, rel: d.rel, ok };
      if (!ok) failures.push(`${L.name}: ${id} output differs from ${againstId}: max|diff|/max|ref| = ${d.rel.toExponential(2)} > ${TOLERANCE}${d.note ? ` (${d.note})` : ''}`);
    };
    for (const id of ['onednn-call', 'onednn-async', 'ts', 'ort']) if (id !== refId) check(id, outputs[id], ref, refId);
    if (outputs['onednn-nhwc-plan'] || outputs.tf) {
      refNhwc = toChannelsLast(ref, L.yShape);
      check('onednn-nhwc-plan', outputs['onednn-nhwc-plan'], refNhwc, `${refId} (transposed to channels last)`);
      if (outputs.tf) {
        if (outputs['onednn-nhwc-plan']) check('tf', outputs.tf, outputs['onednn-nhwc-plan'], 'onednn-nhwc-plan');
        else check('tf', outputs.tf, refNhwc, `${refId} (transposed)`);
      }
    }
  }
  for (const r of Object.values(runners)) r.dispose?.();

  // Ratios: peer time / deconv time (> 1: deconv faster), like with like.
  const S = res.systems;
  const med = (id) => (S[id] && !S[id].error ? S[id].medianMs : undefined);
  res.ratios = {
    ortOverOnednn: med('ort') && med('onednn-plan') ? med('ort') / med('onednn-plan') : undefined,
    tfOverOnednnNhwc: med('tf') && med('onednn-nhwc-plan') ? med('tf') / med('onednn-nhwc-plan') : undefined,
    tfOverOnednnNchw: med('tf') && med('onednn-plan') ? med('tf') / med('onednn-plan') : undefined,
    tsOverOnednn: med('ts') && med('onednn-plan') ? med('ts') / med('onednn-plan') : undefined,
    callOverPlan: med('onednn-call') && med('onednn-plan') ? med('onednn-call') / med('onednn-plan') : undefined,
  };
  return res;
}

// ---- extras: tiny-call overhead, async concurrency, changing shapes ------------------------------

async function tinyOverhead() {
  const spec = suite.layers.find((l) => l.name === 'tiny-overhead');
  if (!spec) return undefined;
  const L = deriveLayer(spec);
  const X = { shape: L.xShape, data: randomData(prod(L.xShape), 7) };
  const W = { shape: L.wShape, data: randomData(prod(L.wShape), 8) };
  const calls = QUICK ? 2000 : 20000;
  const roundsN = 5;
  const perCall = (fn) => {
    for (let i = 0; i < Math.min(calls, 2000); i++) fn();
    const samples = [];
    for (let r = 0; r < roundsN; r++) {
      const t0 = now();
      for (let i = 0; i < calls; i++) fn();
      samples.push(((now() - t0) / calls) * 1000);
    }
    samples.sort((a, b) => a - b);
    return { usPerCall: quantile(samples, 0.5), minUs: samples[0], samples };
  };
  const perCallAsync = async (fn, n) => {
    for (let i = 0; i < Math.min(n, 500); i++) await fn();
    const samples = [];
    for (let r = 0; r < roundsN; r++) {
      const t0 = now();
      for (let i = 0; i < n; i++) await fn();
      samples.push(((now() - t0) / n) * 1000);
    }
    samples.sort((a, b) => a - b);
    return { usPerCall: quantile(samples, 0.5), minUs: samples[0], samples };
  };
  const out = { layer: L.name, calls, target: '≤ 5 µs per sync call' };
  if (HAVE_ONEDNN) {
    const attrs = { ...L.onnxAttrs, backend: 'onednn' };
    out.onednnCall = perCall(() => deconv.convTranspose(X, W, null, attrs));
    const plan = deconv.convTransposePlan(L.xShape, W, null, attrs);
    const y = { shape: L.yShape, data: new Float32Array(prod(L.yShape)) };
    out.onednnPlanRun = perCall(() => plan.run(X, { out: y }));
    out.onednnPlanRunAsync = await perCallAsync(() => plan.runAsync(X), QUICK ? 500 : 3000);
    plan.dispose();
  }
  out.tsCall = perCall(() => deconv.convTranspose(X, W, null, { ...L.onnxAttrs, backend: 'ts' }));
  if (peers.ort.available) {
    const session = await ortSession(L, W.data);
    const feeds = { X: new peers.ort.ort.Tensor('float32', X.data, L.xShape) };
    out.ortRun = await perCallAsync(() => session.run(feeds), QUICK ? 500 : 3000);
    await session.release?.();
  }
  if (peers.tf.available) {
    const xf = path.join(TMP, 'tiny-x.f32');
    const wf = path.join(TMP, 'tiny-w.f32');
    writeFileSync(xf, toChannelsLast(X.data, L.xShape));
    writeFileSync(wf, onnxToTfFilters(W.data, L.wShape));
    const t = L.tf;
    const ans = await peers.tf.worker.request({ cmd: 'overhead', key: 'tiny', op: t.op, x: xf, xShape: t.xShape, w: wf, wShape: t.wShape, outputShape: t.outputShape, strides: t.strides, padding: t.padding, calls: QUICK ? 200 : 2000, rounds: 5, warmup: 200 });
    await peers.tf.worker.request({ cmd: 'forget' }).catch(() => {});
    if (ans.ok) {
      const s = [...ans.usPerCall].sort((a, b) => a - b);
      out.tfCall = { usPerCall: quantile(s, 0.5), minUs: s[0], samples: s };
    } else out.tfCall = { error: ans.error };
  }
  out.pass = out.onednnPlanRun ? out.onednnPlanRun.usPerCall <= 5 : undefined;
  return out;
}

async function concurrency() {
  if (!HAVE_ONEDNN) return undefined;
  const name = opt['concurrency-layer'];
  const spec = suite.layers.find((l) => l.name === name);
  if (!spec) throw new Error(`--concurrency-layer: no layer ${name}`);
  const L = deriveLayer(spec);
  const X = { shape: L.xShape, data: randomData(prod(L.xShape), 11) };
  const W = { shape: L.wShape, data: randomData(prod(L.wShape), 12, 0.05) };
  const attrs = { ...L.onnxAttrs, backend: 'onednn' };
  const plan = deconv.convTransposePlan(L.xShape, W, null, attrs);
  const K = 8;
  const trials = QUICK ? 2 : 5;
  const measure = async (label, call) => {
    await call();
    await Promise.all(Array.from({ length: K }, call)); // warm both paths
    const seq = [];
    const conc = [];
    for (let t = 0; t < trials; t++) {
      let t0 = now();
      for (let i = 0; i < K; i++) await call();
      seq.push(now() - t0);
      t0 = now();
      await Promise.all(Array.from({ length: K }, call));
      conc.push(now() - t0);
    }
    seq.sort((a, b) => a - b);
    conc.sort((a, b) => a - b);
    const s = quantile(seq, 0.5);
    const c = quantile(conc, 0.5);
    return { label, calls: K, trials, sequentialMs: s, concurrentMs: c, ratio: s / c, pass: s / c >= 0.9, sequentialAll: seq, concurrentAll: conc };
  };
  const out = { layer: L.name, gflop: L.gflop, target: '8 concurrent calls ≥ 0.9× the throughput of 8 sequential ones' };
  out.planRunAsync = await measure('plan.runAsync', () => plan.runAsync(X));
  out.convTransposeAsync = await measure('convTransposeAsync', () => deconv.convTransposeAsync(X, W, null, attrs));
  // While 8 async calls run, the JS thread stays free: how many 1 ms timers fire meanwhile.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = now();
  await Promise.all(Array.from({ length: K }, () => plan.runAsync(X)));
  const elapsed = now() - t0;
  clearInterval(timer);
  out.eventLoop = { elapsedMs: elapsed, timerTicks: ticks };
  plan.dispose();
  return out;
}

/** The 1d-istft layer with a new T on every call (suite note): first calls vs repeated ones. */
async function changingShape() {
  const spec = suite.layers.find((l) => l.name === '1d-istft-T224');
  if (!spec || !HAVE_ONEDNN) return undefined;
  const Ts = QUICK ? [224, 640, 1000] : [224, 480, 777, 1000, 1500, 2200, 3100, 5000];
  const base = deriveLayer(spec);
  const W = { shape: base.wShape, data: randomData(prod(base.wShape), 21, 0.03) };
  const attrs = { ...base.onnxAttrs, backend: 'onednn' };
  const xs = Ts.map((T, i) => ({ shape: [1, base.C, T], data: randomData(base.C * T, 100 + i) }));
  const flops = Ts.map((T) => 2 * base.C * base.Mg * prod(base.K) * T);
  const totalGflop = flops.reduce((a, b) => a + b, 0) / 1e9;
  const out = { layer: spec.name, Ts, totalGflop };
  const pass = async (fn) => {
    const per = [];
    for (const X of xs) {
      const t0 = now();
      await fn(X);
      per.push(now() - t0);
    }
    return per;
  };
  deconv.setPlanCacheCapacity?.(64);
  const first = await pass((X) => deconv.convTranspose(X, W, null, attrs));
  const again = await pass((X) => deconv.convTranspose(X, W, null, attrs));
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  out.onednnCall = { firstPassMs: first, secondPassMs: again, firstTotalMs: sum(first), secondTotalMs: sum(again), gflopsFirst: totalGflop / (sum(first) / 1000), gflopsSecond: totalGflop / (sum(again) / 1000) };
  if (peers.ort.available) {
    const session = await ortSession(base, W.data, { dynamicLast: true });
    const { ort } = peers.ort;
    const run = (X) => session.run({ X: new ort.Tensor('float32', X.data, X.shape) });
    const f = await pass(run);
    const a = await pass(run);
    out.ort = { firstPassMs: f, secondPassMs: a, firstTotalMs: sum(f), secondTotalMs: sum(a), gflopsFirst: totalGflop / (sum(f) / 1000), gflopsSecond: totalGflop / (sum(a) / 1000) };
    await session.release?.();
  }
  return out;
}

// ---- report ------------------------------------------------------------------------------------

const SYSTEM_LABEL = {
  'onednn-plan': 'deconv oneDNN, plan, NCHW (sync, weights packed once)',
  'onednn-nhwc-plan': 'deconv oneDNN, plan, channels last (TF spelling)',
  'onednn-call': 'deconv oneDNN, plain convTranspose per call, NCHW (weights reordered per call)',
  'onednn-async': 'deconv oneDNN, plan.runAsync, NCHW (awaited one at a time)',
  ts: 'deconv reference (TypeScript), convTranspose, NCHW',
  ort: 'ONNX Runtime, session.run, NCHW',
  tf: 'TensorFlow, tf.function, channels last',
};

function header(meta) {
  const lines = [];
  lines.push(`- Command: \`${meta.command}\` (${meta.date}); ${meta.durationS ? `took ${meta.durationS.toFixed(0)} s` : ''}`);
  lines.push(`- Machine: ${meta.cpu.model}, ${meta.cpu.logicalCpus} logical CPUs (${meta.cpu.simd.join(', ')}), ${meta.memGiB} GiB, ${meta.platform}`);
  lines.push(`- Load average (1, 5, 15 min): at start ${meta.loadStart.join(', ')}, at end ${meta.loadEnd?.join(', ')} (the start is before this benchmark's own threads count; other processes may share these cores; each layer records its own in the JSON)`);
  lines.push(`- Threads: ${meta.threads} for every system (deconv setNumThreads; TF intra-op ${meta.threads} / inter-op 1; ORT intraOpNumThreads ${meta.threads} / interOpNumThreads 1)`);
  lines.push(`- deconv ${meta.deconv.version} at ${meta.deconv.commit}${meta.deconv.dirty ? ' + working-tree changes' : ''}${meta.addon ? ` (addon ${meta.addon.path} built ${meta.addon.builtAt}; commit ${meta.deconv.commitDate})` : ''}; oneDNN ${meta.onednn?.version ?? '–'} (ISA ${meta.onednn?.isa ?? '–'}); Node ${meta.node}`);
  lines.push(`- TensorFlow: ${meta.tf.available ? `${meta.tf.version} (${meta.tf.package}), Python ${meta.tf.python}, TF oneDNN ops ${meta.tf.onednn ? 'on' : `off (TF's default on this CPU; TF_ENABLE_ONEDNN_OPTS=${meta.tf.envOnednn ?? 'unset'})`}` : `skipped: ${meta.tf.reason}`}`);
  lines.push(`- ONNX Runtime: ${meta.ort.available ? `onnxruntime-node ${meta.ort.version}, CPU execution provider, graphOptimizationLevel 'all'` : `skipped: ${meta.ort.reason}`}`);
  const p = meta.peak;
  lines.push(`- fp32 peak: ${p.measured ? `measured by bench/peak/fma.c (${p.isa} register-resident FMA loop, OpenMP): ${fmt(p.threads1, 1)} GFLOP/s on 1 thread, ${fmt(p.threadsN, 1)} GFLOP/s on ${p.n} threads` : `${p.reason}; ${p.note}`}${p.sgemm ? `; numpy sgemm ${p.sgemm.n}³: ${fmt(p.sgemm.gflops, 1)} GFLOP/s` : ''}. % of peak uses ${fmt(p.used, 1)} GFLOP/s (${p.usedNote})`);
  return lines.join('\n');
}

function markdown(report) {
  const { meta, layers: rs } = report;
  const o = [];
  o.push('# deconv benchmark: ConvTranspose layer suite');
  o.push('');
  o.push(`Generated by \`bench/run.mjs\`. ${QUICK ? '**Quick run** (few reps, one layer per suite): numbers are indicative only.' : ''}`);
  o.push('');
  o.push(header(meta));
  o.push('');
  o.push('Times are medians over the timed reps after warm-up, in ms; GFLOP/s = 2·N·Cin·(Cout/groups)·prod(K)·prod(in spatial) / median; ratios are *peer time / deconv time* (> 1: deconv is faster), like with like: ORT against deconv\'s NCHW plan, TF against deconv\'s channels-last plan. % peak = deconv NCHW plan GFLOP/s / the fp32 peak above. "max diff" is the worst max|diff|/max|ref| of any system against deconv-oneDNN (tolerance 1e-3). See bench/README.md.');
  o.push('');
  o.push('## Summary');
  o.push('');
  o.push('| layer | GFLOP | oneDNN plan NCHW | oneDNN plan NHWC | oneDNN per call | oneDNN async | reference (ts) | ORT | TF | GFLOP/s (plan NCHW) | % peak | ORT / oneDNN | TF / oneDNN NHWC | max diff |');
  o.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rs) {
    const cell = (id) => {
      if (r.skipped[id]) return 'skip';
      const s = r.systems[id];
      if (!s) return '–';
      if (s.error) return 'FAIL';
      return fmtMs(s.medianMs);
    };
    const checks = Object.values(r.checks);
    const worst = checks.length ? Math.max(...checks.map((c) => c.rel)) : undefined;
    const bad = checks.some((c) => !c.ok);
    const plan = r.systems['onednn-plan'];
    o.push(
      `| ${r.name} | ${fmt(r.gflop, 3)} | ${cell('onednn-plan')} | ${cell('onednn-nhwc-plan')} | ${cell('onednn-call')} | ${cell('onednn-async')} | ${cell('ts')} | ${cell('ort')} | ${cell('tf')} | ${plan && !plan.error ? fmt(plan.gflops, 1) : '–'} | ${plan && !plan.error ? fmt((100 * plan.gflops) / meta.peak.used, 0) : '–'} | ${fmtRatio(r.ratios.ortOverOnednn)} | ${fmtRatio(r.ratios.tfOverOnednnNhwc)} | ${worst === undefined ? '–' : `${worst.toExponential(1)}${bad ? ' **FAIL**' : ''}`} |`,
    );
  }
  o.push('');
  const g = report.summary;
  o.push(`Geometric means over the layers both ran: ORT / oneDNN (NCHW plan) **${fmtRatio(g.geomeanOrt)}** over ${g.nOrt} layers; TF / oneDNN (channels-last plan) **${fmtRatio(g.geomeanTf)}** over ${g.nTf} layers; TF / oneDNN NCHW plan ${fmtRatio(g.geomeanTfNchw)}; per-call / plan ${fmtRatio(g.geomeanCallOverPlan)}.`);
  o.push('');
  if (g.slower.length) {
    o.push('Layers where deconv-oneDNN is slower than a peer (peer time / deconv time < 1):');
    o.push('');
    for (const s of g.slower) {
      const nchw = s.nchwRatio !== undefined ? `; TF / deconv's NCHW plan (\`${s.nchwImpl}\`) ${fmtRatio(s.nchwRatio)}` : '';
      const plan = s.planMs !== undefined && s.planMs > 1000 ? `; making this plan took ${(s.planMs / 1000).toFixed(1)} s` : '';
      o.push(`- ${s.layer}: ${s.peer} / deconv ${fmtRatio(s.ratio)} (deconv ${fmtMs(s.deconvMs)} ms, ${s.peer} ${fmtMs(s.peerMs)} ms; oneDNN implementation \`${s.impl ?? '?'}\`${nchw}${plan})`);
    }
  } else o.push('deconv-oneDNN is no slower than a peer on any layer.');
  o.push('');
  o.push('## Per system');
  o.push('');
  o.push('median ms (min, spread = (p90 − p10)/median) · GFLOP/s · % peak · reps · first call ms · max diff against deconv-oneDNN');
  o.push('');
  o.push('| layer | system | median ms | min ms | spread | GFLOP/s | % peak | reps | first call ms | max diff | notes |');
  o.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rs) {
    for (const id of Object.keys(SYSTEM_LABEL)) {
      const s = r.systems[id];
      const skip = r.skipped[id];
      if (!s && !skip) continue;
      let notes = '';
      if (id === 'onednn-plan') notes = [r.onednnImpl && `impl \`${r.onednnImpl}\``, r.planMs !== undefined && `plan made in ${fmtMs(r.planMs)} ms`, r.padsNote].filter(Boolean).join('; ');
      if (id === 'onednn-nhwc-plan') notes = [r.onednnNhwcImpl && `impl \`${r.onednnNhwcImpl}\``, r.planNhwcMs !== undefined && `plan made in ${fmtMs(r.planNhwcMs)} ms`].filter(Boolean).join('; ');
      if (id === 'tf' && r.tf.call) notes = `\`${r.tf.call}\``;
      if (skip) {
        o.push(`| ${r.name} | ${id} | skipped | | | | | | | | ${skip.replace(/\|/g, '\\|')} |`);
        continue;
      }
      if (s.error) {
        o.push(`| ${r.name} | ${id} | **FAIL** | | | | | | | | ${s.error.replace(/\|/g, '\\|')} |`);
        continue;
      }
      const c = r.checks[id];
      o.push(
        `| ${r.name} | ${id} | ${fmtMs(s.medianMs)} | ${fmtMs(s.minMs)} | ${fmt(100 * s.spread, 0)}% | ${fmt(s.gflops, 1)} | ${fmt((100 * s.gflops) / meta.peak.used, 0)} | ${s.reps} | ${fmtMs(s.firstCallMs)} | ${c ? `${c.rel.toExponential(1)}${c.ok ? '' : ' **FAIL**'}` : id === 'onednn-plan' ? 'reference' : '–'} | ${notes} |`,
      );
    }
  }
  o.push('');
  o.push('Systems: ' + Object.entries(SYSTEM_LABEL).map(([k, v]) => `\`${k}\` ${v}`).join('; ') + '.');
  o.push('');
  const ex = report.extras;
  if (ex.tiny) {
    const t = ex.tiny;
    o.push('## Tiny-call overhead');
    o.push('');
    o.push(`Layer ${t.layer} (x [1,1,2,2], w [1,1,2,2], stride 2): µs per call, median of 5 rounds of ${t.calls} calls (min in parentheses). Target: ${t.target} for \`plan.run\` with a preallocated out.`);
    o.push('');
    o.push('| call | µs per call |');
    o.push('| --- | ---: |');
    const row = (label, v) => v && o.push(`| ${label} | ${v.error ? `error: ${v.error}` : `${fmt(v.usPerCall, 2)} (${fmt(v.minUs, 2)})`} |`);
    row('deconv `convTranspose` (oneDNN, sync, allocates the output)', t.onednnCall);
    row('deconv `plan.run(x, { out })` (oneDNN, sync)', t.onednnPlanRun);
    row('deconv `await plan.runAsync(x)` (oneDNN)', t.onednnPlanRunAsync);
    row('deconv `convTranspose` (reference ts)', t.tsCall);
    row('ONNX Runtime `await session.run(feeds)`', t.ortRun);
    row('TensorFlow `f(x).numpy()` (in Python)', t.tfCall);
    o.push('');
    if (t.pass !== undefined) o.push(`plan.run: ${t.pass ? 'meets' : '**misses**'} the ≤ 5 µs target.`);
    o.push('');
  }
  if (ex.concurrency) {
    const c = ex.concurrency;
    o.push('## Async concurrency');
    o.push('');
    o.push(`Layer ${c.layer} (${fmt(c.gflop, 2)} GFLOP): 8 calls awaited one after another vs the same 8 started together (\`Promise.all\`), median of ${c.planRunAsync.trials} trials. Ratio = sequential time / concurrent time (throughput of concurrent / sequential); target ≥ 0.9.`);
    o.push('');
    o.push('| calls | 8 sequential ms | 8 concurrent ms | throughput ratio | |');
    o.push('| --- | ---: | ---: | ---: | --- |');
    for (const v of [c.planRunAsync, c.convTransposeAsync]) o.push(`| ${v.label} | ${fmtMs(v.sequentialMs)} | ${fmtMs(v.concurrentMs)} | ${fmt(v.ratio, 3)} | ${v.pass ? 'pass' : '**below 0.9**'} |`);
    o.push('');
    o.push(`While 8 concurrent plan.runAsync calls ran (${fmtMs(c.eventLoop.elapsedMs)} ms), a 1 ms interval timer fired ${c.eventLoop.timerTicks} times: the JS thread stays free.`);
    o.push('');
  }
  if (ex.changingShape) {
    const c = ex.changingShape;
    o.push('## Changing shapes (1d-istft, a new T on every call)');
    o.push('');
    o.push(`Plain calls with T = ${c.Ts.join(', ')} (${fmt(c.totalGflop, 2)} GFLOP in all): the first pass meets every shape for the first time (the oneDNN primitive is created), the second pass finds them in the plan cache. ORT gets a model with a symbolic T.`);
    o.push('');
    o.push('| system | first pass ms | second pass ms | GFLOP/s first | GFLOP/s second |');
    o.push('| --- | ---: | ---: | ---: | ---: |');
    if (c.onednnCall) o.push(`| deconv convTranspose (oneDNN) | ${fmtMs(c.onednnCall.firstTotalMs)} | ${fmtMs(c.onednnCall.secondTotalMs)} | ${fmt(c.onednnCall.gflopsFirst, 1)} | ${fmt(c.onednnCall.gflopsSecond, 1)} |`);
    if (c.ort) o.push(`| ONNX Runtime (symbolic T) | ${fmtMs(c.ort.firstTotalMs)} | ${fmtMs(c.ort.secondTotalMs)} | ${fmt(c.ort.gflopsFirst, 1)} | ${fmt(c.ort.gflopsSecond, 1)} |`);
    o.push('');
  }
  o.push('## Checks');
  o.push('');
  if (report.failures.length) {
    o.push(`${report.failures.length} failure(s):`);
    o.push('');
    for (const f of report.failures) o.push(`- FAIL ${f}`);
  } else o.push(`Every system that ran agrees with deconv-oneDNN on every layer (max|diff|/max|ref| ≤ ${TOLERANCE}).`);
  o.push('');
  const skipped = [];
  for (const r of rs) for (const [id, why] of Object.entries(r.skipped)) if (id !== 'ts' || !why.startsWith('reference backend only')) skipped.push(`- ${r.name}: ${id} skipped: ${why}`);
  const tsSkipped = rs.filter((r) => r.skipped.ts?.startsWith('reference backend only')).map((r) => r.name);
  if (tsSkipped.length) skipped.push(`- reference (ts) backend skipped on ${tsSkipped.join(', ')}: it runs only on layers ≤ ${TS_MAX_GFLOP} GFLOP, with 1-3 reps (--ts-max-gflop)`);
  if (skipped.length) {
    o.push('Skipped:');
    o.push('');
    o.push(...skipped);
    o.push('');
  }
  return o.join('\n') + '\n';
}

// ---- main --------------------------------------------------------------------------------------

const started = now();
const meta = {
  command: ['node', 'bench/run.mjs', ...process.argv.slice(2)].join(' '),
  date: new Date().toISOString(),
  cpu: { model: CPU.model, logicalCpus: os.cpus().length, simd: SIMD },
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  platform: `${process.platform} ${process.arch}`,
  node: process.version,
  threads: THREADS,
  quick: QUICK,
  targetSeconds: TARGET_S,
  rounds: ROUNDS,
  loadStart: loadAverage(),
  deconv: {
    version: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
    commit: git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    commitDate: git(['log', '-1', '--format=%cI']),
    dirty: Boolean(git(['status', '--porcelain', '--untracked-files=no'])),
  },
  onednn: addon?.onednnInfo?.(),
  addon: addonBuild(),
};
console.log(`deconv bench: ${layers.length} layers, ${THREADS} threads, target ${TARGET_S} s per system and layer in ${ROUNDS} round(s)${QUICK ? ' (quick)' : ''}; load average ${meta.loadStart.join(', ')}`);
if (meta.loadStart[0] > THREADS * 0.5) console.log(`  note: the 1-minute load average (${meta.loadStart[0]}) is high for ${THREADS} cores: other work shares them, times will be noisy`);

const [tfState, ortState] = await Promise.all([startTf(), startOrt()]);
meta.tf = tfState.available
  ? { available: true, version: tfState.version, package: 'tensorflow-cpu', python: tfState.info.python, onednn: tfState.info.onednn, envOnednn: tfState.info.TF_ENABLE_ONEDNN_OPTS, probes: tfState.probes }
  : { available: false, reason: tfState.reason };
meta.ort = ortState.available ? { available: true, version: ortState.version } : { available: false, reason: ortState.reason };
console.log(`  TF: ${meta.tf.available ? meta.tf.version : `skipped (${meta.tf.reason})`}; ORT: ${meta.ort.available ? meta.ort.version : `skipped (${meta.ort.reason})`}; oneDNN: ${meta.onednn?.version ?? '–'} ${meta.onednn?.isa ?? ''}`);

const peakStart = measurePeak();
if (peers.tf.available) {
  const s = await peers.tf.worker.request({ cmd: 'sgemm', n: 2048 }).catch(() => undefined);
  if (s?.ok) peakStart.sgemm = { n: s.n, gflops: s.gflops, by: 'numpy (TF venv) BLAS' };
}
console.log(`  fp32 peak: ${peakStart.measured ? `${fmt(peakStart.threads1, 1)} GFLOP/s (1 thread), ${fmt(peakStart.threadsN, 1)} GFLOP/s (${THREADS} threads), ${peakStart.isa}` : peakStart.reason}${peakStart.sgemm ? `; numpy sgemm ${fmt(peakStart.sgemm.gflops, 1)} GFLOP/s` : ''}`);

for (const L of layers) {
  const t0 = now();
  const r = await runLayer(L);
  r.wallS = (now() - t0) / 1000;
  results.push(r);
  const s = r.systems;
  const part = (id, label) => {
    if (r.skipped[id]) return `${label} skip`;
    const v = s[id];
    if (!v) return undefined;
    return v.error ? `${label} FAIL` : `${label} ${fmtMs(v.medianMs)}`;
  };
  const bits = [part('onednn-plan', 'plan'), part('onednn-nhwc-plan', 'nhwc'), part('onednn-call', 'call'), part('onednn-async', 'async'), part('ts', 'ts'), part('ort', 'ort'), part('tf', 'tf')].filter(Boolean);
  const bad = Object.entries(r.checks).filter(([, c]) => !c.ok).map(([id]) => id);
  console.log(
    `${L.name.padEnd(18)} ${fmt(L.gflop, 3).padStart(7)} GF  ms: ${bits.join(', ')}` +
      `${s['onednn-plan']?.gflops ? `  | ${fmt(s['onednn-plan'].gflops, 1)} GF/s` : ''}` +
      `${r.ratios.ortOverOnednn ? `  ort/dc ${fmtRatio(r.ratios.ortOverOnednn)}` : ''}${r.ratios.tfOverOnednnNhwc ? `  tf/dc ${fmtRatio(r.ratios.tfOverOnednnNhwc)}` : ''}` +
      `${bad.length ? `  MISMATCH: ${bad.join(', ')}` : ''}  [${fmt(r.wallS, 1)} s]`,
  );
}

const extras = {};
if (!opt['no-extras']) {
  console.log('extras: tiny-call overhead, async concurrency, changing shapes');
  extras.tiny = await tinyOverhead();
  if (extras.tiny) {
    const t = extras.tiny;
    console.log(`  tiny: convTranspose ${fmt(t.onednnCall?.usPerCall)} µs, plan.run ${fmt(t.onednnPlanRun?.usPerCall)} µs, runAsync ${fmt(t.onednnPlanRunAsync?.usPerCall)} µs, ts ${fmt(t.tsCall?.usPerCall)} µs, ORT ${fmt(t.ortRun?.usPerCall)} µs, TF ${fmt(t.tfCall?.usPerCall)} µs per call`);
  }
  extras.concurrency = await concurrency();
  if (extras.concurrency) {
    const c = extras.concurrency;
    console.log(`  concurrency (${c.layer}): plan.runAsync ${fmt(c.planRunAsync.ratio, 3)}, convTransposeAsync ${fmt(c.convTransposeAsync.ratio, 3)} (target ≥ 0.9)`);
  }
  if (!QUICK && layers.some((L) => L.suite === '1d')) {
    extras.changingShape = await changingShape();
    if (extras.changingShape) {
      const c = extras.changingShape;
      console.log(`  changing T: deconv ${fmtMs(c.onednnCall.firstTotalMs)} / ${fmtMs(c.onednnCall.secondTotalMs)} ms (first / second pass)${c.ort ? `, ORT ${fmtMs(c.ort.firstTotalMs)} / ${fmtMs(c.ort.secondTotalMs)} ms` : ''}`);
    }
  }
}

// The peak again at the end: the best of both runs (other load only ever lowers it).
const peakEnd = measurePeak();
const peak = { ...peakStart };
if (peakEnd.measured && peakStart.measured) {
  peak.threads1 = Math.max(peakStart.threads1, peakEnd.threads1);
  peak.threadsN = Math.max(peakStart.threadsN, peakEnd.threadsN);
  peak.runs = [peakStart, peakEnd].map(({ threads1, threadsN }) => ({ threads1, threadsN }));
}
if (peak.measured && peak.threadsN < 0.9 * peak.threads1 * THREADS) {
  peak.used = peak.threads1 * THREADS;
  peak.usedNote = `1-thread peak × ${THREADS}: the ${THREADS}-thread run reached only ${fmt(peak.threadsN, 1)}, disturbed by other load on these cores`;
} else {
  peak.used = peak.threadsN;
  peak.usedNote = peak.measured ? `measured on ${THREADS} threads` : 'estimate';
}
meta.peak = peak;
meta.loadEnd = loadAverage();
meta.durationS = (now() - started) / 1000;

const ortRatios = results.map((r) => r.ratios.ortOverOnednn).filter((v) => v);
const tfRatios = results.map((r) => r.ratios.tfOverOnednnNhwc).filter((v) => v);
const slower = [];
for (const r of results) {
  if (r.ratios.ortOverOnednn !== undefined && r.ratios.ortOverOnednn < 1) slower.push({ layer: r.name, peer: 'ORT', ratio: r.ratios.ortOverOnednn, deconvMs: r.systems['onednn-plan'].medianMs, peerMs: r.systems.ort.medianMs, impl: r.onednnImpl });
  if (r.ratios.tfOverOnednnNhwc !== undefined && r.ratios.tfOverOnednnNhwc < 1) slower.push({ layer: r.name, peer: 'TF', ratio: r.ratios.tfOverOnednnNhwc, deconvMs: r.systems['onednn-nhwc-plan'].medianMs, peerMs: r.systems.tf.medianMs, impl: r.onednnNhwcImpl, nchwRatio: r.ratios.tfOverOnednnNchw, nchwImpl: r.onednnImpl, planMs: r.planNhwcMs });
}
const summary = {
  geomeanOrt: geomean(ortRatios),
  nOrt: ortRatios.length,
  geomeanTf: geomean(tfRatios),
  nTf: tfRatios.length,
  geomeanTfNchw: geomean(results.map((r) => r.ratios.tfOverOnednnNchw).filter((v) => v)),
  geomeanCallOverPlan: geomean(results.map((r) => r.ratios.callOverPlan).filter((v) => v)),
  slower,
};
if (extras.concurrency && !extras.concurrency.planRunAsync.pass) failures.push(`async concurrency: plan.runAsync ratio ${fmt(extras.concurrency.planRunAsync.ratio, 3)} < 0.9`);
const report = { meta, layers: results, extras, summary, failures };

console.log(`\npeak ${fmt(peak.used, 1)} GFLOP/s (${peak.usedNote}); geomean ORT/deconv ${fmtRatio(summary.geomeanOrt)} (${summary.nOrt} layers), TF/deconv ${fmtRatio(summary.geomeanTf)} (${summary.nTf} layers); ${meta.durationS.toFixed(0)} s; load ${meta.loadEnd.join(', ')}`);
for (const s of slower) console.log(`  slower than ${s.peer} on ${s.layer}: ${fmtRatio(s.ratio)} (impl ${s.impl}${s.nchwRatio !== undefined ? `; vs the NCHW plan ${fmtRatio(s.nchwRatio)}` : ''})`);
for (const f of failures) console.log(`FAIL ${f}`);

if (opt.json) {
  mkdirSync(path.dirname(path.resolve(opt.json)), { recursive: true });
  writeFileSync(opt.json, JSON.stringify(report, (k, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 1) + '\n');
  console.log(`wrote ${opt.json}`);
}
if (opt.md) {
  mkdirSync(path.dirname(path.resolve(opt.md)), { recursive: true });
  writeFileSync(opt.md, markdown(report));
  console.log(`wrote ${opt.md}`);
}

if (peers.tf.worker) await peers.tf.worker.close();
process.exitCode = failures.length ? 1 : 0;
