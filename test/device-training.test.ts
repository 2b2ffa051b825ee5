/**
 * Device-resident training, the JavaScript half, on a machine without a GPU: the device script's
 * own training checks (test/gpu/training.mjs: device gradients, the Activation and
 * BatchNormalization layers, sgd/adam on device parameters, a decoder trained both ways) run in a
 * child process whose addon is a stand-in (test/helpers/fake-cudnn-addon.cjs): device tensors are
 * host arrays there, convolutions run on oneDNN and the kernels are their formulas. This checks
 * the library's plumbing (which tensors go where, shapes, dtypes, disposal) and the device script
 * itself, so a GPU session starts from code that has run; the kernels' arithmetic has its own test
 * (training-kernels.test.ts) and the GPU code is proven on the device (test/gpu/run.sh).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const realAddon = path.join(root, 'build', 'Release', 'deconv.node');
const dist = path.join(root, 'dist', 'esm', 'index.js');
const ready = existsSync(realAddon) && existsSync(dist) && probe();
if (!ready) console.warn('[deconv tests] device-training plumbing skipped: it needs dist/ and an addon built with oneDNN and the cuDNN headers');

function probe(): boolean {
  const child = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(realAddon)}); process.exit(a.onednnRun && a.cudnnConvert ? 0 : 1)`]);
  return child.status === 0;
}

describe.runIf(ready)('device-resident training through a stand-in device', () => {
  it('runs the device script\'s training checks with no failures', () => {
    const script = `
      import { makeChecker } from ${JSON.stringify(pathToFileURL(path.join(root, 'test', 'gpu', 'check-helpers.mjs')).href)};
      import { checkTraining } from ${JSON.stringify(pathToFileURL(path.join(root, 'test', 'gpu', 'training.mjs')).href)};
      const h = makeChecker({ seed: 7 });
      await checkTraining({ ...h, quick: true });
      console.log('RESULT ' + JSON.stringify({ checks: h.checks(), failures: h.failures }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DECONV_ADDON_PATH: path.join(root, 'test', 'helpers', 'fake-cudnn-addon.cjs'), DECONV_REAL_ADDON: realAddon },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, `${child.stdout}\n${child.stderr}`).toBeDefined();
    const result = JSON.parse(line!.slice(7)) as { checks: number; failures: string[] };
    expect(result.failures).toEqual([]);
    expect(result.checks).toBeGreaterThan(100);
  }, 150_000);
});
