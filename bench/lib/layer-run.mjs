// One layer of the suite on every system: setup, timed turns (the systems take turns R times,
// round 2 in reverse order, so that load drifting during a layer hits every system), statistics,
// the correctness check of every output, and the ratios of each peer to deconv.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ratioBases } from './systems.mjs';
import { now, onnxToTfFilters, prod, randomData, relDiff, settle, stats, timeIt, toChannelsLast, TOLERANCE } from './util.mjs';
import { ortSession } from './peers/ort.mjs';
import { tfSkipReason } from './peers/tf.mjs';
import { tfjsRunner, tfjsSkipReason } from './peers/tfjs.mjs';

/** The systems the run asked for, in the order they take turns. */
export function systemsFor(ctx) {
  const list = [];
  const b = ctx.config.backends;
  if (b.includes('onednn')) list.push('onednn-plan', 'onednn-nhwc-plan', 'onednn-call', 'onednn-async');
  if (b.includes('cudnn')) list.push('cudnn');
  if (b.includes('ts')) list.push('ts');
  for (const p of ['ort', 'tf', 'tfjs-cpu', 'tfjs-wasm', 'torch']) if (ctx.config.peers.includes(p)) list.push(p);
  return list;
}

export async function runLayer(ctx, L, onStep = () => {}) {
  const { deconv, config } = ctx;
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
    loadAverage: ctx.loadAverage(),
  };
  const wanted = systemsFor(ctx);
  const x = randomData(prod(L.xShape), 0x9e3779b9 ^ L.name.length);
  const w = randomData(prod(L.wShape), 0x85ebca6b ^ L.name.length, 1 / Math.sqrt(((L.C / L.group) * prod(L.K)) / prod(L.strides)));
  const X = { shape: L.xShape, data: x };
  const W = { shape: L.wShape, data: w };
  const attrs = { ...L.onnxAttrs, backend: 'onednn' };
  // Big: many flops or much memory (the depthwise layer moves ~1 GB per call): fewer reps.
  const bytes = 4 * (prod(L.xShape) + prod(L.wShape) + prod(L.yShape));
  const big = L.gflop > 3 || bytes > 256 * 2 ** 20;
  const baseOpts = { warmup: big ? 1 : 2, minReps: big ? 3 : 5, maxReps: 200, target: config.targetS / config.rounds };
  // Rounds after the first: the caches are warm but for what the previous system evicted (one
  // warm-up call, none for big layers, where that is a small part of a call).
  const laterRounds = { warmup: big ? 0 : 1, minReps: big ? 1 : 2 };
  // The slow single-threaded systems: 1-3 reps, one round, and only on layers up to a size.
  const slowOpts = { warmup: 0, minReps: 1, maxReps: config.quick ? 1 : 3, target: 1 };

  const runners = {}; // id -> { fn, output(), enter?, leave?, dispose?, slow?, nhwc?, remote? }
  const outputs = {}; // id -> Float32Array (layout per system)
  const skip = (id, reason) => {
    res.skipped[id] = reason;
  };
  let xNhwc;
  let wTf;
  const nhwcData = () => {
    xNhwc ??= toChannelsLast(x, L.xShape);
    wTf ??= onnxToTfFilters(w, L.wShape);
  };
  const tooBig = (id, cap, what) => {
    if (L.gflop <= cap) return false;
    skip(id, `${what} only on layers ≤ ${cap} GFLOP (this one: ${L.gflop.toFixed(2)})`);
    return true;
  };

  // deconv, oneDNN, NCHW. Plans time their ways when made: after a GC, as the timed turns are.
  if (wanted.includes('onednn-plan')) {
    await settle();
    const t0 = now();
    const plan = deconv.convTransposePlan(L.xShape, W, null, attrs);
    res.planMs = now() - t0;
    const out = { shape: L.yShape, data: new Float32Array(prod(L.yShape)) };
    res.onednnImpl = ctx.addon?.onednnDescribePlan?.(plan.problem, 'float32');
    runners['onednn-plan'] = { fn: () => plan.run(X, { out }), output: () => out.data, dispose: () => plan.dispose() };
    let last;
    runners['onednn-call'] = { fn: () => (last = deconv.convTranspose(X, W, null, attrs)), output: () => last?.data };
    let lastAsync;
    runners['onednn-async'] = { fn: async () => (lastAsync = await plan.runAsync(X)), output: () => lastAsync?.data };
  }
  // deconv, oneDNN, channels last (the TF spelling)
  if (wanted.includes('onednn-nhwc-plan')) {
    if (L.tf.skip) skip('onednn-nhwc-plan', `no channels-last (TF API) spelling: ${L.tf.skip}`);
    else {
      nhwcData();
      await settle();
      const t = L.tf;
      const maker = t.rank === 1 ? deconv.conv1dTransposePlan : t.rank === 2 ? deconv.conv2dTransposePlan : deconv.conv3dTransposePlan;
      try {
        const t0 = now();
        const plan = maker(t.xShape, { shape: t.wShape, data: wTf }, t.outputShape, t.strides, t.padding, { dilations: t.dilations, backend: 'onednn' });
        res.planNhwcMs = now() - t0;
        const out = { shape: t.outputShape, data: new Float32Array(prod(t.outputShape)) };
        const Xn = { shape: t.xShape, data: xNhwc };
        res.onednnNhwcImpl = ctx.addon?.onednnDescribePlan?.(plan.problem, 'float32');
        runners['onednn-nhwc-plan'] = { fn: () => plan.run(Xn, { out }), output: () => out.data, dispose: () => plan.dispose(), nhwc: true };
      } catch (e) {
        skip('onednn-nhwc-plan', `deconv refused the TF spelling: ${e.message}`);
        ctx.failures.push(`${L.name}: deconv conv${t.rank}dTranspose refused ${t.spelled}: ${e.message}`);
      }
    }
  }
  // deconv, cuDNN: device tensors in and out, each call waits for the GPU (sync)
  if (wanted.includes('cudnn')) {
    const info = ctx.backendInfo.cudnn;
    if (!info?.available) skip('cudnn', `the cuDNN backend is not available: ${info?.reason ?? 'not built'}`);
    else {
      const xd = deconv.toDevice(X);
      const plan = deconv.convTransposePlan(L.xShape, W, null, { ...L.onnxAttrs, backend: 'cudnn', benchmark: true });
      let last;
      runners.cudnn = {
        fn: () => {
          last?.dispose();
          last = plan.run(xd);
        },
        output: () => last?.toHostSync().data,
        dispose: () => {
          last?.dispose();
          xd.dispose();
          plan.dispose();
        },
      };
    }
  }
  // deconv, reference
  if (wanted.includes('ts') && !tooBig('ts', config.tsMaxGflop, 'reference backend')) {
    let last;
    const tsAttrs = { ...L.onnxAttrs, backend: 'ts' };
    runners.ts = { fn: () => (last = deconv.convTranspose(X, W, null, tsAttrs)), output: () => last?.data, slow: true };
  }
  // ONNX Runtime
  if (wanted.includes('ort')) {
    if (!ctx.peers.ort.available) skip('ort', ctx.peers.ort.reason);
    else {
      try {
        const session = await ortSession(ctx, L, w);
        const feeds = { X: new ctx.peers.ort.ort.Tensor('float32', x, L.xShape) };
        let last;
        runners.ort = { fn: async () => (last = await session.run(feeds)), output: () => last?.Y?.data, dispose: () => session.release?.() };
      } catch (e) {
        skip('ort', `ONNX Runtime refused the model: ${e.message.split('\n')[0]}`);
      }
    }
  }
  // TensorFlow.js, in this process
  for (const id of ['tfjs-cpu', 'tfjs-wasm']) {
    if (!wanted.includes(id)) continue;
    const peer = ctx.peers[id];
    const why = !peer.available ? peer.reason : tfjsSkipReason(L);
    if (why) skip(id, why);
    else if (!tooBig(id, config.tfjsMaxGflop, `TensorFlow.js (${peer.backend})`)) {
      nhwcData();
      runners[id] = { ...tfjsRunner(peer, L, xNhwc, wTf), slow: true };
    }
  }
  // TensorFlow and PyTorch: Python subprocesses, fed through files
  const remoteFiles = [];
  const writeInput = (tag, data) => {
    const f = path.join(ctx.tmp, `${L.name}-${tag}.f32`);
    writeFileSync(f, data);
    remoteFiles.push(f);
    return f;
  };
  if (wanted.includes('tf')) {
    const why = ctx.peers.tf.available ? tfSkipReason(ctx.peers.tf, L) : ctx.peers.tf.reason;
    if (why) skip('tf', why);
    else {
      nhwcData();
      const t = L.tf;
      const req = { cmd: 'run', key: L.name, op: t.op, x: writeInput('tf-x', xNhwc), xShape: t.xShape, w: writeInput('tf-w', wTf), wShape: t.wShape, outputShape: t.outputShape, strides: t.strides, padding: t.padding };
      if (t.dilations.some((d) => d > 1)) req.dilations = [1, ...t.dilations, 1];
      runners.tf = { remote: ctx.peers.tf.worker, req, yf: path.join(ctx.tmp, `${L.name}-tf-y.f32`), nhwc: true, forget: true };
    }
  }
  if (wanted.includes('torch')) {
    if (!ctx.peers.torch.available) skip('torch', ctx.peers.torch.reason);
    else {
      const req = { cmd: 'run', x: writeInput('torch-x', x), xShape: L.xShape, w: writeInput('torch-w', w), wShape: L.wShape, strides: L.strides, padsBegin: L.padsBegin, padsEnd: L.padsEnd, outputPadding: L.outputPadding, dilations: L.dilations, group: L.group };
      runners.torch = { remote: ctx.peers.torch.worker, req, yf: path.join(ctx.tmp, `${L.name}-torch-y.f32`) };
    }
  }

  const order = wanted.filter((id) => runners[id]);
  await settle();
  const collected = Object.fromEntries(order.map((id) => [id, { times: [] }]));
  const steps = order.reduce((n, id) => n + (runners[id].slow ? 1 : config.rounds), 0);
  let step = 0;
  for (let round = 0; round < config.rounds; round++) {
    const ids = round % 2 === 0 ? order : [...order].reverse();
    for (const id of ids) {
      const r = runners[id];
      const c = collected[id];
      if (c.error || (r.slow && round > 0)) continue;
      onStep({ system: id, step: step++, steps });
      try {
        if (r.remote) {
          const ans = await r.remote.request({
            ...r.req,
            warmup: round === 0 ? baseOpts.warmup : laterRounds.warmup,
            minReps: round === 0 ? baseOpts.minReps : laterRounds.minReps,
            maxReps: baseOpts.maxReps,
            targetSeconds: baseOpts.target,
            out: round === 0 ? r.yf : undefined,
          });
          if (!ans.ok) throw new Error(ans.error);
          c.times.push(...ans.times);
          if (round === 0) c.firstMs = ans.firstCallMs;
          if (ans.note) res.notes = [res.notes, `${id}: ${ans.note}`].filter(Boolean).join('; ');
        } else {
          await r.enter?.();
          try {
            const o = r.slow ? slowOpts : baseOpts;
            const { times, firstMs } = await timeIt(r.fn, round === 0 || r.slow ? o : { ...o, ...laterRounds });
            c.times.push(...times);
            if (round === 0) {
              c.firstMs = firstMs;
              outputs[id] = r.output();
            }
          } finally {
            r.leave?.();
          }
        }
      } catch (e) {
        c.error = e.message.split('\n')[0];
      }
      await settle(20); // the previous system's garbage collected, its threads idle (bench/README.md)
    }
  }
  for (const id of ['tf', 'torch']) {
    const r = runners[id];
    if (!r) continue;
    if (!collected[id].error) {
      try {
        const b = readFileSync(r.yf);
        outputs[id] = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      } catch (e) {
        collected[id].error = `no output file: ${e.message}`;
      }
    }
    rmSync(r.yf, { force: true });
    if (r.forget) await r.remote.request({ cmd: 'forget' }).catch(() => {});
  }
  for (const f of remoteFiles) rmSync(f, { force: true });

  for (const id of order) {
    const c = collected[id];
    if (c.error) {
      res.systems[id] = { error: c.error };
      ctx.failures.push(`${L.name}: ${id} failed: ${c.error}`);
    } else res.systems[id] = { ...stats(c.times, L.flops), firstCallMs: c.firstMs };
  }

  checkOutputs(ctx, L, res, runners, outputs);
  for (const r of Object.values(runners)) r.dispose?.();
  res.ratios = ratios(ctx, res);
  return res;
}

