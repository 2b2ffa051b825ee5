// The extra measurements of a full run: tiny-call overhead, async concurrency, changing shapes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deriveLayer } from './layers.mjs';
import { now, onnxToTfFilters, prod, quantile, randomData, settle, toChannelsLast } from './util.mjs';
import { ortSession } from './peers/ort.mjs';

export async function tinyOverhead(ctx) {
  const spec = ctx.suite.layers.find((l) => l.name === 'tiny-overhead');
  if (!spec) return undefined;
  const L = deriveLayer(spec);
  const X = { shape: L.xShape, data: randomData(prod(L.xShape), 7) };
  const W = { shape: L.wShape, data: randomData(prod(L.wShape), 8) };
  const calls = ctx.config.quick ? 2000 : 20000;
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
  if (ctx.haveOnednn) {
    const attrs = { ...L.onnxAttrs, backend: 'onednn' };
    out.onednnCall = perCall(() => ctx.deconv.convTranspose(X, W, null, attrs));
    const plan = ctx.deconv.convTransposePlan(L.xShape, W, null, attrs);
    const y = { shape: L.yShape, data: new Float32Array(prod(L.yShape)) };
    out.onednnPlanRun = perCall(() => plan.run(X, { out: y }));
    out.onednnPlanRunAsync = await perCallAsync(() => plan.runAsync(X), ctx.config.quick ? 500 : 3000);
    plan.dispose();
  }
  out.tsCall = perCall(() => ctx.deconv.convTranspose(X, W, null, { ...L.onnxAttrs, backend: 'ts' }));
  if (ctx.peers.ort.available) {
    const session = await ortSession(ctx, L, W.data);
    const feeds = { X: new ctx.peers.ort.ort.Tensor('float32', X.data, L.xShape) };
    out.ortRun = await perCallAsync(() => session.run(feeds), ctx.config.quick ? 500 : 3000);
    await session.release?.();
  }
  if (ctx.peers.tf.available) {
    const xf = path.join(ctx.tmp, 'tiny-x.f32');
    const wf = path.join(ctx.tmp, 'tiny-w.f32');
    writeFileSync(xf, toChannelsLast(X.data, L.xShape));
    writeFileSync(wf, onnxToTfFilters(W.data, L.wShape));
    const t = L.tf;
    const ans = await ctx.peers.tf.worker.request({ cmd: 'overhead', key: 'tiny', op: t.op, x: xf, xShape: t.xShape, w: wf, wShape: t.wShape, outputShape: t.outputShape, strides: t.strides, padding: t.padding, calls: ctx.config.quick ? 200 : 2000, rounds: 5, warmup: 200 });
    await ctx.peers.tf.worker.request({ cmd: 'forget' }).catch(() => {});
    if (ans.ok) {
      const s = [...ans.usPerCall].sort((a, b) => a - b);
      out.tfCall = { usPerCall: quantile(s, 0.5), minUs: s[0], samples: s };
    } else out.tfCall = { error: ans.error };
  }
  out.pass = out.onednnPlanRun ? out.onednnPlanRun.usPerCall <= 5 : undefined;
  return out;
}

export async function concurrency(ctx) {
  if (!ctx.haveOnednn) return undefined;
  const name = ctx.config.concurrencyLayer;
  const spec = ctx.suite.layers.find((l) => l.name === name);
  if (!spec) throw new Error(`--concurrency-layer: no layer ${name}`);
  const L = deriveLayer(spec);
  const X = { shape: L.xShape, data: randomData(prod(L.xShape), 11) };
  const W = { shape: L.wShape, data: randomData(prod(L.wShape), 12, 0.05) };
  const attrs = { ...L.onnxAttrs, backend: 'onednn' };
  const plan = ctx.deconv.convTransposePlan(L.xShape, W, null, attrs);
  const K = 8;
  const trials = ctx.config.quick ? 2 : 9;
  // Trials in pairs (one sequential batch, one concurrent, in alternating order), compared pair by
  // pair: the machine's load drifts over seconds, and a ratio of two medians taken apart in time
  // measured the drift as much as the queue (0.86–1.05 in five full runs).
  const measure = async (label, call) => {
    await call();
    await Promise.all(Array.from({ length: K }, call)); // warm both paths
    await settle();
    const seq = [];
    const conc = [];
    const ratios = [];
    const sequential = async () => {
      const t0 = now();
      for (let i = 0; i < K; i++) await call();
      return now() - t0;
    };
    const concurrent = async () => {
      const t0 = now();
      await Promise.all(Array.from({ length: K }, call));
      return now() - t0;
    };
    for (let t = 0; t < trials; t++) {
      const [s, c] = t % 2 === 0 ? [await sequential(), await concurrent()] : [await concurrent(), await sequential()].reverse();
      seq.push(s);
      conc.push(c);
      ratios.push(s / c);
    }
    seq.sort((a, b) => a - b);
    conc.sort((a, b) => a - b);
    ratios.sort((a, b) => a - b);
    const ratio = quantile(ratios, 0.5);
    return { label, calls: K, trials, sequentialMs: quantile(seq, 0.5), concurrentMs: quantile(conc, 0.5), ratio, pass: ratio >= 0.9, ratios, sequentialAll: seq, concurrentAll: conc };
  };
  const out = { layer: L.name, gflop: L.gflop, target: '8 concurrent calls ≥ 0.9× the throughput of 8 sequential ones' };
  out.planRunAsync = await measure('plan.runAsync', () => plan.runAsync(X));
  out.convTransposeAsync = await measure('convTransposeAsync', () => ctx.deconv.convTransposeAsync(X, W, null, attrs));
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
export async function changingShape(ctx) {
  const spec = ctx.suite.layers.find((l) => l.name === '1d-istft-T224');
  if (!spec || !ctx.haveOnednn) return undefined;
  const Ts = ctx.config.quick ? [224, 640, 1000] : [224, 480, 777, 1000, 1500, 2200, 3100, 5000];
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
  ctx.deconv.setPlanCacheCapacity?.(64);
  const first = await pass((X) => ctx.deconv.convTranspose(X, W, null, attrs));
  const again = await pass((X) => ctx.deconv.convTranspose(X, W, null, attrs));
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  out.onednnCall = { firstPassMs: first, secondPassMs: again, firstTotalMs: sum(first), secondTotalMs: sum(again), gflopsFirst: totalGflop / (sum(first) / 1000), gflopsSecond: totalGflop / (sum(again) / 1000) };
  if (ctx.peers.ort.available) {
    const session = await ortSession(ctx, base, W.data, { dynamicLast: true });
    const { ort } = ctx.peers.ort;
    const run = (X) => session.run({ X: new ort.Tensor('float32', X.data, X.shape) });
    const f = await pass(run);
    const a = await pass(run);
    out.ort = { firstPassMs: f, secondPassMs: a, firstTotalMs: sum(f), secondTotalMs: sum(a), gflopsFirst: totalGflop / (sum(f) / 1000), gflopsSecond: totalGflop / (sum(a) / 1000) };
    await session.release?.();
  }
  return out;
}
