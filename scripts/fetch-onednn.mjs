#!/usr/bin/env node
// Finds oneDNN 3.x for the addon's oneDNN backend, or fetches it. Used by
// scripts/build-native.mjs; also runnable alone:
//
//   node scripts/fetch-onednn.mjs [--json]
//
// Resolution order (the first that applies wins):
//   DECONV_ONEDNN=off   no oneDNN at all (the addon is built without it).
//   a) DNNL_ROOT        a prefix with include/dnnl.hpp and lib/libdnnl.so*
//                       (oneDNN 3.x). When set it is the only place looked
//                       at: a DNNL_ROOT that does not fit is an error, not a
//                       reason to download something else.
//   b) the system       whatever CMake's `find_package(dnnl 3 CONFIG)` finds
//                       (CMAKE_PREFIX_PATH, /usr, /usr/local, ...). oneDNN
//                       2.x is refused: its API is not the 3.x API the backend
//                       is written against (Debian 12's libdnnl-dev is 2.6).
//   c) PyPI wheels      onednn-cpu-gomp and onednn-devel-cpu-gomp 2023.2.0
//                       (oneDNN 3.2.0), fetched with `python3 -m pip download`
//                       (so pip's own index configuration and cache apply) and
//                       unpacked into .deps/onednn-3.2.0/. Linux x86-64 only.
//                       DECONV_ONEDNN_WHEELS=<dir> takes the two wheels from a
//                       local directory instead (offline builds).
//
// DECONV_ONEDNN=required turns "not found" into a build error instead of a
// build without oneDNN. PYTHON names the Python to run pip with (python3).
//
// Why these wheels: oneDNN's PyPI packages come in flavours. The newer
// `onednn` / `onednn-devel` wheels (2026.x) are SYCL builds: they depend on
// dpcpp-cpp-rt and intel-opencl-rt (Intel's DPC++ and OpenCL runtimes,
// hundreds of MB) and want -fsycl consumers. The `*-cpu-gomp` flavour is a plain
// CPU-only build threaded with GNU OpenMP, so it needs nothing beyond the
// system's libgomp.so.1 (GCC's runtime) and links with g++/clang++ as is;
// its last release is 2023.2.0 = oneDNN 3.2.0, hence the pin. The wheels'
// sha256 are pinned below and pip checks them (--require-hashes).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const ONEDNN_VERSION = '3.2.0';
const WHEEL_RELEASE = '2023.2.0';
const WHEELS = [
  {
    project: 'onednn-cpu-gomp', // the runtime: lib/libdnnl.so*
    file: `onednn_cpu_gomp-${WHEEL_RELEASE}-py2.py3-none-manylinux1_x86_64.whl`,
    sha256: '2f22a54d6a890ed14bfa185d42a4be65d8b5b1df85dc1f0f3a9abe31620416fb',
  },
  {
    project: 'onednn-devel-cpu-gomp', // headers and lib/cmake/dnnl
    file: `onednn_devel_cpu_gomp-${WHEEL_RELEASE}-py2.py3-none-manylinux1_x86_64.whl`,
    sha256: '9763c69e8c907e119056bd52ad918ca84ac9ba939d130a99dfa95ccca3e5e284',
  },
];
// The runtime wheel stores the library three times (libdnnl.so, .so.3 and
// .so.3.2, 54 MB each, identical). The cache keeps the SONAME file and makes
// the other two names symlinks; dnnl-targets-release.cmake points at .so.3.2.
const SONAME = 'libdnnl.so.3';
const LIBRARY_ALIASES = ['libdnnl.so', 'libdnnl.so.3.2'];

export const CACHE_DIR = path.join(root, '.deps', `onednn-${ONEDNN_VERSION}`);
const STAMP = 'deconv-onednn.json';
const STAMP_FORMAT = 1;

class ResolveError extends Error {}

function defaultLog(line) {
  console.error(`deconv: ${line}`);
}

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

function lastLines(text, count = 3) {
  return (text ?? '').trim().split('\n').filter(Boolean).slice(-count).join(' | ');
}

// ---- What a oneDNN prefix holds ------------------------------------------------

function readVersionHeader(includeDir) {
  const header = path.join(includeDir, 'oneapi', 'dnnl', 'dnnl_version.h');
  if (!existsSync(header)) return undefined;
  const text = readFileSync(header, 'utf8');
  const part = (name) => new RegExp(`#define\\s+DNNL_VERSION_${name}\\s+(\\d+)`).exec(text)?.[1];
  const [major, minor, patch] = ['MAJOR', 'MINOR', 'PATCH'].map(part);
  return major === undefined ? undefined : `${major}.${minor ?? 0}.${patch ?? 0}`;
}