/**
 * Every output against deconv's reference output (oneDNN's NCHW plan, else cuDNN, else ts);
 * channels-last systems against deconv's channels-last plan (itself checked against the NCHW one).
 */
function checkOutputs(ctx, L, res, runners, outputs) {
  const refId = ['onednn-plan', 'cudnn', 'ts'].find((id) => outputs[id]);
  if (!refId) return;
  const ref = outputs[refId];
  const check = (id, data, against, againstId) => {
    if (!data) return;
    const d = relDiff(data, against);
    const ok = d.rel <= TOLERANCE;
    res.checks[id] = { against: againstId, rel: d.rel, ok };
    if (!ok) ctx.failures.push(`${L.name}: ${id} output differs from ${againstId}: max|diff|/max|ref| = ${d.rel.toExponential(2)} > ${TOLERANCE}${d.note ? ` (${d.note})` : ''}`);
  };
  for (const id of Object.keys(outputs)) {
    if (id === refId || runners[id]?.nhwc) continue;
    check(id, outputs[id], ref, refId);
  }
  const nhwcIds = Object.keys(outputs).filter((id) => runners[id]?.nhwc);
  if (!nhwcIds.length) return;
  const refNhwc = toChannelsLast(ref, L.yShape);
  check('onednn-nhwc-plan', outputs['onednn-nhwc-plan'], refNhwc, `${refId} (transposed to channels last)`);
  const nhwcRef = outputs['onednn-nhwc-plan'] ? ['onednn-nhwc-plan', outputs['onednn-nhwc-plan']] : [`${refId} (transposed)`, refNhwc];
  for (const id of nhwcIds) if (id !== 'onednn-nhwc-plan') check(id, outputs[id], nhwcRef[1], nhwcRef[0]);
}

/** Peer time / deconv time for every peer that ran (> 1: deconv is faster), with what it was divided by. */
function ratios(ctx, res) {
  const med = (id) => {
    const s = res.systems[id];
    return s && !s.error ? s.medianMs : undefined;
  };
  const out = {};
  for (const peer of ['ort', 'tf', 'tfjs-cpu', 'tfjs-wasm', 'torch']) {
    if (!med(peer)) continue;
    const base = ratioBases(peer, { torchDevice: ctx.peers.torch?.device }).find((id) => med(id));
    if (base) out[peer] = { against: base, value: med(peer) / med(base) };
  }
  // Extra pairs: the plain per-call path against the plan, the reference against tfjs's CPU
  // backend (both plain JavaScript on one thread), TF against deconv's NCHW plan.
  if (med('onednn-call') && med('onednn-plan')) out.callOverPlan = { against: 'onednn-plan', value: med('onednn-call') / med('onednn-plan') };
  if (med('tfjs-cpu') && med('ts')) out.tfjsCpuOverTs = { against: 'ts', value: med('tfjs-cpu') / med('ts') };
  if (med('tf') && med('onednn-plan')) out.tfOverNchwPlan = { against: 'onednn-plan', value: med('tf') / med('onednn-plan') };
  return out;
}
