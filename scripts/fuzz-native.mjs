#!/usr/bin/env node
// Coverage-guided fuzzing (libFuzzer) of the native argument parsing and the oneDNN backend:
// builds native/fuzz/problem_fuzzer.cc with clang (-fsanitize=fuzzer,address,undefined) against
// the same oneDNN the addon uses, and runs it for a while.
//
//   node scripts/fuzz-native.mjs [seconds]        (default 60; npm run fuzz runs it after the JS fuzz)
//
// Needs clang with libFuzzer's runtime and LLVM's omp.h. On Debian/Ubuntu: `apt-get install clang libomp-dev` (Debian 12:
// clang-14, whose libclang-rt-14-dev holds libFuzzer). CXX_FUZZ=/path/to/clang++ picks one.
// Without clang it says so and exits 2 (0 with --optional). The corpus is kept in build/fuzz/corpus
// so that later runs start where earlier ones stopped; crashes land in build/fuzz/ as crash-*.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveOneDnn } from './fetch-onednn.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const optional = args.includes('--optional');
const seconds = Number(args.find((a) => /^\d+$/.test(a)) ?? 60);
const outDir = path.join(root, 'build', 'fuzz');
const binary = path.join(outDir, 'problem_fuzzer');
const corpus = path.join(outDir, 'corpus');

function fail(message, code = 1) {
  console.error(`fuzz-native: ${message}`);
  process.exit(optional && code === 2 ? 0 : code);
}

function findClang() {
  const candidates = process.env.CXX_FUZZ ? [process.env.CXX_FUZZ] : ['clang++', ...Array.from({ length: 8 }, (_, i) => `clang++-${21 - i}`)];
  for (const cxx of candidates) {
    const probe = spawnSync(cxx, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return cxx;
  }
  return undefined;
}

const cxx = findClang();
if (!cxx) {
  fail('no clang++ found: libFuzzer needs clang (Debian/Ubuntu: `apt-get install clang libomp-dev`; or set CXX_FUZZ). The native fuzz was not run.', 2);
}
const onednn = resolveOneDnn({ log: () => {} });
if (!onednn.found) fail(`no oneDNN to fuzz against: ${onednn.reason}`, 2);

// The backend's own OpenMP calls (omp_get_thread_num, ...) link against GNU libgomp, the runtime
// libdnnl uses; clang compiles the loops serially (no -fopenmp) and takes the declarations from
// LLVM's omp.h (Debian/Ubuntu: libomp-dev), which declares the same functions.
const sources = [
  'native/fuzz/problem_fuzzer.cc',
  ...['core', 'onednn'].flatMap((dir) => readdirSync(path.join(root, 'native', dir)).filter((f) => f.endsWith('.cc')).sort().map((f) => `native/${dir}/${f}`)),
];
const newest = Math.max(...sources.map((s) => statSync(path.join(root, s)).mtimeMs), ...readdirSync(path.join(root, 'native/core')).map((f) => statSync(path.join(root, 'native/core', f)).mtimeMs));
mkdirSync(corpus, { recursive: true });
if (!existsSync(binary) || statSync(binary).mtimeMs < newest) {
  console.log(`fuzz-native: building ${path.relative(root, binary)} with ${cxx} (AddressSanitizer, UndefinedBehaviorSanitizer, libFuzzer)`);
  const build = spawnSync(
    cxx,
    [
      '-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer',
      '-fsanitize=fuzzer,address,undefined', '-fno-sanitize-recover=undefined',
      // The backend's OpenMP loop runs serially here: the harness checks memory and results, not speed.
      '-Wno-unknown-pragmas',
      `-I${onednn.includeDir}`,
      ...sources.map((s) => path.join(root, s)),
      `-L${onednn.libDir}`, '-ldnnl', `-Wl,-rpath,${onednn.libDir}`, '-lgomp', '-ldl', '-lpthread',
      '-o', binary,
    ],
    { stdio: 'inherit', cwd: root },
  );
  if (build.status !== 0) fail("the harness did not build (omp.h not found: install LLVM's, e.g. `apt-get install libomp-dev`)");
}

console.log(`fuzz-native: running for ${seconds} s (corpus ${path.relative(root, corpus)})`);
const run = spawnSync(binary, [`-max_total_time=${seconds}`, '-print_final_stats=1', '-timeout=60', '-rss_limit_mb=4096', `-artifact_prefix=${outDir}/`, corpus], {
  cwd: root,
  encoding: 'utf8',
  env: {
    ...process.env,
    OMP_NUM_THREADS: '1',
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  },
  maxBuffer: 1 << 28,
});
const output = `${run.stdout}${run.stderr}`;
const stat = (name) => output.match(new RegExp(`stat::${name}:\\s+(\\d+)`))?.[1];
if (run.status !== 0) {
  console.error(output.split('\n').slice(-80).join('\n'));
  fail(`the fuzzer found a problem (exit ${run.status ?? run.signal}); the input is saved in ${path.relative(root, outDir)}/`);
}
const tally = output.match(/problem_fuzzer: (\d+ inputs: .*)/)?.[1];
if (tally) console.log(`fuzz-native: ${tally}`);
console.log(`fuzz-native: passed: ${stat('number_of_executed_units')} inputs in ${seconds} s, ${stat('new_units_added') ?? 0} new in the corpus (now ${readdirSync(corpus).length}), peak RSS ${stat('peak_rss_mb')} MB, no crash, leak, undefined behaviour or wrong result`);
