// The golden and conformance suites as bundled by test/gpu/bundle.mjs, run under
// test/gpu/vitest-shim.mjs with nothing but Node: by check.mjs on the GPU machine, and by
// test/device-bundles.test.ts here (so that a suite using more of vitest than the shim offers fails
// here, not on a lent GPU).
//
//   node test/gpu/suites.mjs <bundle-dir>    runs every suite, prints a JSON summary
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from './vitest-shim.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** [bundle name, the test file it was made from] in the order they run. */
export const SUITES = [
  ['golden', 'test/golden.test.ts'],
  ['onnx', 'test/conformance/onnx.test.ts'],
  ['tensorflow', 'test/conformance/tensorflow.test.ts'],
  ['tfjs', 'test/conformance/tfjs.test.ts'],
  ['golden-grad', 'test/helpers/golden-grad.ts'],
  ['gradients', 'test/gradients.test.ts'],
];

/** Runs the bundles in `dir` (those `only` accepts by name); one result per suite. */
export async function runBundledSuites(dir, only = () => true) {
  const results = [];
  for (const [bundle, source] of SUITES.filter(([name]) => only(name))) {
    // golden.test.ts finds its fixtures next to its source; the bundle asks this global.
    globalThis.__deconvSuiteUrl = pathToFileURL(path.join(root, source)).href;
    const started = performance.now();
    await import(pathToFileURL(path.join(path.resolve(dir), `${bundle}.mjs`)).href);
    const result = await run();
    results.push({ bundle, ...result, seconds: (performance.now() - started) / 1000 });
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const results = await runBundledSuites(process.argv[2] ?? path.join(root, '.gpu-carry', 'tests'));
  console.log(JSON.stringify(results));
}
