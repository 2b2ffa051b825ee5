/**
 * The benchmark's machinery (bench/lib): choosing layers, summarizing, the flat rows; and one
 * small `deconv bench` run through the built CLI that checks the shape of what it writes (no
 * timing is asserted: performance lives in the benchmark itself).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain .mjs modules without type declarations
import { loadSuite, QUICK_LAYERS, selectLayers, SUITES, withBatch } from '../../bench/lib/layers.mjs';
// @ts-expect-error: plain .mjs modules without type declarations
import { rows, summarize } from '../../bench/lib/runner.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const suite = loadSuite(join(root, 'bench/suite.json'));
type L = { name: string; suite: string; xShape: number[]; yShape: number[]; gflop: number; tf: { padding?: unknown; skip?: string } };

describe('selectLayers', () => {
  it('bench/suite.json is the shared suite, and every suite has layers', () => {
    const shared = join(root, '../shared/bench-suite.json');
    if (existsSync(shared)) expect(readFileSync(join(root, 'bench/suite.json'), 'utf8')).toBe(readFileSync(shared, 'utf8'));
    else console.warn('../shared/bench-suite.json is not next to this checkout: comparing with it skipped');
    for (const s of SUITES) expect(selectLayers(suite, { suites: [s] }).length, s).toBeGreaterThan(0);
  });
  it('--quick takes one layer per suite; --layers wins over --suite; unknown names are RangeErrors', () => {
    const quick: L[] = selectLayers(suite, { quick: true });
    expect(quick.map((l) => l.name).sort()).toEqual([...QUICK_LAYERS].sort());
    expect(new Set(quick.map((l) => l.suite)).size).toBe(SUITES.length);
    expect(selectLayers(suite, { suites: ['dcgan'], layers: ['unet-2-b1'] }).map((l: L) => l.name)).toEqual(['unet-2-b1']);
    expect(() => selectLayers(suite, { suites: ['nope'] })).toThrow(/--suite: unknown suite 'nope'/);
    expect(() => selectLayers(suite, { layers: ['nope'] })).toThrow(/--layers: no layer 'nope'/);
  });
  it('--batch sets N everywhere (the TF output shape too), renames, drops duplicates', () => {
    const dc: L[] = selectLayers(suite, { suites: ['dcgan'], batch: 8 });
    expect(dc.map((l) => l.name)).toEqual(['dcgan-g1-b8', 'dcgan-g2-b8', 'dcgan-g3-b8', 'dcgan-g4-b8', 'dcgan-g5-b8']);
    for (const l of dc) expect([l.xShape[0], l.yShape[0]]).toEqual([8, 8]);
    const radford = withBatch(suite.layers.find((l: { name: string }) => l.name === 'radford-1-b16'), 2);
    expect(radford.tfSame.outputShape).toEqual([2, 8, 8, 512]);
  });
});

describe('summarize and rows', () => {
  const results = [
    { name: 'a', suite: 's', gflop: 1, systems: { 'onednn-plan': { medianMs: 10, gflops: 100 }, ort: { medianMs: 20, gflops: 50 } }, skipped: { torch: 'no torch' }, checks: { ort: { rel: 1e-7, ok: true } }, ratios: { ort: { against: 'onednn-plan', value: 2 } }, onednnImpl: 'x' },
    { name: 'b', suite: 's', gflop: 1, systems: { 'onednn-plan': { medianMs: 10, gflops: 100 }, ort: { medianMs: 5, gflops: 200 }, tf: { error: 'boom' } }, skipped: {}, checks: {}, ratios: { ort: { against: 'onednn-plan', value: 0.5 } }, onednnImpl: 'y' },
  ];
  it('geometric means per peer, and the layers where deconv is slower', () => {
    const s = summarize(results);
    expect(s.peers.ort.geomean).toBeCloseTo(1);
    expect(s.peers.ort).toMatchObject({ n: 2, against: ['onednn-plan'] });
    expect(s.slower).toEqual([expect.objectContaining({ layer: 'b', peer: 'ort', ratio: 0.5, impl: 'y' })]);
  });
  it('one row per layer and system: ok with ratio and % peak, skipped and failed with the reason', () => {
    const r = rows(results, 200);
    expect(r).toContainEqual(expect.objectContaining({ layer: 'a', system: 'ort', status: 'ok', medianMs: 20, pctPeak: 25, ratioToDeconv: 2, ratioAgainst: 'onednn-plan', maxDiff: 1e-7 }));
    expect(r).toContainEqual(expect.objectContaining({ layer: 'a', system: 'torch', status: 'skipped', reason: 'no torch' }));
    expect(r).toContainEqual(expect.objectContaining({ layer: 'b', system: 'tf', status: 'failed', reason: 'boom' }));
    expect(r).toHaveLength(6);
  });
});

describe('deconv bench (the built CLI, a small run)', () => {
  const bin = join(root, 'dist/esm/cli/bin.js');
  const dir = mkdtempSync(join(tmpdir(), 'deconv-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it.runIf(existsSync(bin))('writes JSON rows with ratios, lists a missing peer as skipped, draws the chart', () => {
    const args = [bin, 'bench', '--layers', 'fsrcnn-x4,tiny-overhead', '--backends', 'ts', '--peers', 'tfjs-cpu,torch', '--no-extras', '--target', '0.05', '--python', join(dir, 'no-python'), '--json', join(dir, 'r.json'), '--md', join(dir, 'r.md'), '--chart', join(dir, 'r.svg')];
    execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    const row = (layer: string, system: string) => report.rows.find((r: { layer: string; system: string }) => r.layer === layer && r.system === system);
    expect(row('fsrcnn-x4', 'ts')).toMatchObject({ status: 'ok' });
    expect(row('fsrcnn-x4', 'ts').gflops).toBeGreaterThan(0);
    expect(row('fsrcnn-x4', 'tfjs-cpu')).toMatchObject({ status: 'ok', ratioAgainst: 'ts' });
    expect(row('fsrcnn-x4', 'tfjs-cpu').ratioToDeconv).toBeGreaterThan(0);
    expect(row('fsrcnn-x4', 'tfjs-cpu').maxDiff).toBeLessThan(1e-3);
    const torch = row('fsrcnn-x4', 'torch');
    if (torch.status === 'skipped') expect(torch.reason).toMatch(/import torch/);
    else expect(torch.status).toBe('ok');
    expect(report.meta.peers.tf).toEqual({ available: false, reason: 'not requested (--peers)' });
    expect(report.failures).toEqual([]);
    expect(readFileSync(join(dir, 'r.md'), 'utf8')).toMatch(/## Summary[\s\S]*tfjs-cpu \/ deconv[\s\S]*Skipped/);
    expect(readFileSync(join(dir, 'r.svg'), 'utf8')).toContain('fsrcnn-x4, TensorFlow.js cpu');
  });
});
