/**
 * The device script's suites, as the GPU machine runs them: test/gpu/bundle.mjs turns the golden,
 * conformance and gradient suites into plain modules over dist/, and test/gpu/suites.mjs runs them
 * under test/gpu/vitest-shim.mjs in a child Node process (here on 'ts' and 'onednn'). A suite that
 * starts using a part of vitest the shim lacks, or a bundle that no longer builds, fails here
 * rather than on a lent GPU, where it once cost a run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const ready = existsSync(path.join(root, 'dist', 'esm', 'index.js'));
if (!ready) console.warn('[deconv tests] device-script bundles skipped: they import dist/, which `npm run build` makes');

describe.runIf(ready)('the device script\'s bundled suites', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'deconv-bundles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundle, and pass under the vitest shim', () => {
    const bundled = spawnSync(process.execPath, [path.join(root, 'test', 'gpu', 'bundle.mjs'), dir], { encoding: 'utf8', timeout: 120_000 });
    expect(bundled.status, bundled.stderr).toBe(0);
    const ran = spawnSync(process.execPath, [path.join(root, 'test', 'gpu', 'suites.mjs'), dir], { encoding: 'utf8', timeout: 300_000 });
    expect(ran.status, ran.stderr).toBe(0);
    const results: { bundle: string; passed: number; failed: number; failures: string[] }[] = JSON.parse(ran.stdout.trim().split('\n').pop()!);
    expect(results.map((r) => r.bundle)).toEqual(['golden', 'onnx', 'tensorflow', 'tfjs', 'golden-grad', 'gradients']);
    for (const r of results) {
      expect(r.failures, r.bundle).toEqual([]);
      expect(r.passed, r.bundle).toBeGreaterThan(0);
    }
  }, 400_000);
});
