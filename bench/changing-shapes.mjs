// The cost of a workload whose shapes change on every call (a vocoder / iSTFT synthesis filter:
// the suite's 1d-istft layer with T frames varying on each call), against the same calls at one
// fixed shape, once warm. Target: at most 2× the fixed-shape cost.
//
//   node bench/changing-shapes.mjs [--backend onednn] [--calls 60]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededValues } from '../scripts/lib/seeded-tensor.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const d = await import(join(root, 'dist/esm/index.js'));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const backend = option('backend', 'onednn');
const calls = Number(option('calls', '60'));

const layer = JSON.parse(readFileSync(join(root, 'bench/suite.json'), 'utf8')).layers.find((l) => l.name === '1d-istft-T224');
const [N, C] = layer.x;
// Values in [-0.5, 0.5): the shared seeded generator's, halved.
const random = (n, seed) => seededValues(n, seed).map((v) => v * 0.5);
const W = { shape: layer.w, data: random(layer.w.reduce((a, b) => a * b, 1), 1) };
const attrs = { strides: layer.strides, pads: layer.pads, backend };
const frames = Array.from({ length: calls }, (_, i) => 224 + Math.floor(((i * 7919) % 4777))); // 224..5000, all different
const inputs = new Map(frames.map((t) => [t, { shape: [N, C, t], data: random(N * C * t, t) }]));

function timeCalls(list) {
  const start = performance.now();
  for (const t of list) d.convTranspose(inputs.get(t), W, null, attrs);
  return performance.now() - start;
}

// Fixed: the same mean amount of work, each call at one shape (the median T), once warm.
const fixedT = [...frames].sort((a, b) => a - b)[frames.length >> 1];
inputs.set(fixedT, inputs.get(fixedT) ?? { shape: [N, C, fixedT], data: random(N * C * fixedT, fixedT) });
timeCalls([fixedT, fixedT]);
const fixedPerFrame = timeCalls(new Array(calls).fill(fixedT)) / (calls * fixedT);
// Changing: a new T on every call (each a new problem for the plan cache). Warm = after the first.
timeCalls([frames[0]]);
const changing = timeCalls(frames.slice(1));
const work = frames.slice(1).reduce((a, b) => a + b, 0);
const ratio = changing / work / fixedPerFrame;
console.log(`backend ${backend}: ${calls - 1} calls with T = 224..5000 (all different) vs the same work at T = ${fixedT}`);
console.log(`  fixed shape:    ${(fixedPerFrame * 1000).toFixed(3)} µs per frame`);
console.log(`  changing shape: ${((changing / work) * 1000).toFixed(3)} µs per frame`);
console.log(`  ratio ${ratio.toFixed(2)}× (target ≤ 2×); plan cache ${JSON.stringify(d.planCacheStats())}`);
