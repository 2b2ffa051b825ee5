/**
 * The package as a user gets it: the built dist/ loads through `import` and through `require`, both
 * expose the same API, and backends() reports every backend with a reason when unavailable.
 * (npm test builds dist/ before running vitest.)
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backends, conv2dTranspose, Tensor, tensor } from '../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function node(code: string, type: 'module' | 'commonjs'): string {
  const args = type === 'module' ? ['--input-type=module', '-e', code] : ['-e', code];
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim();
}

const PROGRAM = `
  const x = { shape: [1, 2, 2, 1], data: Float32Array.from([1, 2, 3, 4]) };
  const w = { shape: [2, 2, 1, 1], data: Float32Array.from([1, 1, 1, 1]) };
  const y = d.conv2dTranspose(x, w, [1, 4, 4, 1], 2, 'VALID', { backend: 'ts' });
  console.log(JSON.stringify({ keys: Object.keys(d).sort(), shape: y.shape, sum: y.data.reduce((a, b) => a + b, 0), dtype: y.dtype }));
`;

describe('the built package', () => {
  it.runIf(existsSync(join(root, 'dist/esm/index.js')))('loads with import and with require, with the same API', () => {
    const esm = JSON.parse(node(`import * as d from 'deconv'; ${PROGRAM}`, 'module'));
    const cjs = JSON.parse(node(`const d = require('deconv'); ${PROGRAM}`, 'commonjs'));
    expect(esm.shape).toEqual([1, 4, 4, 1]);
    expect(esm.sum).toBe(40); // each input value lands on 4 outputs
    expect(esm.dtype).toBe('float32');
    expect(cjs).toEqual(esm);
    expect(esm.keys).toEqual(expect.arrayContaining(['conv1dTranspose', 'conv2dTranspose', 'conv3dTranspose', 'convTranspose', 'backends', 'Tensor']));
  });
  it('has dist/ (npm test builds it first)', () => {
    if (!existsSync(join(root, 'dist/esm/index.js'))) console.warn('dist/ is missing: run `npm run build` (npm test does) to test the built package');
    expect(existsSync(join(root, 'dist/esm/index.js')) || process.env.CI !== 'true').toBe(true);
  });
});

describe('backends()', () => {
  it('lists cudnn, onednn and ts, best first; ts is always available; the others say why not', () => {
    const list = backends();
    expect(list.map((b) => b.name)).toEqual(['cudnn', 'onednn', 'ts']);
    expect(list[2]).toMatchObject({ name: 'ts', available: true });
    for (const b of list) {
      if (!b.available) expect(b.reason, `${b.name} must say why it is unavailable`).toMatch(/\w+/);
    }
  });
  it("'auto' runs on an available backend and gives the reference's answer", () => {
    const x = tensor([1, 2, 3, 4], [1, 2, 2, 1]);
    const w = tensor([1, 0, 0, 0], [2, 2, 1, 1]);
    const auto = conv2dTranspose(x, w, [1, 4, 4, 1], 2, 'VALID');
    const ts = conv2dTranspose(x, w, [1, 4, 4, 1], 2, 'VALID', { backend: 'ts' });
    expect(Array.from(auto.data)).toEqual(Array.from(ts.data));
    expect(Array.from(ts.data)).toEqual([1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4, 0, 0, 0, 0, 0]);
  });
});

describe('Tensor and options.out', () => {
  it('the result views the out tensor’s memory (no copy)', () => {
    const out = new Tensor([1, 4, 4, 1]);
    const y = conv2dTranspose(tensor([1, 2, 3, 4], [1, 2, 2, 1]), tensor([1, 1, 1, 1], [2, 2, 1, 1]), [1, 4, 4, 1], 2, 'VALID', { out, backend: 'ts' });
    expect(y.data).toBe(out.data);
    expect(out.data[0]).toBe(1);
    expect(y.shape).toEqual([1, 4, 4, 1]);
    expect(Object.isFrozen(y.shape)).toBe(true);
  });
  it('Tensor refuses data that does not fit its shape', () => {
    expect(() => new Tensor([2, 2], new Float32Array(3))).toThrow(RangeError);
  });
});