// "OMP" / "TBB" / "SEQ" / "THREADPOOL" / "SYCL" / "DPCPP" / "NONE" / "OCL".
function readRuntimes(includeDir) {
  const header = path.join(includeDir, 'oneapi', 'dnnl', 'dnnl_config.h');
  if (!existsSync(header)) return {};
  const text = readFileSync(header, 'utf8');
  const get = (name) => new RegExp(`#define\\s+${name}\\s+DNNL_RUNTIME_(\\w+)`).exec(text)?.[1];
  return { cpu: get('DNNL_CPU_RUNTIME'), gpu: get('DNNL_GPU_RUNTIME') };
}

// A SYCL/DPC++ build needs Intel's compiler (-fsycl) and runtime; we build with g++.
function refuseSycl(runtimes, where) {
  for (const [kind, runtime] of Object.entries(runtimes)) {
    if (runtime === 'SYCL' || runtime === 'DPCPP') {
      throw new ResolveError(
        `${where} is a SYCL build of oneDNN (${kind} runtime ${runtime}), which needs Intel's DPC++ compiler and runtime; ` +
          'deconv needs a plain CPU build (OpenMP, TBB or sequential)',
      );
    }
  }
}

function majorOf(version) {
  return Number.parseInt(String(version).split('.')[0], 10);
}

// Shared libraries the oneDNN library needs that the dynamic loader cannot find
// (ldd; skipped where there is none). Returns { needed, missing } or undefined.
function dependencies(library) {
  const result = run('ldd', [library]);
  if (result.error || result.status !== 0) return undefined;
  const needed = [];
  const missing = [];
  for (const line of result.stdout.split('\n')) {
    const match = /^\s*(\S+)\s+=>\s+(.*?)\s*(\(0x[0-9a-f]+\))?$/.exec(line);
    if (!match) continue;
    if (match[2] === 'not found') missing.push(match[1]);
    else needed.push(`${match[1]} => ${match[2]}`);
  }
  return { needed, missing };
}

function checkDependencies(library, log) {
  const deps = dependencies(library);
  if (!deps) return undefined;
  if (deps.missing.length > 0) {
    const hint = deps.missing.includes('libgomp.so.1') ? ' (libgomp.so.1 is GCC\'s OpenMP runtime: install libgomp1 or your distribution\'s equivalent)' : '';
    throw new ResolveError(`${library} needs ${deps.missing.join(', ')}, which the dynamic loader cannot find${hint}`);
  }
  const names = deps.needed.map((entry) => entry.split(' ')[0]);
  log(`${path.basename(library)} needs ${names.join(', ')} (all found${names.includes('libgomp.so.1') ? '; libgomp.so.1 is the system GCC\'s OpenMP runtime' : ''})`);
  return deps.needed;
}

// ---- a) DNNL_ROOT -----------------------------------------------------------------

function fromPrefix(prefix, log) {
  const where = `DNNL_ROOT=${prefix}`;
  const includeDir = path.join(prefix, 'include');
  if (!existsSync(path.join(includeDir, 'dnnl.hpp')) || !existsSync(path.join(includeDir, 'oneapi', 'dnnl', 'dnnl.hpp'))) {
    throw new ResolveError(`${where} has no include/dnnl.hpp and include/oneapi/dnnl/dnnl.hpp (oneDNN 3.x headers)`);
  }
  const version = readVersionHeader(includeDir);
  if (!version) throw new ResolveError(`${where}: include/oneapi/dnnl/dnnl_version.h is missing or unreadable`);
  if (majorOf(version) !== 3) {
    throw new ResolveError(`${where} holds oneDNN ${version}; deconv's backend is written against the oneDNN 3.x API`);
  }
  refuseSycl(readRuntimes(includeDir), where);

  let libDir;
  let library;
  for (const dir of ['lib', 'lib64']) {
    const candidates = existsSync(path.join(prefix, dir))
      ? readdirSync(path.join(prefix, dir)).filter((name) => /^libdnnl\.so(\.\d+)*$/.test(name)).sort()
      : [];
    if (candidates.length > 0) {
      libDir = path.join(prefix, dir);
      // Prefer the SONAME file, then the development symlink, then any other.
      const pick = candidates.find((name) => name === SONAME) ?? candidates.find((name) => name === 'libdnnl.so') ?? candidates[0];
      library = path.join(libDir, pick);
      break;
    }
  }
  if (!library) throw new ResolveError(`${where} has no lib/libdnnl.so* (nor lib64/)`);
  const cmakeDir = path.join(libDir, 'cmake', 'dnnl');
  const deps = checkDependencies(library, log);
  return {
    found: true,
    source: 'DNNL_ROOT',
    description: `DNNL_ROOT (${prefix})`,
    version,
    root: prefix,
    cmakeDir: existsSync(path.join(cmakeDir, 'dnnl-config.cmake')) ? cmakeDir : undefined,
    includeDir,
    libDir,
    library,
    bundle: false,
    dependencies: deps,
  };
}

