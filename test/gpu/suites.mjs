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

/**
 * The suites in the order they run: each bundle's name, the test file bundle.mjs makes it from, and
 * the source file whose place the bundle's import.meta.url stands for (where it finds fixtures).
 */
export const SUITES = [
  { bundle: 'golden', test: 'test/golden.test.ts', urlOf: 'test/golden.test.ts' },
  { bundle: 'onnx', test: 'test/conformance/onnx.test.ts', urlOf: 'test/conformance/onnx.test.ts' },
  { bundle: 'tensorflow', test: 'test/conformance/tensorflow.test.ts', urlOf: 'test/conformance/tensorflow.test.ts' },
  { bundle: 'tfjs', test: 'test/conformance/tfjs.test.ts', urlOf: 'test/conformance/tfjs.test.ts' },
  { bundle: 'golden-grad', test: 'test/golden-grad.test.ts', urlOf: 'test/helpers/golden-grad.ts' },
  { bundle: 'gradients', test: 'test/gradients.test.ts', urlOf: 'test/gradients.test.ts' },
];

/** Runs the bundles in `dir` (those `only` accepts by name); one result per suite. */
export async function runBundledSuites(dir, only = () => true) {
  const results = [];
  for (const { bundle, urlOf } of SUITES.filter((suite) => only(suite.bundle))) {
    // The suites find their fixtures next to their sources; the bundle asks this global.
    globalThis.__deconvSuiteUrl = pathToFileURL(path.join(root, urlOf)).href;
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
