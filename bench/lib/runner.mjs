// The benchmark as a function: runBench(config, hooks) measures the chosen layers on the chosen
// deconv backends and on every peer that is installed, and returns the report (see bench/README.md).
// `deconv bench` (src/cli/bench.ts) parses the options, draws the progress bar and writes the files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { changingShape, concurrency, tinyOverhead } from './extras.mjs';
import { loadSuite, selectLayers } from './layers.mjs';
import { runLayer } from './layer-run.mjs';
import { combinePeaks, cpuModel, measureLoaded, measurePeak } from './peak.mjs';
import { startOrt } from './peers/ort.mjs';
import { startTf } from './peers/tf.mjs';
import { startTfjs } from './peers/tfjs.mjs';
import { startTorch } from './peers/torch.mjs';
import { checkTargets } from './targets.mjs';
import { PEERS, SYSTEMS } from './systems.mjs';
import { fmt, fmtMs, fmtRatio, geomean, now } from './util.mjs';

const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = path.resolve(BENCH_DIR, '..');

/** Defaults of every option (the CLI's parser fills the same ones). */
export function defaultConfig(overrides = {}) {
  const quick = overrides.quick ?? false;
  return {
    suites: ['all'],
    layers: undefined,
    batch: undefined,
    quick,
    backends: ['onednn', 'ts'],
    peers: [...PEERS],
    peersGiven: false,
    threads: os.availableParallelism(),
    targetS: quick ? 0.2 : 0.8,
    rounds: quick ? 1 : 4,
    tsMaxGflop: quick ? 0.5 : 2,
    tfjsMaxGflop: quick ? 0.5 : 1,
    concurrencyLayer: 'unet-2-b1',
    extras: true,
    python: undefined,
    note: undefined,
    command: 'deconv bench',
    ...overrides,
  };
}

const loadAverage = () => os.loadavg().map((v) => Number(v.toFixed(2)));

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

/**
 * hooks: log(line) for the per-layer lines and notes; progress({ layer, index, count, system,
 * step, steps }) before every timed turn; both optional.
 */
