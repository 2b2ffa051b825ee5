// The machine's fp32 peak: bench/peak/fma.c (a register-resident FMA loop, OpenMP) compiled into
// bench/out/, or, without a compiler, an estimate from the clock and the vector width.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function cpuModel() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /model name\s*:\s*(.*)/.exec(info)?.[1]?.trim();
    const flags = /flags\s*:\s*(.*)/.exec(info)?.[1]?.split(/\s+/) ?? [];
    const mhz = Number(/cpu MHz\s*:\s*([\d.]+)/.exec(info)?.[1]);
    return { model: model ?? os.cpus()[0]?.model, flags, mhz, simd: ['avx512f', 'avx2', 'fma'].filter((f) => flags.includes(f)) };
  } catch {
    return { model: os.cpus()[0]?.model, flags: [], mhz: os.cpus()[0]?.speed, simd: [] };
  }
}

export function measurePeak({ benchDir, outDir, threads, seconds, cpu }) {
  const src = path.join(benchDir, 'peak', 'fma.c');
  const exe = path.join(outDir, 'fma');
  const cc = process.env.CC ?? 'cc';
  const build = spawnSync(cc, ['-O2', '-march=native', '-fopenmp', src, '-o', exe], { encoding: 'utf8' });
  if (build.status !== 0 || build.error) {
    // No compiler: a nominal figure from the clock and the vector width, not a measurement.
    const flopsPerCycle = cpu.flags.includes('avx512f') ? 64 : cpu.flags.includes('fma') ? 32 : 8;
    const ghz = (cpu.mhz || 2000) / 1000;
    return {
      measured: false,
      reason: `could not compile bench/peak/fma.c with ${cc}: ${(build.error?.message ?? build.stderr ?? '').trim().split('\n')[0]}`,
      threads1: ghz * flopsPerCycle,
      threadsN: ghz * flopsPerCycle * threads,
      note: `estimate: ${ghz.toFixed(2)} GHz × ${flopsPerCycle} flop/cycle (2 FMA pipes × ${flopsPerCycle / 4} lanes × 2) × cores`,
    };
  }
  const r = spawnSync(exe, [String(threads), String(seconds)], { encoding: 'utf8', env: { ...process.env, OMP_PROC_BIND: 'false' } });
  if (r.status !== 0) return { measured: false, reason: `bench/out/fma failed: ${r.stderr}` };
  return { measured: true, exe, ...JSON.parse(r.stdout.trim()) };
}

/**
 * The load-fed FMA probe (bench/peak/fma.c --loaded: the FMAs of a GEMM-like inner kernel, fed by
 * loads from the L1 cache) on `threads` threads for about `seconds`: GFLOP/s, or undefined where
 * the peak program was not built. Run next to each layer, it shows when another tenant of the
 * same cores slowed every load-fed kernel (the register-only peak does not see that).
 */
export function measureLoaded(exe, threads, seconds) {
  if (!exe) return undefined;
  const r = spawnSync(exe, ['--loaded', String(threads), String(seconds)], { encoding: 'utf8', env: { ...process.env, OMP_PROC_BIND: 'false' } });
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout.trim()).loadedN;
  } catch {
    return undefined;
  }
}

/** The best of the start and end measurements (other load only ever lowers it), and the figure % peak uses. */
export function combinePeaks(start, end, threads) {
  const peak = { ...start };
  if (end.measured && start.measured) {
    peak.threads1 = Math.max(start.threads1, end.threads1);
    peak.threadsN = Math.max(start.threadsN, end.threadsN);
    peak.runs = [start, end].map(({ threads1, threadsN }) => ({ threads1, threadsN }));
  }
  if (peak.measured && peak.threadsN < 0.9 * peak.threads1 * threads) {
    peak.used = peak.threads1 * threads;
    peak.usedNote = `1-thread peak × ${threads}: the ${threads}-thread run reached only ${peak.threadsN.toFixed(1)}, disturbed by other load on these cores`;
  } else {
    peak.used = peak.threadsN;
    peak.usedNote = peak.measured ? `measured on ${threads} threads` : 'estimate';
  }
  return peak;
}
