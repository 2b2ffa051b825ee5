#!/usr/bin/env node
// The full fuzz run (npm run fuzz): the property-based fuzz test (test/fuzz.test.ts) at its full
// count, then the libFuzzer harness of the native code (scripts/fuzz-native.mjs) where clang is
// installed.
//
//   node scripts/fuzz.mjs [runs] [native-seconds]      defaults: 10,000 runs per property, 60 s
//
// DECONV_FUZZ_SEED replays a run of the property-based part. Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = process.argv[2] ?? process.env.DECONV_FUZZ_RUNS ?? '10000';
const nativeSeconds = process.argv[3] ?? '60';

console.log(`fuzz: property-based fuzz test, ${runs} runs per property`);
const vitest = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, DECONV_FUZZ_RUNS: String(runs) },
});
if (vitest.status !== 0) process.exit(vitest.status ?? 1);

console.log(`fuzz: libFuzzer harness of the native code, ${nativeSeconds} s`);
const native = spawnSync(process.execPath, [path.join(root, 'scripts/fuzz-native.mjs'), String(nativeSeconds), '--optional'], { cwd: root, stdio: 'inherit' });
process.exit(native.status ?? 1);
