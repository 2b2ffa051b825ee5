#!/usr/bin/env node
// Bundles the golden and conformance suites (TypeScript, vitest) into plain ES modules that run
// under test/gpu/vitest-shim.mjs with nothing but Node: for the GPU machine, which has no npm.
// The suites import the library from ../src/*.js; the bundles import the built dist/ instead, so
// they test exactly what a user loads.
//
//   node test/gpu/bundle.mjs <out-dir>
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITES } from './suites.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = path.resolve(process.argv[2] ?? path.join(root, '.gpu-carry', 'tests'));
const redirect = {
  name: 'deconv-redirect',
  setup(b) {
    b.onResolve({ filter: /^vitest$/ }, () => ({ path: path.join(root, 'test', 'gpu', 'vitest-shim.mjs') }));
    // Every module of the library, not only its index: one copy of it (one addon, one plan
    // cache) whichever path a suite imports it by.
    b.onResolve({ filter: /(^|\/)src\/.+\.js$/ }, (args) => {
      const inSrc = path.relative(path.join(root, 'src'), path.resolve(args.resolveDir, args.path));
      return { path: path.relative(outDir, path.join(root, 'dist', 'esm', inSrc)), external: true };
    });
  },
};

for (const { bundle, test } of SUITES) {
  await build({
    entryPoints: [path.join(root, test)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: path.join(outDir, `${bundle}.mjs`),
    plugins: [redirect],
    // golden.test.ts finds its fixtures next to itself; the runner says where that is.
    define: { 'import.meta.url': 'globalThis.__deconvSuiteUrl' },
    // Bundled CommonJS helpers call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __deconvCreateRequire } from 'node:module'; const require = __deconvCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
console.log(`bundled ${SUITES.length} suites into ${path.relative(root, outDir)}`);
