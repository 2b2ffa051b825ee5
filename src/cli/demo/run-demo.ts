/**
 * The demo: upsampling on every available backend, the checkerboard figure, the DCGAN generator;
 * writes the PNGs, report.html and demo.json into the output folder and returns what it found.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { backends } from '../../backends/registry.js';
import type { BackendName } from '../../backends/types.js';
import { writePng } from '../png.js';
import { packageVersion } from '../paths.js';
import { checkerboard, type CheckerboardResult } from './checkerboard.js';
import { BATCH, generatorImages, latents, makeGenerator, runGenerator, type GeneratorRun } from './dcgan.js';
import { htmlReport } from './html-report.js';
import { greyImage, nearest, testScene, tile, toBytes, type Image } from './image.js';
import { maxRelDiff } from './timing.js';
import { upsample, type UpsampleRun } from './upsample.js';

export interface DemoOptions {
  out: string;
  /** Backends to run (default: every available one). */
  backends?: BackendName[];
  sceneSize?: number;
  log?: (line: string) => void;
}

export interface DemoResult {
  version: string;
  node: string;
  machine: string;
  date: string;
  backends: { name: string; available: boolean; reason?: string; version?: string }[];
  ran: BackendName[];
  scene: { width: number; height: number };
  upsample: { factor: number; backend: string; ms: number; maxDiff: number }[];
  checkerboard: CheckerboardResult[];
  checkerboardContrast: number;
  dcgan: { batch: number; runs: { backend: string; layerMs: number[]; totalMs: number; maxDiff: number }[] };
  maxDiff: number;
  reps: number;
  table: { columns: string[]; rows: { backend: string; cells: string[] }[] };
  files: string[];
}

/** Differences above this (relative to the largest value) mean a backend disagrees. */
export const AGREEMENT_TOLERANCE = 1e-4;
const CONTRAST = 0.5;

const fmtMs = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function runDemo(options: DemoOptions): DemoResult {
  const log = options.log ?? (() => {});
  const list = backends();
  const available = list.filter((b) => b.available).map((b) => b.name);
  const ran = (options.backends ?? available).filter((b) => available.includes(b));
  for (const b of options.backends ?? []) if (!available.includes(b)) log(`backend ${b} skipped: ${list.find((x) => x.name === b)?.reason ?? 'unknown'}`);
  // The reference first: every other backend is compared with it.
  const order: BackendName[] = ['ts', ...ran.filter((b) => b !== 'ts')];
  mkdirSync(options.out, { recursive: true });
  const files: string[] = [];
  const save = (name: string, img: Image): void => {
    writePng(join(options.out, name), img.width, img.height, toBytes(img));
    files.push(name);
  };

  // 1. Upsampling ×2 and ×4 on each backend.
  const scene = testScene(options.sceneSize ?? 64);
  const ups: UpsampleRun[] = [];
  for (const backend of order) for (const factor of [2, 4]) ups.push(upsample(scene, factor, backend));
  const refUp = (f: number): UpsampleRun => ups.find((u) => u.backend === 'ts' && u.factor === f)!;
  const upRows = ups.map((u) => ({ factor: u.factor, backend: u.backend, ms: u.ms, maxDiff: maxRelDiff(u.image.data, refUp(u.factor).image.data) }));
  const best = ups.filter((u) => u.backend === order[order.length - 1]);
  save('upsample.png', tile([nearest(scene, 4), nearest(best.find((u) => u.factor === 2)!.image, 2), best.find((u) => u.factor === 4)!.image], 3, 6));
  log(`upsampling: ${scene.width}×${scene.height} → ×2, ×4 on ${order.join(', ')}`);

  // 2. Checkerboard artifacts (on the fastest backend; the reference gives the same numbers).
  const cb = checkerboard(order[order.length - 1]);
  save('checkerboard.png', tile(cb.map((c) => nearest(greyImage(c.output, c.size, c.size, 1 - CONTRAST, 1 + CONTRAST), 8)), 3, 8));
  for (const c of cb) log(`checkerboard: ${c.title.padEnd(42)} amplitude ${c.amplitude.toFixed(3)}`);

  // 3. The DCGAN generator on each backend.
  const generator = makeGenerator();
  const z = latents();
  const runs: GeneratorRun[] = order.map((b) => runGenerator(generator, z, b));
  const refOut = runs[0]!.output.data;
  const ganRows = runs.map((r) => ({ backend: r.backend, layerMs: r.layerMs, totalMs: r.totalMs, maxDiff: maxRelDiff(r.output.data, refOut) }));
  save('dcgan-grid.png', tile(generatorImages(runs[runs.length - 1]!.output).map((i) => nearest(i, 2)), 4, 4));
  log(`DCGAN generator: batch ${BATCH}, 4×4 → 64×64, on ${order.join(', ')}`);

  // The table: backend, time per layer, max difference from the reference.
  const columns = ['upsample ×2', 'upsample ×4', ...generator.convs.map((_, i) => `DCGAN L${i + 1}`), 'DCGAN total', 'max diff vs ts'];
  const rows = order.map((backend) => {
    const u = (f: number): UpsampleRun => ups.find((x) => x.backend === backend && x.factor === f)!;
    const g = ganRows.find((r) => r.backend === backend)!;
    const diff = Math.max(g.maxDiff, ...upRows.filter((r) => r.backend === backend).map((r) => r.maxDiff));
    return { backend, cells: [fmtMs(u(2).ms), fmtMs(u(4).ms), ...g.layerMs.map(fmtMs), fmtMs(g.totalMs), backend === 'ts' ? 'reference' : diff.toExponential(1)] };
  });
  const maxDiff = Math.max(...upRows.map((r) => r.maxDiff), ...ganRows.map((r) => r.maxDiff));
  const result: DemoResult = {
    version: packageVersion(),
    node: process.version,
    machine: `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} logical CPUs)`,
    date: new Date().toISOString().slice(0, 10),
    backends: list.map((b) => ({ name: b.name, available: b.available, ...(b.reason ? { reason: b.reason } : {}), ...(b.version ? { version: b.version } : {}) })),
    ran: order,
    scene: { width: scene.width, height: scene.height },
    upsample: upRows,
    checkerboard: cb,
    checkerboardContrast: CONTRAST,
    dcgan: { batch: BATCH, runs: ganRows },
    maxDiff,
    reps: 3,
    table: { columns, rows },
    files,
  };
  writeFileSync(join(options.out, 'report.html'), htmlReport(result));
  files.push('report.html');
  const json = { ...result, checkerboard: cb.map(({ output: _output, ...rest }) => rest) };
  writeFileSync(join(options.out, 'demo.json'), JSON.stringify(json, null, 1) + '\n');
  files.push('demo.json');
  return result;
}

/** The table as aligned text columns. */
export function textTable(r: DemoResult): string {
  const head = ['backend', ...r.table.columns];
  const body = r.table.rows.map((row) => [row.backend, ...row.cells]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
