/**
 * The cuDNN backend's training kernels (native/cudnn/kernels/training.cu) on a machine without a
 * GPU: their arithmetic, compiled as host C++ and checked against double-precision formulas, and
 * the embedded PTX made from the source as it stands. The device script runs the PTX itself
 * (test/gpu/training.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentSourceHash, recordedSourceHash } from '../scripts/gen-kernels.mjs';

const root = path.resolve(__dirname, '..');
const kernels = path.join(root, 'native', 'cudnn', 'kernels');
const compiler = process.env.CXX ?? 'g++';
const hasCompiler = spawnSync(compiler, ['--version']).status === 0;
if (!hasCompiler) console.warn(`[deconv tests] training kernel emulation skipped: no C++ compiler (${compiler})`);

describe('training kernels', () => {
  it('the embedded PTX was generated from training.cu as it stands (node scripts/gen-kernels.mjs)', () => {
    expect(recordedSourceHash()).toBe(currentSourceHash());
    const ptx = readFileSync(path.join(kernels, 'training_ptx.inc'), 'utf8');
    expect(ptx).toMatch(/^\.version 7\.0$/m);
    for (const kernel of ['sgd', 'adam', 'activation_forward', 'activation_backward', 'batch_norm_forward', 'batch_norm_backward']) {
      for (const dtype of ['f32', 'f16', 'bf16']) expect(ptx).toContain(`.entry deconv_${kernel}_${dtype}(`);
    }
  });

  it.runIf(hasCompiler)('compute what their formulas say (compiled for the host, threads and barriers for blocks)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'deconv-kernels-'));
    try {
      const binary = path.join(dir, 'training_kernels_test');
      const build = spawnSync(compiler, ['-std=c++20', '-O1', '-pthread', '-Wall', '-Werror', path.join(kernels, 'training_kernels_test.cc'), '-o', binary], {
        encoding: 'utf8',
      });
      expect(build.status, build.stderr).toBe(0);
      const run = spawnSync(binary, [], { encoding: 'utf8', timeout: 60_000 });
      expect(run.stdout, run.stderr).toMatch(/^\d+ checks, 0 failures$/m);
      expect(run.status).toBe(0);
      expect(Number(/^(\d+) checks/m.exec(run.stdout)![1])).toBeGreaterThanOrEqual(50);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