// ---- b) the system, as CMake's find_package sees it ---------------------------------

const PROBE_CMAKELISTS = `cmake_minimum_required(VERSION 3.19)
# CXX: configs may look for OpenMP/Threads, and the compiler check is what
# sets CMAKE_LIBRARY_ARCHITECTURE (Debian's lib/x86_64-linux-gnu/cmake).
project(deconv_onednn_probe LANGUAGES CXX)
find_package(dnnl 3 CONFIG QUIET)
set(out "\${CMAKE_BINARY_DIR}/probe.txt")
if(dnnl_FOUND)
  get_target_property(inc DNNL::dnnl INTERFACE_INCLUDE_DIRECTORIES)
  get_target_property(configs DNNL::dnnl IMPORTED_CONFIGURATIONS)
  set(loc "")
  set(soname "")
  foreach(cfg IN LISTS configs)
    get_target_property(loc DNNL::dnnl IMPORTED_LOCATION_\${cfg})
    get_target_property(soname DNNL::dnnl IMPORTED_SONAME_\${cfg})
    if(loc)
      break()
    endif()
  endforeach()
  file(WRITE "\${out}" "found=1\\nversion=\${dnnl_VERSION}\\ndir=\${dnnl_DIR}\\ninclude=\${inc}\\nlibrary=\${loc}\\nsoname=\${soname}\\ncpu=\${DNNL_CPU_RUNTIME}\\ngpu=\${DNNL_GPU_RUNTIME}\\n")
else()
  file(WRITE "\${out}" "found=0\\nconsidered=\${dnnl_CONSIDERED_CONFIGS}\\nversions=\${dnnl_CONSIDERED_VERSIONS}\\n")
endif()
`;

