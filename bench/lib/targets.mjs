// The benchmark's targets (issue 3), each checked against one run: met or missed, and by how much.
import { fmt, fmtRatio, prod } from './util.mjs';

// Compute-bound layers, for the % of peak target: enough work that a call's fixed costs are small
// (≥ 0.5 GFLOP), and enough arithmetic per byte that memory traffic need not limit it: ≥ 50 FLOP
// per byte of x, w and y each moved once. At the ~26 GB/s a plain copy reaches on this VM (numpy,
// read + write), 50 FLOP/byte keeps that traffic under 16% of the time at the 2-core FMA peak.
export const COMPUTE_BOUND = { minGflop: 0.5, minFlopPerByte: 50 };
export const PEAK_FRACTION = 0.7;

/** FLOP per byte of x, w and y (float32), each moved once. */
export function flopPerByte(r) {
  const bytes = 4 * (prod(r.onnx.x) + prod(r.onnx.w) + prod(r.onnx.y));
  return (r.gflop * 1e9) / bytes;
}

/** The faster of deconv's two oneDNN plans (NCHW, channels last) on a layer, or undefined. */
export function bestDeconvCpu(r) {
  return ['onednn-plan', 'onednn-nhwc-plan']
    .map((id) => (r.systems[id] && !r.systems[id].error ? { id, ...r.systems[id] } : undefined))
    .filter(Boolean)
    .sort((a, b) => b.gflops - a.gflops)[0];
}

/**
 * Every target with `met` (true, false, or undefined where this run has nothing to judge it by)
 * and a one-line `detail` that says by how much.
 */
export function checkTargets(results, summary, extras, peakGflops) {
  const targets = [];
  const add = (name, met, detail) => targets.push({ name, met, detail });

  for (const [peer, label] of [['tf', 'TensorFlow CPU'], ['ort', 'onnxruntime-node']]) {
    const g = summary.peers[peer];
    const misses = summary.slower.filter((s) => s.peer === peer);
    add(
      `≥ 1.0× ${label} on every layer`,
      g ? misses.length === 0 : undefined,
      !g ? `${label} did not run` : misses.length === 0 ? `met on all ${g.n} layers it ran` : `missed on ${misses.length} of ${g.n}: ${misses.map((s) => `${s.layer} ${fmtRatio(s.ratio)}`).join(', ')}`,
    );
  }
  const b = summary.bestPeer;
  add('≥ 1.5× the faster of TF and ORT (geometric mean over the suite)', b ? b.geomean >= 1.5 : undefined, b ? `${fmtRatio(b.geomean)} over ${b.n} layers` : 'neither peer ran');

  const bound = results.filter((r) => r.gflop >= COMPUTE_BOUND.minGflop && flopPerByte(r) >= COMPUTE_BOUND.minFlopPerByte);
  const measured = bound.map((r) => ({ r, best: bestDeconvCpu(r) })).filter((m) => m.best && peakGflops);
  const below = measured.filter((m) => m.best.gflops < PEAK_FRACTION * peakGflops);
  const pct = (m) => `${m.r.name} ${fmt((100 * m.best.gflops) / peakGflops, 1)}%`;
  const probes = results.flatMap((r) => (r.loadProbe ? [r.loadProbe.before, r.loadProbe.after] : [])).filter((v) => v !== undefined);
  const probeBest = probes.length ? Math.max(...probes) : undefined;
  // For a layer below the target: its fastest rep and the spread of its reps (the layer's own
  // noise), and the load-fed FMA probe around it against the probe's best in the run.
  const belowNote = (m) => {
    const notes = [];
    if (m.best.minMs) notes.push(`fastest rep ${fmt((100 * m.r.gflop * 1e3) / m.best.minMs / peakGflops, 1)}%`);
    if (m.best.spread !== undefined) notes.push(`spread ${fmt(100 * m.best.spread, 0)}%`);
    const p = m.r.loadProbe;
    if (p && probeBest && p.after !== undefined) {
      notes.push(`load-fed FMA probe around it ${fmt(p.before, 0)} / ${fmt(p.after, 0)} GFLOP/s, ${fmt((100 * Math.min(p.before, p.after)) / probeBest, 0)}% of its best in this run`);
    }
    return notes.length ? ` (${notes.join('; ')})` : '';
  };
  const pctBelow = (m) => `${pct(m)}${belowNote(m)}`;
  add(
    `≥ ${100 * PEAK_FRACTION}% of the fp32 peak on the compute-bound layers (≥ ${COMPUTE_BOUND.minGflop} GFLOP and ≥ ${COMPUTE_BOUND.minFlopPerByte} FLOP per byte of x, w and y)`,
    measured.length ? below.length === 0 : undefined,
    !measured.length
      ? 'no compute-bound layer ran on the oneDNN backend, or no peak was measured'
      : `${measured.length - below.length} of ${measured.length} at or above${below.length ? `; below: ${below.map(pctBelow).join(', ')}` : ''} (above: ${measured.filter((m) => !below.includes(m)).map(pct).join(', ') || 'none'})`,
  );

  const tiny = extras?.tiny?.onednnPlanRun;
  add('tiny-call sync overhead ≤ 5 µs (`plan.run`, preallocated out)', tiny ? tiny.usPerCall <= 5 : undefined, tiny ? `${fmt(tiny.usPerCall, 2)} µs per call` : 'not measured (--no-extras, or the tiny layer was not run)');

  const conc = extras?.concurrency;
  const runs = conc ? [conc.planRunAsync, conc.convTransposeAsync].filter(Boolean) : [];
  add(
    '8 concurrent async calls ≥ 0.9× the throughput of 8 sequential ones',
    runs.length ? runs.every((c) => c.ratio >= 0.9) : undefined,
    runs.length ? runs.map((c) => `${c.label} ${fmt(c.ratio, 3)}`).join(', ') : 'not measured',
  );

  const ch = extras?.changingShape?.onednnCall;
  const chRatio = ch ? ch.firstTotalMs / ch.secondTotalMs : undefined;
  add(
    'shapes changing on every call ≤ 2× the cost of shapes already seen',
    ch ? chRatio <= 2 : undefined,
    ch ? `${fmt(chRatio, 2)}× (${fmt(ch.firstTotalMs, 0)} ms with every shape new, ${fmt(ch.secondTotalMs, 0)} ms with every shape cached)` : 'not measured',
  );
  return targets;
}
