/**
 * The bad-input battery (test/helpers/battery-cases.mjs): thousands of calls generated over every
 * public function and argument, run in a child process per backend against the built package, so
 * that a crash fails these tests rather than the runner. Every bad call must be refused with the
 * expected TypeError or RangeError (async ones by rejecting), its message must name the op and
 * the argument, and no tensor the caller passed may have changed. Controls (unusual but valid
 * calls) must work.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendsUnderTest } from './helpers/backends.js';
import { DEVICE_TENSORS_PENDING } from './helpers/battery-cases.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const child = join(root, 'test/helpers/battery-child.mjs');
const built = existsSync(join(root, 'dist/esm/index.js'));

interface Outcome {
  id: string;
  expected: 'TypeError' | 'RangeError' | 'Error' | 'ok';
  mentions?: string[];
  async?: boolean;
  how: 'threw' | 'rejected' | 'returned' | 'resolved';
  name?: string;
  message?: string;
  corrupted?: string[];
}

interface Run {
  outcomes: Outcome[];
  crashed?: string;
}

function runChild(backend: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [child, backend], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('close', (code, signal) => {
      const records = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Outcome & { begin?: string; done?: boolean });
      const outcomes = records.filter((r) => r.id !== undefined);
      const done = records.some((r) => r.done);
      let crashed: string | undefined;
      if (code !== 0 || !done) {
        const begun = records.filter((r) => r.begin !== undefined).pop()?.begin;
        crashed = `the battery child exited with ${signal ?? `code ${code}`} during "${begun}": ${stderr.slice(-2000)}`;
      }
      resolve({ outcomes, crashed });
    });
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What is wrong with one outcome (empty: nothing). */
function problems(o: Outcome): string[] {
  if (o.expected === 'ok') return o.how === 'returned' ? [] : [`a valid call failed: ${o.name}: ${o.message}`];
  const found: string[] = [];
  if (o.name !== o.expected) found.push(`expected a ${o.expected}, got ${o.how === 'returned' || o.how === 'resolved' ? 'no error' : o.name}`);
  if (o.async && o.how !== 'rejected') found.push(`an async call must reject, but it ${o.how}`);
  if (!o.async && o.how !== 'threw') found.push(`a sync call must throw, but it ${o.how}`);
  for (const m of o.mentions ?? []) {
    if (!new RegExp(`(^|[^A-Za-z0-9_])${escape(m)}`).test(o.message ?? '')) found.push(`the message does not name ${m}`);
  }
  if (o.corrupted?.length) found.push(`the caller's data changed: ${o.corrupted.join(', ')}`);
  return found.map((p) => `${o.id}: ${p}${o.message ? ` (message: ${o.message})` : ''}`);
}

const group = (id: string) => (id.includes(':') ? id.slice(0, id.indexOf(':')) : id.split('(')[0]!);

describe.runIf(built)('the bad-input battery', () => {
  if (!built) console.warn('[deconv tests] battery.test.ts skipped: dist/ is missing (run `npm run build`; npm test does)');
  console.warn(`[deconv tests] battery: ${DEVICE_TENSORS_PENDING}`);
  const runs = new Map<string, Run>();
  const backends = backendsUnderTest();

  beforeAll(async () => {
    // One child per backend, one after another (the machine may have few cores).
    for (const backend of backends) runs.set(backend, await runChild(backend));
  }, 120_000);

  it('a crash in the child fails the battery and names the case that crashed', async () => {
    const id = 'conv2dTranspose: filters is a Buffer as data';
    const run = await runChild('ts', { DECONV_BATTERY_CRASH_AT: id });
    expect(run.crashed).toMatch(/SIGABRT|code/);
    expect(run.crashed).toContain(id);
  });

  describe.each(backends)('on %s', (backend) => {
    it('runs to the end without crashing, over at least 200 cases', () => {
      const run = runs.get(backend)!;
      expect(run.crashed).toBeUndefined();
      expect(run.outcomes.filter((o) => o.expected !== 'ok').length).toBeGreaterThanOrEqual(200);
    });

    const groups = [
      'conv1dTranspose', 'conv1dTranspose (async)', 'conv1dTranspose (plan)',
      'conv2dTranspose', 'conv2dTranspose (async)', 'conv2dTranspose (plan)',
      'conv3dTranspose', 'conv3dTranspose (async)', 'conv3dTranspose (plan)',
      'convTranspose', 'convTranspose (async)', 'convTranspose (plan)',
      'ConvTransposePlan.run', 'ConvTransposePlan.runAsync', 'tensor', 'Tensor', 'setNumThreads', 'setPlanCacheCapacity',
      'disposed device tensor',
    ];
    it.each(groups)('%s: every bad call is refused, naming the argument, with the data intact', (name) => {
      const mine = runs.get(backend)!.outcomes.filter((o) => o.expected !== 'ok' && group(o.id) === name);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.flatMap(problems)).toEqual([]);
    });

    it('every case belongs to a checked group', () => {
      const unknown = runs.get(backend)!.outcomes.filter((o) => o.expected !== 'ok' && !groups.includes(group(o.id)));
      expect(unknown.map((o) => o.id)).toEqual([]);
    });

    it('unusual but valid calls work (NaN data, offsets, shared memory, detached after an async call)', () => {
      const controls = runs.get(backend)!.outcomes.filter((o) => o.expected === 'ok');
      expect(controls.length).toBeGreaterThanOrEqual(5);
      expect(controls.flatMap(problems)).toEqual([]);
    });
  });
});