// Returns a resolution, or undefined (with a log line saying why) when the
// system has no usable oneDNN 3.x.
function fromSystem(log) {
  const cmake = process.env.CMAKE ?? 'cmake';
  const probeDir = mkdtempSync(path.join(os.tmpdir(), 'deconv-onednn-probe-'));
  try {
    writeFileSync(path.join(probeDir, 'CMakeLists.txt'), PROBE_CMAKELISTS);
    const result = run(cmake, ['-S', probeDir, '-B', path.join(probeDir, 'build')]);
    if (result.error) {
      log(`system oneDNN: not looked for (${cmake}: ${result.error.code ?? result.error.message})`);
      return undefined;
    }
    const outFile = path.join(probeDir, 'build', 'probe.txt');
    if (result.status !== 0 || !existsSync(outFile)) {
      // A config that errors out while loading (e.g. a missing dependency).
      log(`system oneDNN: unusable, CMake's find_package(dnnl 3) failed: ${lastLines(result.stderr || result.stdout)}`);
      return undefined;
    }
    const probe = Object.fromEntries(
      readFileSync(outFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    if (probe.found !== '1') {
      const configs = probe.considered ? probe.considered.split(';') : [];
      const versions = probe.versions ? probe.versions.split(';') : [];
      if (configs.length === 0) {
        log('system oneDNN: none found by CMake (find_package(dnnl 3 CONFIG))');
      } else {
        const list = configs.map((config, i) => `${versions[i] || 'unknown version'} at ${path.dirname(config)}`).join(', ');
        log(
          `system oneDNN: ignoring ${list}: deconv needs oneDNN 3.x, whose API differs from 2.x ` +
            "(Debian 12's libdnnl-dev is 2.6); set DNNL_ROOT to a oneDNN 3.x install to use your own",
        );
      }
      return undefined;
    }
    const where = `the system oneDNN at ${probe.dir}`;
    refuseSycl({ cpu: probe.cpu, gpu: probe.gpu }, where);
    if (!probe.library || probe.library.endsWith('-NOTFOUND') || !existsSync(probe.library)) {
      log(`system oneDNN: ${where} names no existing library (${probe.library || 'none'}); ignoring it`);
      return undefined;
    }
    const includeDir = probe.include.split(';').find((dir) => existsSync(path.join(dir, 'dnnl.hpp')));
    if (!includeDir) {
      log(`system oneDNN: ${where} has no dnnl.hpp in its include directories (${probe.include}); ignoring it`);
      return undefined;
    }
    const deps = checkDependencies(probe.library, log);
    return {
      found: true,
      source: 'system',
      description: `the system (CMake config ${probe.dir})`,
      version: probe.version,
      root: undefined,
      cmakeDir: probe.dir,
      includeDir,
      libDir: path.dirname(probe.library),
      library: probe.library,
      bundle: false,
      dependencies: deps,
    };
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

// ---- c) the PyPI wheels, unpacked into .deps/ -------------------------------------

// The entries of a zip file (a wheel), read with zlib only: enough for wheels
// (no zip64, no encryption; stored or deflated entries).
function readZip(file) {
  const zip = readFileSync(file);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new ResolveError(`${path.basename(file)} is not a zip file`);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new ResolveError(`${path.basename(file)}: bad zip central directory`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    entries.set(name, () => {
      const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
      const raw = zip.subarray(dataStart, dataStart + compressedSize);
      const data = method === 0 ? raw : method === 8 ? inflateRawSync(raw) : undefined;
      if (!data) throw new ResolveError(`${path.basename(file)}: ${name} uses zip method ${method}`);
      if (data.length !== size) throw new ResolveError(`${path.basename(file)}: ${name} unpacks to ${data.length} bytes, not ${size}`);
      return data;
    });
  }
  return entries;
}

function wheelDigest(data) {
  return createHash('sha256').update(data).digest('base64url');
}

// Unpacks the wheels' data/ trees into `dest`, checking every file against
// the wheel's RECORD. Returns { relativePath: { size, sha256 } }.
function unpackWheels(wheelDir, dest) {
  const files = {};
  for (const wheel of WHEELS) {
    const entries = readZip(path.join(wheelDir, wheel.file));
    const distInfo = `${wheel.project.replaceAll('-', '_')}-${WHEEL_RELEASE}.dist-info`;
    const dataPrefix = `${wheel.project.replaceAll('-', '_')}-${WHEEL_RELEASE}.data/data/`;
    const recordEntry = entries.get(`${distInfo}/RECORD`);
    if (!recordEntry) throw new ResolveError(`${wheel.file} has no ${distInfo}/RECORD`);
    const record = new Map();
    for (const line of recordEntry().toString('utf8').split('\n')) {
      const [name, hash, size] = line.split(',');
      if (name && hash?.startsWith('sha256=')) record.set(name, { sha256: hash.slice('sha256='.length), size: Number(size) });
    }

    const libraryHashes = new Set();
    for (const [name, read] of entries) {
      if (!name.startsWith(dataPrefix) || name.endsWith('/')) continue;
      const relative = name.slice(dataPrefix.length);
      const expected = record.get(name);
      if (!expected) throw new ResolveError(`${wheel.file}: ${name} is not listed in its RECORD`);
      const isLibrary = relative.startsWith('lib/libdnnl.so');
      // Only the SONAME copy of the library is written out; the other names
      // must be the same bytes, as RECORD says (checked, then symlinked).
      if (isLibrary) {
        libraryHashes.add(expected.sha256);
        if (relative !== `lib/${SONAME}`) continue;
      }
      if (!(isLibrary || relative.startsWith('include/') || relative.startsWith('lib/cmake/dnnl/') || relative.startsWith('share/doc/onednn/'))) {
        continue;
      }
      const data = read();
      const sha256 = wheelDigest(data);
      if (sha256 !== expected.sha256 || data.length !== expected.size) {
        throw new ResolveError(`${wheel.file}: ${name} does not match the wheel's RECORD`);
      }
      if (files[relative] && files[relative].sha256 !== sha256) {
        throw new ResolveError(`the two wheels disagree about ${relative}`);
      }
      const target = path.join(dest, relative);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, data);
      files[relative] = { size: data.length, sha256 };
    }
    if (libraryHashes.size > 1) throw new ResolveError(`${wheel.file}: its libdnnl.so* files differ; expected one library under three names`);
  }

  for (const needed of [`lib/${SONAME}`, 'include/dnnl.hpp', 'include/oneapi/dnnl/dnnl.hpp', 'include/oneapi/dnnl/dnnl_version.h', 'lib/cmake/dnnl/dnnl-config.cmake']) {
    if (!files[needed]) throw new ResolveError(`the wheels did not provide ${needed}`);
  }
  for (const alias of LIBRARY_ALIASES) symlinkSync(SONAME, path.join(dest, 'lib', alias));
  return files;
}

function downloadWheels(wheelDir, log) {
  const python = process.env.PYTHON ?? 'python3';
  const pipCheck = run(python, ['-m', 'pip', '--version']);
  if (pipCheck.error || pipCheck.status !== 0) {
    throw new ResolveError(
      `cannot download oneDNN: \`${python} -m pip\` is not available (${pipCheck.error?.code ?? lastLines(pipCheck.stderr, 1)}); ` +
        'install pip, or set DNNL_ROOT to a oneDNN 3.x install',
    );
  }
  const requirements = path.join(wheelDir, 'requirements.txt');
  writeFileSync(requirements, WHEELS.map((w) => `${w.project}==${WHEEL_RELEASE} --hash=sha256:${w.sha256}\n`).join(''));
  const local = process.env.DECONV_ONEDNN_WHEELS;
  const args = ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--require-hashes', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'];
  if (local) args.push('--no-index', '--find-links', path.resolve(local));
  args.push('-r', requirements, '-d', wheelDir);
  log(
    local
      ? `oneDNN ${ONEDNN_VERSION}: taking the wheels from DECONV_ONEDNN_WHEELS=${local}`
      : `oneDNN ${ONEDNN_VERSION}: downloading ${WHEELS.map((w) => `${w.project}==${WHEEL_RELEASE}`).join(' and ')} with pip (about 39 MB, once)`,
  );
  const result = run(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
    const why = output.split('\n').filter((line) => line.startsWith('ERROR:')).pop() ?? lastLines(output, 1);
    throw new ResolveError(`\`${python} -m pip download\` failed: ${why || result.error?.message}`);
  }
  for (const wheel of WHEELS) {
    if (!existsSync(path.join(wheelDir, wheel.file))) throw new ResolveError(`pip did not leave ${wheel.file} in ${wheelDir}`);
  }
}

// The cache is valid when its stamp matches this script's pins and every
// recorded file is there with its size (hashes were checked when unpacking).
function validCache(log) {
  const stampPath = path.join(CACHE_DIR, STAMP);
  if (!existsSync(stampPath)) return false;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return false;
  }
  const wheelsMatch = JSON.stringify(stamp.wheels) === JSON.stringify(Object.fromEntries(WHEELS.map((w) => [w.file, w.sha256])));
  if (stamp.format !== STAMP_FORMAT || stamp.version !== ONEDNN_VERSION || !wheelsMatch) {
    log(`${path.relative(root, CACHE_DIR)}: stamp is from another version of this script; fetching again`);
    return false;
  }
  for (const [relative, { size }] of Object.entries(stamp.files ?? {})) {
    const file = path.join(CACHE_DIR, relative);
    if (!existsSync(file) || statSync(file).size !== size) {
      log(`${path.relative(root, CACHE_DIR)}: ${relative} is missing or changed; fetching again`);
      return false;
    }
  }
  for (const alias of LIBRARY_ALIASES) {
    const link = path.join(CACHE_DIR, 'lib', alias);
    if (!existsSync(link) || !lstatSync(link).isSymbolicLink() || readlinkSync(link) !== SONAME) return false;
  }
  return true;
}

function fromWheels(log) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ResolveError(
      `the prebuilt oneDNN wheels exist for Linux x86-64 only (this is ${process.platform}-${process.arch}); set DNNL_ROOT to a oneDNN 3.x install`,
    );
  }
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  if (!glibc) {
    throw new ResolveError('the prebuilt oneDNN wheels need glibc (this C library is not glibc); set DNNL_ROOT to a oneDNN 3.x install');
  }

  const relativeCache = path.relative(root, CACHE_DIR);
  let fetched = false;
  if (!validCache(log)) {
    const depsDir = path.dirname(CACHE_DIR);
    mkdirSync(depsDir, { recursive: true });
    // Work in a private directory next to the cache, then rename it into
    // place: a concurrent build never sees a half-unpacked tree.
    const work = mkdtempSync(path.join(depsDir, `.onednn-${ONEDNN_VERSION}-`));
    try {
      const wheelDir = path.join(work, 'wheels');
      const staging = path.join(work, 'tree');
      mkdirSync(wheelDir);
      mkdirSync(staging);
      downloadWheels(wheelDir, log);
      const files = unpackWheels(wheelDir, staging);
      const stamp = {
        format: STAMP_FORMAT,
        version: ONEDNN_VERSION,
        wheels: Object.fromEntries(WHEELS.map((w) => [w.file, w.sha256])),
        files,
        note: 'unpacked by scripts/fetch-onednn.mjs; delete this directory to fetch again',
      };
      writeFileSync(path.join(staging, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
      rmSync(CACHE_DIR, { recursive: true, force: true });
      try {
        renameSync(staging, CACHE_DIR);
      } catch (error) {
        // Another build won the race; its tree is as good as ours.
        if (!validCache(() => {})) throw error;
      }
      fetched = true;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const library = path.join(CACHE_DIR, 'lib', SONAME);
  const version = readVersionHeader(path.join(CACHE_DIR, 'include'));
  if (version !== ONEDNN_VERSION) throw new ResolveError(`${relativeCache} holds oneDNN ${version}, expected ${ONEDNN_VERSION}`);
  const deps = checkDependencies(library, log);
  return {
    found: true,
    source: 'download',
    description: `PyPI wheels onednn-cpu-gomp/onednn-devel-cpu-gomp ${WHEEL_RELEASE}, ${fetched ? 'unpacked into' : 'cached in'} ${relativeCache}`,
    version,
    root: CACHE_DIR,
    cmakeDir: path.join(CACHE_DIR, 'lib', 'cmake', 'dnnl'),
    includeDir: path.join(CACHE_DIR, 'include'),
    libDir: path.join(CACHE_DIR, 'lib'),
    library,
    // The build copies the library next to deconv.node and points the
    // addon's RUNPATH at $ORIGIN, so build/Release works without .deps/.
    bundle: true,
    dependencies: deps,
  };
}

// ---- Entry point --------------------------------------------------------------------

/** The DECONV_ONEDNN setting: 'auto' (default), 'off' or 'required'. */
export function oneDnnMode(env = process.env) {
  const value = (env.DECONV_ONEDNN ?? '').trim().toLowerCase();
  if (value === '' || value === 'auto' || value === 'on') return 'auto';
  if (['off', '0', 'false', 'no'].includes(value)) return 'off';
  if (value === 'required') return 'required';
  throw new Error(`DECONV_ONEDNN must be auto, off or required (got '${env.DECONV_ONEDNN}')`);
}

/**
 * Finds or fetches oneDNN 3.x. Returns { found: true, source, description,
 * version, root, cmakeDir, includeDir, libDir, library, bundle } or
 * { found: false, reason }. Never throws for a missing oneDNN; `log` receives
 * progress lines.
 */
export function resolveOneDnn({ log = defaultLog, env = process.env } = {}) {
  const mode = oneDnnMode(env);
  if (mode === 'off') return { found: false, mode, reason: 'oneDNN was switched off with DECONV_ONEDNN=off' };
  try {
    if (env.DNNL_ROOT) return { mode, ...fromPrefix(path.resolve(env.DNNL_ROOT), log) };
    const system = fromSystem(log);
    if (system) return { mode, ...system };
    return { mode, ...fromWheels(log) };
  } catch (error) {
    if (!(error instanceof ResolveError)) throw error;
    return { found: false, mode, reason: error.message };
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes('--json');
  const unknown = process.argv.slice(2).filter((arg) => arg !== '--json');
  if (unknown.length > 0) {
    console.error(`usage: fetch-onednn.mjs [--json] (unknown: ${unknown.join(' ')})`);
    process.exit(2);
  }
  let result;
  try {
    result = resolveOneDnn();
  } catch (error) {
    console.error(`deconv: ${error.message}`);
    process.exit(2);
  }
  if (json) console.log(JSON.stringify(result, null, 2));
  else if (result.found) console.log(`deconv: oneDNN ${result.version} from ${result.description}\n  include: ${result.includeDir}\n  library: ${result.library}`);
  else console.log(`deconv: no oneDNN: ${result.reason}`);
  process.exit(result.found || result.mode === 'off' ? 0 : 1);
}
