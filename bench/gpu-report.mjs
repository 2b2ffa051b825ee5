#!/usr/bin/env node
// Joins bench/gpu.mjs's and bench/gpu_torch.py's results into the markdown table committed as
// bench/results/gpu-<device>.md.
//
//   node bench/gpu-report.mjs <deconv.json> <torch.json> <nvidia-smi.txt> <out.md>
import { readFileSync, writeFileSync } from 'node:fs';

const [ours, theirs] = [process.argv[2], process.argv[3]].map((f) => JSON.parse(readFileSync(f, 'utf8')));
const smi = (() => {
  try {
    return readFileSync(process.argv[4], 'utf8');
  } catch {
    return '';
  }
})();
const driver = /Driver Version:\s*([\d.]+)/.exec(smi)?.[1] ?? 'unknown';
// Dense bf16 tensor-core peak (NVIDIA's data sheets, SXM parts): H100 and H200 share 989 TFLOP/s.
const BF16_PEAK = /H100|H200/.test(ours.device?.name ?? '') ? 989 : undefined;
const MODES = ['fp32', 'tf32', 'bf16'];
const torchByName = new Map(theirs.layers.map((l) => [l.name, l]));

const fmt = (v, digits = 3) => (v === undefined ? '—' : v < 0.01 ? v.toExponential(2) : v.toFixed(digits));
const lines = [];
lines.push(`# GPU benchmark: deconv (cuDNN backend) vs PyTorch, ${ours.device?.name}`);
lines.push('');
lines.push(`- Device: ${ours.device?.name} (compute capability ${ours.device?.computeCapability}, ${(ours.device?.totalMemory / 2 ** 30).toFixed(0)} GiB), driver ${driver} (CUDA ${(ours.driverCudaVersion / 1000).toFixed(1)})`);
lines.push(`- deconv: cuDNN ${ours.cudnn} (loaded at run time), plans with device tensors, algorithms timed once (benchmark: true)`);
lines.push(`- PyTorch ${theirs.torch}, cuDNN ${theirs.cudnn}, CUDA ${theirs.cuda}, torch.backends.cudnn.benchmark = True`);
lines.push('- Same layers (bench/suite.json), shapes, dtypes and device, in one run. Device ms: CUDA events around back-to-back');
lines.push('  calls, median of 5. Speedup = torch ms / deconv ms (above 1: deconv faster). Call ms: wall clock per call from');
lines.push('  JS / Python including host overhead. Commands: `bash test/gpu/run.sh` on the GPU machine (see test/gpu/README.md).');
lines.push('- Torch ms is PyTorch computing the same numbers as deconv and TF. For TF-SAME layers whose padding is');
lines.push('  asymmetric (begin < end; marked *) that is padding = begin and a crop, made contiguous; the symmetric');
lines.push('  stand-in PyTorch ports often use instead (padding = end, output_padding = end − begin) shifts every output');
lines.push('  by one position, and its times are listed after the table.');
lines.push('');
lines.push(`| layer | GFLOP | ${MODES.map((m) => `${m} deconv ms | ${m} torch ms | ${m} speedup`).join(' | ')} | bf16 TFLOP/s | call ms deconv / torch (fp32) |`);
lines.push(`| --- | ---: | ${MODES.map(() => '---: | ---: | ---:').join(' | ')} | ---: | ---: |`);
const speedups = Object.fromEntries(MODES.map((m) => [m, []]));
const misses = [];
const shifted = [];
for (const layer of ours.layers) {
  const t = torchByName.get(layer.name);
  const cells = [];
  const asymmetric = MODES.some((m) => t?.modes[m]?.exact);
  for (const m of MODES) {
    const a = layer.modes[m];
    // The same numbers: the exact form where the layer has one, else the plain call.
    const b = t?.modes[m]?.exact ?? t?.modes[m];
    const stand = t?.modes[m]?.exact ? t.modes[m] : undefined;
    if (stand?.deviceMs && a?.deviceMs) shifted.push(`${layer.name} ${m} ${fmt(stand.deviceMs, 4)} ms (${(stand.deviceMs / a.deviceMs).toFixed(2)}×)`);
    const ratio = a?.deviceMs && b?.deviceMs ? b.deviceMs / a.deviceMs : undefined;
    if (ratio) {
      speedups[m].push(ratio);
      if (ratio < 1) misses.push(`${layer.name} ${m} ${ratio.toFixed(2)}×`);
    }
    cells.push(a?.error ? `error: ${a.error.slice(0, 60)}` : fmt(a?.deviceMs, 4), b?.error ? `error: ${b.error.slice(0, 60)}` : fmt(b?.deviceMs, 4), ratio ? `${ratio.toFixed(2)}×` : '—');
  }
  const bf16 = layer.modes.bf16?.deviceMs;
  const tflops = bf16 ? layer.gflop / bf16 : undefined;
  const peak = tflops && BF16_PEAK ? ` (${((100 * tflops) / BF16_PEAK).toFixed(0)} %)` : '';
  const call = `${fmt(layer.modes.fp32?.callMs, 4)} / ${fmt(t?.modes.fp32?.callMs, 4)}`;
  lines.push(`| ${layer.name}${asymmetric ? ' *' : ''} | ${layer.gflop.toFixed(3)} | ${cells.join(' | ')} | ${tflops ? tflops.toFixed(1) : '—'}${peak} | ${call} |`);
}
const geomean = (v) => (v.length ? Math.exp(v.reduce((a, b) => a + Math.log(b), 0) / v.length) : NaN);
lines.push('');
lines.push(`Geometric mean speedup: ${MODES.map((m) => `${m} ${geomean(speedups[m]).toFixed(2)}× (${speedups[m].length} layers)`).join(', ')}.`);
lines.push('');
lines.push(misses.length ? `Layers below 1.0×: ${misses.join(', ')}.` : 'No layer below 1.0×.');
if (shifted.length) lines.push(`\nPyTorch's shifted symmetric stand-in (* layers; different numbers), its ms and torch ms / deconv ms: ${shifted.join(', ')}.`);
if (BF16_PEAK) lines.push(`\nbf16 % of peak uses ${BF16_PEAK} TFLOP/s, the dense bf16 tensor-core peak of the H100/H200 SXM.`);
writeFileSync(process.argv[5], `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
