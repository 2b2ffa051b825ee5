/**
 * The demo: `deconv demo --out <temp dir>` (the built CLI, as `npm run demo` runs it) writes its
 * PNGs, report.html and demo.json; the checkerboard amplitudes are ordered as the theory says;
 * the backends agree. Also the demo's pieces on their own, on the reference backend.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../src/cli/png.js';
import { amplitude, checkerboard } from '../../src/cli/demo/checkerboard.js';
import { nearest, testScene, tile } from '../../src/cli/demo/image.js';
import { runDemo, textTable } from '../../src/cli/demo/run-demo.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = join(root, 'dist/esm/cli/bin.js');
const temps: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'deconv-demo-test-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

interface DemoJson {
  ran: string[];
  maxDiff: number;
  checkerboard: { method: string; amplitude: number }[];
  upsample: { factor: number; backend: string; maxDiff: number }[];
  files: string[];
}

function checkOutputs(out: string): DemoJson {
  const json = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as DemoJson;
  const sizes: Record<string, [number, number]> = { 'upsample.png': [3 * 256 + 4 * 6, 256 + 2 * 6], 'checkerboard.png': [3 * 256 + 4 * 8, 256 + 2 * 8], 'dcgan-grid.png': [4 * 128 + 5 * 4, 4 * 128 + 5 * 4] };
  for (const [file, [w, h]] of Object.entries(sizes)) {
    const png = decodePng(readFileSync(join(out, file)));
    expect([png.width, png.height], file).toEqual([w, h]);
    expect(new Set(png.rgb).size, `${file} is not blank`).toBeGreaterThan(2);
  }
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const f of Object.keys(sizes)) expect(html).toContain(`src="${f}"`);
  expect(html).toMatch(/<table>[\s\S]*max diff vs ts/);
  return json;
}

function checkAmplitudes(cb: { method: string; amplitude: number }[]): void {
  const a = Object.fromEntries(cb.map((c) => [c.method, c.amplitude]));
  expect(a.k3s2!).toBeGreaterThan(a.k4s2!);
  expect(a.k4s2!).toBeGreaterThan(a['resize-conv']!);
  expect(a.k3s2!).toBeGreaterThan(0.5); // a visible checkerboard
  expect(a.k4s2!).toBeGreaterThan(0.05);
  expect(a['resize-conv']!).toBeLessThan(1e-5); // flat
}

describe('deconv demo (the built CLI)', () => {
  it.runIf(existsSync(bin))('writes the PNGs, the report and the table; backends agree; amplitudes ordered', () => {
    const out = temp();
    const stdout = execFileSync(process.execPath, [bin, 'demo', '--out', out], { encoding: 'utf8' });
    expect(stdout).toMatch(/backend\s+upsample ×2\s+upsample ×4\s+DCGAN L1/);
    expect(stdout).toMatch(/^ts\s+[\d.]+/m);
    expect(stdout).toMatch(/backend\(s\) agree/);
    const json = checkOutputs(out);
    expect(json.ran[0]).toBe('ts');
    expect(json.maxDiff).toBeLessThan(1e-4);
    checkAmplitudes(json.checkerboard);
  });
  it('is built (npm test builds dist/ first)', () => {
    if (!existsSync(bin)) console.warn('dist/esm/cli/bin.js is missing: run `npm run build` to test the CLI itself');
    expect(existsSync(bin) || process.env.CI !== 'true').toBe(true);
  });
});

describe('the demo on the reference backend alone (no addon needed)', () => {
  it('runs and writes every file', () => {
    const out = temp();
    const r = runDemo({ out, backends: ['ts'] });
    expect(r.ran).toEqual(['ts']);
    expect(r.files).toEqual(['upsample.png', 'checkerboard.png', 'dcgan-grid.png', 'report.html', 'demo.json']);
    checkOutputs(out);
    expect(textTable(r).split('\n')).toHaveLength(3);
  });
});

describe('checkerboard', () => {
  it('orders the artifacts k3s2 > k4s2 > resize-conv for several kernel seeds', () => {
    for (const seed of [1, 7, 42, 1234]) checkAmplitudes(checkerboard('ts', 16, seed));
  });
  it('amplitude is (max − min) / mean over the interior', () => {
    const v = new Float32Array(16).fill(1);
    v[5] = 2; // interior of a 4×4 map with a border of 1: pixels 5, 6, 9, 10
    v[0] = 100; // border: ignored
    expect(amplitude(v, 4, 1)).toBeCloseTo(1 / 1.25);
  });
});

describe('images', () => {
  it('the test scene has colour and detail; nearest and tile have the expected sizes', () => {
    const s = testScene(32);
    expect(s.data.length).toBe(32 * 32 * 3);
    expect(Math.min(...s.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...s.data)).toBeLessThanOrEqual(1);
    expect(new Set(Array.from(s.data, (v) => v.toFixed(2))).size).toBeGreaterThan(50);
    const n = nearest(s, 3);
    expect([n.width, n.height]).toEqual([96, 96]);
    expect(Array.from(n.data.subarray(0, 3))).toEqual(Array.from(n.data.subarray(6, 9)));
    const t = tile([s, s, s], 2, 4);
    expect([t.width, t.height]).toEqual([2 * 36 + 4, 2 * 36 + 4]);
  });
});
