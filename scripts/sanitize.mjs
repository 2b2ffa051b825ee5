#!/usr/bin/env node
// AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer over a small test set (npm run sanitize).
//
// Builds the addon again with -fsanitize=address,undefined into build/asan/Release/deconv.node
// (cmake, the same CMakeLists.txt and oneDNN as the normal build), then runs, with libasan preloaded
// into node and DECONV_ADDON_PATH pointing at that addon:
//   - the bad-input battery on every backend (test/helpers/battery-child.mjs),
//   - the worker-thread and exit scenarios (test/helpers/workers-child.mjs),
//   - a short soak (mixed shapes, sync, async, plans disposed or left to the garbage collector),
//   - vitest over the native, error, concurrency and fuzz tests (the fuzz at 300 runs per property).
// It fails on any AddressSanitizer or UndefinedBehaviorSanitizer report and on any leak that
// scripts/sanitize/lsan.supp does not name (that file may only name third-party code, each entry
// with its reason; it names none today). Reports land in build/asan/reports/.
//
// Needs cmake and gcc/g++ with libasan and libubsan (Debian/Ubuntu: `apt-get install g++ cmake`;
// ninja is used when present). Without them it says what is missing and exits 2.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveOneDnn } from './fetch-onednn.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = path.join(root, 'build', 'asan');
const addon = path.join(buildDir, 'Release', 'deconv.node');
const reports = path.join(buildDir, 'reports');
const suppressions = path.join(root, 'scripts', 'sanitize', 'lsan.supp');

function fail(message, code = 1) {
  console.error(`sanitize: ${message}`);
  process.exit(code);
}
const has = (cmd, args = ['--version']) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;