export async function runBench(config, hooks = {}) {
  const log = hooks.log ?? (() => {});
  const progress = hooks.progress ?? (() => {});
  const deconv = await import(pathToFileURL(path.join(ROOT, 'dist', 'esm', 'index.js')).href);
  const { nativeAddon } = await import(pathToFileURL(path.join(ROOT, 'dist', 'esm', 'backends', 'native.js')).href);
  const backendInfo = Object.fromEntries(deconv.backends().map((b) => [b.name, b]));
  const failures = [];
  const notes = config.note ? [config.note] : [];
  // A backend that is asked for but not here is skipped with its reason (the default onednn too).
  const backends = config.backends.filter((b) => {
    if (b === 'ts' || backendInfo[b]?.available) return true;
    if (b === 'cudnn') return true; // kept: every layer lists it as skipped, with the reason
    notes.push(`backend ${b} skipped: ${backendInfo[b]?.reason ?? 'unknown backend'}${b === 'onednn' ? ' (build it with `npm run build:native`)' : ''}`);
    return false;
  });
  const cfg = { ...config, backends };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'deconv-bench-'));
  const outDir = path.join(BENCH_DIR, 'out');
  mkdirSync(outDir, { recursive: true });
  const suite = loadSuite(path.join(BENCH_DIR, 'suite.json'));
  const layers = selectLayers(suite, cfg);
  const ctx = {
    config: cfg,
    root: ROOT,
    benchDir: BENCH_DIR,
    tmp,
    suite,
    deconv,
    addon: nativeAddon().addon,
    backendInfo,
    haveOnednn: backends.includes('onednn'),
    threads: cfg.threads,
    peers: {},
    failures,
    loadAverage,
  };
  if (ctx.haveOnednn) deconv.setNumThreads(cfg.threads);
  const cpu = cpuModel();
  const started = now();
  const meta = {
    command: cfg.command,
    date: new Date().toISOString(),
    cpu: { model: cpu.model, logicalCpus: os.cpus().length, simd: cpu.simd },
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    node: process.version,
    threads: cfg.threads,
    quick: cfg.quick,
    targetSeconds: cfg.targetS,
    rounds: cfg.rounds,
    loadStart: loadAverage(),
    deconv: {
      version: JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version,
      commit: git(['rev-parse', '--short', 'HEAD']) ?? 'unknown',
      commitDate: git(['log', '-1', '--format=%cI']),
      // bench/results/ is what a run overwrites: changes there do not make the code differ.
      dirty: Boolean(git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results'])),
    },
    backends: Object.fromEntries(Object.entries(backendInfo).map(([k, v]) => [k, { available: v.available, reason: v.reason, version: v.version }])),
    onednn: ctx.addon?.onednnInfo?.(),
    addon: addonBuild(),
    notes,
  };
  log(`deconv bench: ${layers.length} layers, ${cfg.threads} threads, target ${cfg.targetS} s per system and layer in ${cfg.rounds} round(s)${cfg.quick ? ' (quick)' : ''}; load average ${meta.loadStart.join(', ')}`);
  if (meta.loadStart[0] > cfg.threads * 0.5) log(`  note: the 1-minute load average (${meta.loadStart[0]}) is high for ${cfg.threads} cores: other work shares them, times will be noisy`);
  for (const n of notes) log(`  note: ${n}`);

  try {
    // Peers: each that was asked for and is installed; the others are skipped with the reason.
    const want = (p) => cfg.peers.includes(p);
    const notAsked = { available: false, reason: 'not requested (--peers)' };
    const wantCuda = backends.includes('cudnn') && backendInfo.cudnn?.available;
    const [tf, ort, torch] = await Promise.all([want('tf') ? startTf(ctx) : notAsked, want('ort') ? startOrt(ctx) : notAsked, want('torch') ? startTorch(ctx, { wantCuda }) : notAsked]);
    Object.assign(ctx.peers, { tf, ort, torch });
    // tfjs: one engine per process, so the two backends start one after the other.
    ctx.peers['tfjs-cpu'] = want('tfjs-cpu') ? await startTfjs(ctx, 'cpu') : notAsked;
    ctx.peers['tfjs-wasm'] = want('tfjs-wasm') ? await startTfjs(ctx, 'wasm') : notAsked;
    meta.peers = {};
    for (const p of PEERS) {
      const s = ctx.peers[p];
      meta.peers[p] = s.available
        ? { available: true, version: s.version, ...(p === 'tf' ? { package: 'tensorflow-cpu', python: s.info.python, onednn: s.info.onednn, envOnednn: s.info.TF_ENABLE_ONEDNN_OPTS, probes: s.probes } : {}), ...(p.startsWith('tfjs') ? { threads: s.threads, note: s.note } : {}), ...(p === 'torch' ? { device: s.device, deviceName: s.info.deviceName, threads: s.info.threads } : {}) }
        : { available: false, reason: s.reason };
      log(`  ${SYSTEMS[p].short}: ${s.available ? `${s.version}${s.note ? ` (${s.note})` : ''}${p === 'torch' ? ` on ${s.device}` : ''}` : `skipped (${s.reason})`}`);
    }

    const peakOpts = { benchDir: BENCH_DIR, outDir, threads: cfg.threads, seconds: cfg.quick ? 0.2 : 0.5, cpu };
    const peakStart = measurePeak(peakOpts);
    if (tf.available) {
      const s = await tf.worker.request({ cmd: 'sgemm', n: 2048 }).catch(() => undefined);
      if (s?.ok) peakStart.sgemm = { n: s.n, gflops: s.gflops, by: 'numpy (TF venv) BLAS' };
    }
    log(`  fp32 peak: ${peakStart.measured ? `${fmt(peakStart.threads1, 1)} GFLOP/s (1 thread), ${fmt(peakStart.threadsN, 1)} GFLOP/s (${cfg.threads} threads), ${peakStart.isa}` : peakStart.reason}${peakStart.sgemm ? `; numpy sgemm ${fmt(peakStart.sgemm.gflops, 1)} GFLOP/s` : ''}`);

    // The load-fed FMA probe just before and just after each layer (0.15 s each).
    const loadProbe = () => measureLoaded(peakStart.exe, cfg.threads, 0.15);
    const results = [];
    for (const [index, L] of layers.entries()) {
      const before = loadProbe();
      const t0 = now();
      const r = await runLayer(ctx, L, (s) => progress({ layer: L.name, index, count: layers.length, ...s }));
      r.wallS = (now() - t0) / 1000;
      if (before !== undefined) r.loadProbe = { before, after: loadProbe() };
      results.push(r);
      log(layerLine(L, r));
    }
    progress({ layer: undefined, index: layers.length, count: layers.length, step: 0, steps: 1 });

    const extras = {};
    if (cfg.extras) {
      log('extras: tiny-call overhead, async concurrency, changing shapes');
      extras.tiny = await tinyOverhead(ctx);
      if (extras.tiny) {
        const t = extras.tiny;
        log(`  tiny: convTranspose ${fmt(t.onednnCall?.usPerCall)} µs, plan.run ${fmt(t.onednnPlanRun?.usPerCall)} µs, runAsync ${fmt(t.onednnPlanRunAsync?.usPerCall)} µs, ts ${fmt(t.tsCall?.usPerCall)} µs, ORT ${fmt(t.ortRun?.usPerCall)} µs, TF ${fmt(t.tfCall?.usPerCall)} µs per call`);
      }
      extras.concurrency = await concurrency(ctx);
      if (extras.concurrency) {
        const c = extras.concurrency;
        log(`  concurrency (${c.layer}): plan.runAsync ${fmt(c.planRunAsync.ratio, 3)}, convTransposeAsync ${fmt(c.convTransposeAsync.ratio, 3)} (target ≥ 0.9)`);
        if (!c.planRunAsync.pass) failures.push(`async concurrency: plan.runAsync ratio ${fmt(c.planRunAsync.ratio, 3)} < 0.9`);
      }
      if (!cfg.quick && layers.some((L) => L.suite === '1d')) {
        extras.changingShape = await changingShape(ctx);
        if (extras.changingShape) {
          const c = extras.changingShape;
          log(`  changing T: deconv ${fmtMs(c.onednnCall.firstTotalMs)} / ${fmtMs(c.onednnCall.secondTotalMs)} ms (first / second pass)${c.ort ? `, ORT ${fmtMs(c.ort.firstTotalMs)} / ${fmtMs(c.ort.secondTotalMs)} ms` : ''}`);
        }
      }
    }

    meta.peak = combinePeaks(peakStart, measurePeak(peakOpts), cfg.threads);
    delete meta.peak.exe;
    const probes = results.flatMap((r) => (r.loadProbe ? [r.loadProbe.before, r.loadProbe.after] : [])).filter((v) => v !== undefined);
    if (probes.length) meta.loadProbe = { threads: cfg.threads, best: Math.max(...probes), worst: Math.min(...probes), median: probes.sort((a, b) => a - b)[probes.length >> 1] };
    meta.loadEnd = loadAverage();
    meta.durationS = (now() - started) / 1000;
    const summary = summarize(results);
    summary.targets = checkTargets(results, summary, extras, meta.peak.used);
    const report = { meta, layers: results, rows: rows(results, meta.peak.used), extras, summary, failures };
    log('');
    log(`peak ${fmt(meta.peak.used, 1)} GFLOP/s (${meta.peak.usedNote}); ${meta.durationS.toFixed(0)} s; load ${meta.loadEnd.join(', ')}`);
    for (const [peer, g] of Object.entries(summary.peers)) log(`  geomean ${SYSTEMS[peer].short} / deconv ${fmtRatio(g.geomean)} over ${g.n} layers (against ${g.against.join(', ')})`);
    if (summary.bestPeer) log(`  geomean faster of TF and ORT / deconv ${fmtRatio(summary.bestPeer.geomean)} over ${summary.bestPeer.n} layers`);
    for (const s of summary.slower) log(`  slower than ${SYSTEMS[s.peer].short} on ${s.layer}: ${fmtRatio(s.ratio)} (${s.against}${s.impl ? `, impl ${s.impl}` : ''})`);
    for (const t of summary.targets) log(`  target ${t.met === undefined ? 'not judged' : t.met ? 'met' : 'MISSED'}: ${t.name}: ${t.detail}`);
    for (const f of failures) log(`FAIL ${f}`);
    return report;
  } finally {
    for (const p of ['tf', 'torch']) await ctx.peers[p]?.worker?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function layerLine(L, r) {
  const part = (id) => {
    if (r.skipped[id]) return undefined;
    const v = r.systems[id];
    if (!v) return undefined;
    return `${SYSTEMS[id].short} ${v.error ? 'FAIL' : fmtMs(v.medianMs)}`;
  };
  const bits = Object.keys(SYSTEMS).map(part).filter(Boolean);
  const ratios = Object.entries(r.ratios).filter(([k]) => SYSTEMS[k]).map(([k, v]) => `${SYSTEMS[k].short}/dc ${fmtRatio(v.value)}`);
  const bad = Object.entries(r.checks).filter(([, c]) => !c.ok).map(([id]) => id);
  const plan = r.systems['onednn-plan'];
  const probe = r.loadProbe ? `  probe ${fmt(r.loadProbe.before, 0)}/${fmt(r.loadProbe.after, 0)}` : '';
  return `${L.name.padEnd(18)} ${fmt(L.gflop, 3).padStart(7)} GF  ms: ${bits.join(', ')}${plan?.gflops ? `  | ${fmt(plan.gflops, 1)} GF/s` : ''}${ratios.length ? `  ${ratios.join('  ')}` : ''}${bad.length ? `  MISMATCH: ${bad.join(', ')}` : ''}${probe}  [${fmt(r.wallS, 1)} s]`;
}

/** Geometric means of each peer's ratio over the layers both ran, and where deconv is slower. */
export function summarize(results) {
  const peers = {};
  const slower = [];
  for (const peer of PEERS) {
    const rs = results.filter((r) => r.ratios[peer]);
    if (!rs.length) continue;
    peers[peer] = { geomean: geomean(rs.map((r) => r.ratios[peer].value)), n: rs.length, against: [...new Set(rs.map((r) => r.ratios[peer].against))] };
    for (const r of rs) {
      const { value, against } = r.ratios[peer];
      if (value >= 1) continue;
      const impl = against === 'onednn-plan' ? r.onednnImpl : against === 'onednn-nhwc-plan' ? r.onednnNhwcImpl : undefined;
      slower.push({ layer: r.name, peer, against, ratio: value, deconvMs: r.systems[against].medianMs, peerMs: r.systems[peer].medianMs, impl, planMs: against === 'onednn-nhwc-plan' ? r.planNhwcMs : r.planMs });
    }
  }
  const extra = (key) => {
    const v = results.map((r) => r.ratios[key]?.value).filter((x) => x);
    return v.length ? { geomean: geomean(v), n: v.length } : undefined;
  };
  // The issue's headline target: per layer, the faster of TensorFlow and ONNX Runtime (the lower
  // ratio), over the layers where at least one ran.
  const best = results.map((r) => Math.min(...['tf', 'ort'].map((p) => r.ratios[p]?.value ?? Infinity))).filter((v) => Number.isFinite(v));
  const bestPeer = best.length ? { geomean: geomean(best), n: best.length } : undefined;
  return { peers, bestPeer, callOverPlan: extra('callOverPlan'), tfjsCpuOverTs: extra('tfjsCpuOverTs'), tfOverNchwPlan: extra('tfOverNchwPlan'), slower };
}

/** One row per layer and system (skipped ones too, with the reason): the flat table of the JSON. */
export function rows(results, peakGflops) {
  const out = [];
  for (const r of results) {
    for (const id of Object.keys(SYSTEMS)) {
      const s = r.systems[id];
      const skipped = r.skipped[id];
      if (!s && !skipped) continue;
      const base = { layer: r.name, suite: r.suite, gflop: r.gflop, system: id };
      if (skipped) out.push({ ...base, status: 'skipped', reason: skipped });
      else if (s.error) out.push({ ...base, status: 'failed', reason: s.error });
      else {
        const ratio = r.ratios[id];
        out.push({
          ...base,
          status: 'ok',
          medianMs: s.medianMs,
          minMs: s.minMs,
          spread: s.spread,
          reps: s.reps,
          gflops: s.gflops,
          pctPeak: peakGflops ? (100 * s.gflops) / peakGflops : undefined,
          maxDiff: r.checks[id]?.rel,
          ...(ratio ? { ratioToDeconv: ratio.value, ratioAgainst: ratio.against } : {}),
        });
      }
    }
  }
  return out;
}