// ---- prerequisites ------------------------------------------------------------------------------
const cxx = process.env.CXX ?? 'g++';
const cc = process.env.CC ?? 'gcc';
if (!has('cmake')) fail('cmake is missing (Debian/Ubuntu: apt-get install cmake)', 2);
if (!has(cxx)) fail(`${cxx} is missing (Debian/Ubuntu: apt-get install g++)`, 2);
const libasan = spawnSync(cc, ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
if (!path.isAbsolute(libasan) || !existsSync(libasan)) fail(`${cc} has no libasan.so to preload (Debian/Ubuntu: apt-get install g++, which brings libasan)`, 2);
const onednn = resolveOneDnn({ log: () => {} });
if (!onednn.found) fail(`no oneDNN: ${onednn.reason}`, 2);
const headers = process.env.DECONV_NODE_HEADERS ?? path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
if (!existsSync(path.join(headers, 'node_api.h'))) fail(`Node's headers are not in ${headers} (set DECONV_NODE_HEADERS)`, 2);
if (!existsSync(path.join(root, 'dist', 'esm', 'index.js'))) fail('dist/ is missing: run `npm run build` first (npm run sanitize does)', 2);

// ---- the sanitized addon ------------------------------------------------------------------------
const flags = '-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g';
const configure = spawnSync(
  'cmake',
  [
    '-S', root, '-B', buildDir,
    ...(has('ninja') ? ['-G', 'Ninja'] : []),
    '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
    `-DCMAKE_CXX_COMPILER=${cxx}`,
    `-DCMAKE_CXX_FLAGS=${flags}`,
    `-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=address,undefined`,
    `-DNODE_EXECUTABLE=${process.execPath}`,
    '-DDECONV_WITH_ONEDNN=ON',
    `-DDNNL_ROOT=${onednn.root}`,
    '-DDECONV_ONEDNN_BUNDLE=ON',
  ],
  { cwd: root, encoding: 'utf8', env: { ...process.env, DECONV_NODE_HEADERS: headers } },
);
if (configure.status !== 0) fail(`cmake could not configure ${buildDir}:\n${configure.stdout}${configure.stderr}`);
console.log(`sanitize: building ${path.relative(root, addon)} (${flags})`);
const build = spawnSync('cmake', ['--build', buildDir], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) fail('the sanitized addon did not build');

// ---- the runs -----------------------------------------------------------------------------------
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const env = {
  ...process.env,
  LD_PRELOAD: libasan,
  DECONV_ADDON_PATH: addon,
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=23:detect_odr_violation=0',
  LSAN_OPTIONS: `suppressions=${suppressions}:print_suppressions=1`,
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  // The child processes the tests start write their reports here too.
  DECONV_FUZZ_RUNS: '300',
};

// Leaks are checked in runs that end the way a program normally ends, when Node tears V8 down.
// process.exit() skips that teardown (by design: it ends the process at once), so in runs that end
// that way — the exit scenario itself, and vitest's processes — LeakSanitizer would only list V8's
// own heap pages; there AddressSanitizer and UBSan still check every access, and leaks are not.
const runs = [
  { name: 'battery (ts)', args: ['test/helpers/battery-child.mjs', 'ts'], leaks: true },
  { name: 'battery (onednn)', args: ['test/helpers/battery-child.mjs', 'onednn'], leaks: true },
  { name: '4 workers, then 4 leaving with calls in flight', args: ['--expose-gc', 'test/helpers/workers-child.mjs', 'workers'], leaks: true },
  { name: 'the addon in workers only', args: ['test/helpers/workers-child.mjs', 'only-workers'], leaks: true },
  { name: 'exit right after a worker left calls in flight', args: ['test/helpers/workers-child.mjs', 'only-worker-then-exit'], leaks: true },
  // One OpenMP thread and one V8 platform thread: with more, LeakSanitizer's own thread-stopping
  // step often crashes in this run ("Tracer caught signal 11") before it can look for leaks.
  { name: 'soak: 3,000 mixed calls, sync, async and plans', args: ['scripts/soak.mjs', '2000', '1000'], leaks: true, env: { DECONV_SOAK_LEAKS_ONLY: '1', OMP_NUM_THREADS: '1', NODE_OPTIONS: '--v8-pool-size=1' } },
  { name: 'process.exit() with calls in flight', args: ['test/helpers/workers-child.mjs', 'exit-in-flight', '2'], leaks: false },
  { name: 'vitest: native, errors, concurrency, fuzz (300 runs)', args: ['node_modules/vitest/vitest.mjs', 'run', 'test/native.test.ts', 'test/errors.test.ts', 'test/concurrency.test.ts', 'test/fuzz.test.ts'], leaks: false },
];

const problems = [];
let suppressed = 0;
for (const run of runs) {
  const started = Date.now();
  const runEnv = { ...env, ...run.env };
  if (!run.leaks) runEnv.ASAN_OPTIONS = runEnv.ASAN_OPTIONS.replace('detect_leaks=1', 'detect_leaks=0');
  // LeakSanitizer itself sometimes fails to stop the process's threads ("Tracer caught signal"):
  // that is no finding about deconv, so such a run is tried again (up to 3 times, and said so).
  let r;
  let output = '';
  let attempts = 0;
  do {
    attempts++;
    r = spawnSync(process.execPath, run.args, { cwd: root, env: runEnv, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 900_000 });
    output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  } while (/Tracer caught signal/.test(output) && attempts < 3);
  const file = path.join(reports, `${run.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')}.txt`);
  writeFileSync(file, output);
  const asan = (output.match(/ERROR: AddressSanitizer/g) ?? []).length;
  const leaks = (output.match(/ERROR: LeakSanitizer/g) ?? []).length;
  const ubsan = (output.match(/runtime error:/g) ?? []).length;
  // LSan's "Suppressions used:" table: "  count  bytes  template".
  for (const table of output.matchAll(/Suppressions used:\n\s*count\s+bytes\s+template\n((?:\s*\d+\s+\d+\s+\S+\n)+)/g)) {
    for (const line of table[1].trim().split('\n')) suppressed += Number(line.trim().split(/\s+/)[0]);
  }
  const ok = r.status === 0 && asan + leaks + ubsan === 0;
  const tracer = /Tracer caught signal/.test(output) ? ', LeakSanitizer could not stop the threads' : '';
  console.log(`sanitize: ${ok ? 'ok  ' : 'FAIL'} ${run.name}${run.leaks ? '' : ' (no leak check)'} (${((Date.now() - started) / 1000).toFixed(0)} s${attempts > 1 ? `, ${attempts} attempts` : ''}, exit ${r.status ?? r.signal}${tracer}${asan ? `, ${asan} ASan errors` : ''}${leaks ? `, ${leaks} leak reports` : ''}${ubsan ? `, ${ubsan} UBSan errors` : ''})`);
  if (!ok) problems.push(`${run.name}: see ${path.relative(root, file)}`);
}

if (problems.length > 0) fail(`problems found:\n  ${problems.join('\n  ')}`);
const supp = readFileSync(suppressions, 'utf8').split('\n').filter((l) => /^leak:/.test(l)).length;
const leakRuns = runs.filter((r) => r.leaks).length;
console.log(
  `sanitize: passed: ${runs.length} runs under AddressSanitizer and UBSan, ${leakRuns} of them leak-checked by LeakSanitizer: ` +
    `no error and no leak (${supp} suppressions, ${suppressed} allocations suppressed; reports in ${path.relative(root, reports)}/)`,
);
