#!/usr/bin/env node
// Finds or fetches what the cuDNN backend compiles against: cuda.h (the driver API) and the
// CUDA runtime headers cudnn.h includes, and cudnn.h itself. Used by scripts/build-native.mjs;
// also runnable alone:
//
//   node scripts/fetch-cuda.mjs [--json]
//
// Nothing is linked: the backend loads libcuda.so.1 and libcudnn.so.9 at run time (see
// native/cudnn/api.h), so one deconv.node serves machines with and without a GPU.
//
// DECONV_CUDNN selects:
//   off        build without the cuDNN backend.
//   auto       (default) headers from CUDNN_ROOT/CUDA_ROOT or the cache in .deps/; fetch the
//              wheels only on a machine with an NVIDIA driver (a CPU-only install does not
//              download half a gigabyte it cannot use).
//   on         fetch the wheels when no headers are found, GPU or not.
//   required   as on, and a failure is a build error (CI: the backend must not rot).
//
// Where the headers come from (the first that applies):
//   a) CUDNN_ROOT (include/cudnn.h) and CUDA_ROOT (include/cuda.h, cuda_runtime_api.h), e.g. a
//      CUDA toolkit and a cuDNN install; CUDA_ROOT defaults to /usr/local/cuda.
//   b) .deps/cuda-<runtime>-cudnn-<cudnn>/, unpacked from the PyPI wheels nvidia-cuda-runtime,
//      nvidia-cuda-crt and nvidia-cudnn-cu13 (hash-pinned below, fetched with `python3 -m pip download`).
//      Only the headers and cuDNN's 137 KB loader shim (libcudnn.so.9, which resolves every
//      API symbol and reports its version without a GPU) are kept; the kernels' libraries
//      (~900 MB) are not. DECONV_CUDA_WHEELS=<dir> takes the wheels from a local directory.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWheels, run, validWheelCache, WheelError } from './pypi-wheels.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Pinned to what the project's GPU machine runs (PyTorch 2.11's cuDNN 9.19.0 for CUDA 13.0), so
// the headers never offer an API newer than the library the backend meets there. Any cuDNN 9.x
// at run time works: the legacy and graph APIs used are those of 9.0.
const CUDA_RUNTIME = '13.0.88';
const CUDNN = '9.19.0.56';
const WHEELS = [
  {
    project: 'nvidia-cuda-runtime',
    version: CUDA_RUNTIME,
    file: `nvidia_cuda_runtime-${CUDA_RUNTIME}-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl`,
    sha256: '422a38f7c739ecbdd3a4b6ec7ed0a1d74db43d8e9bc26685f3d845638922b178',
    keep: [['nvidia/cu13/include/', 'include/']],
  },
  {
    // crt/host_defines.h and friends, which cuda_runtime_api.h includes.
    project: 'nvidia-cuda-crt',
    version: CUDA_RUNTIME,
    file: `nvidia_cuda_crt-${CUDA_RUNTIME}-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl`,
    sha256: '2c8043c7c9e02492716426e9919fc78d2c5b3b2a7a768a88e952676b08aa55a4',
    keep: [['nvidia/cu13/include/crt/', 'include/crt/']],
  },
  {
    project: 'nvidia-cudnn-cu13',
    version: CUDNN,
    file: `nvidia_cudnn_cu13-${CUDNN}-py3-none-manylinux_2_27_x86_64.whl`,
    sha256: 'd20e1734305e9d68889a96e3f35094d733ff1f83932ebe462753973e53a572bf',
    keep: [
      ['nvidia/cudnn/include/', 'include/'],
      ['nvidia/cudnn/lib/libcudnn.so.9', 'lib/libcudnn.so.9'],
    ],
  },
];
export const CACHE_DIR = path.join(root, '.deps', `cuda-${CUDA_RUNTIME}-cudnn-${CUDNN}`);
const REQUIRED = ['include/cudnn.h', 'include/cuda.h'];

class ResolveError extends Error {}

function defaultLog(line) {
  console.error(`deconv: ${line}`);
}

function cudnnVersion(includeDir) {
  const header = path.join(includeDir, 'cudnn_version.h');
  if (!existsSync(header)) return undefined;
  const text = readFileSync(header, 'utf8');
  const part = (name) => new RegExp(`#define\\s+CUDNN_${name}\\s+(\\d+)`).exec(text)?.[1];
  const [major, minor, patch] = ['MAJOR', 'MINOR', 'PATCHLEVEL'].map(part);
  return major === undefined ? undefined : `${major}.${minor}.${patch}`;
}

function cudaVersion(includeDir) {
  const text = readFileSync(path.join(includeDir, 'cuda.h'), 'utf8');
  const version = Number(/#define\s+CUDA_VERSION\s+(\d+)/.exec(text)?.[1] ?? 0);
  return `${Math.floor(version / 1000)}.${(version % 1000) / 10}`;
}

function fromRoots(env) {
  const cudnnRoot = env.CUDNN_ROOT ? path.resolve(env.CUDNN_ROOT) : undefined;
  const cudaRoot = path.resolve(env.CUDA_ROOT ?? '/usr/local/cuda');
  const cudnnInclude = cudnnRoot ? path.join(cudnnRoot, 'include') : undefined;
  const cudaInclude = path.join(cudaRoot, 'include');
  if (!cudnnInclude) return undefined;
  if (!existsSync(path.join(cudnnInclude, 'cudnn.h'))) throw new ResolveError(`CUDNN_ROOT=${cudnnRoot} has no include/cudnn.h`);
  if (!existsSync(path.join(cudaInclude, 'cuda.h'))) throw new ResolveError(`CUDA_ROOT=${cudaRoot} has no include/cuda.h`);
  const version = cudnnVersion(cudnnInclude);
  if (!version?.startsWith('9.')) throw new ResolveError(`CUDNN_ROOT=${cudnnRoot} holds cuDNN ${version ?? '(unknown)'}; deconv needs cuDNN 9`);
  return {
    found: true,
    description: `CUDNN_ROOT (${cudnnRoot}) and CUDA_ROOT (${cudaRoot})`,
    cudnnVersion: version,
    cudaVersion: cudaVersion(cudaInclude),
    includeDirs: [...new Set([cudnnInclude, cudaInclude])],
    shim: undefined,
  };
}

function validCache() {
  return validWheelCache(CACHE_DIR, WHEELS, REQUIRED);
}

// The NVIDIA driver's library, as the dynamic loader sees it (or its kernel module).
function hasNvidiaDriver() {
  if (existsSync('/proc/driver/nvidia/version')) return true;
  const cache = run('ldconfig', ['-p']);
  return !cache.error && /\blibcuda\.so\.1\b/.test(cache.stdout ?? '');
}

function fromWheels(log) {
  ensureWheels({
    cacheDir: CACHE_DIR,
    wheels: WHEELS,
    required: REQUIRED,
    what: `cuDNN ${CUDNN} and CUDA ${CUDA_RUNTIME} headers (about 500 MB, only the headers are kept)`,
    log,
  });
  const includeDir = path.join(CACHE_DIR, 'include');
  return {
    found: true,
    description: `PyPI wheels nvidia-cuda-runtime/-crt ${CUDA_RUNTIME} and nvidia-cudnn-cu13 ${CUDNN} (headers in ${path.relative(root, CACHE_DIR)})`,
    cudnnVersion: cudnnVersion(includeDir),
    cudaVersion: cudaVersion(includeDir),
    includeDirs: [includeDir],
    shim: path.join(CACHE_DIR, 'lib', 'libcudnn.so.9'),
  };
}

/** The DECONV_CUDNN setting: 'auto' (default), 'on', 'off' or 'required'. */
export function cudnnMode(env = process.env) {
  const value = (env.DECONV_CUDNN ?? '').trim().toLowerCase();
  if (value === '' || value === 'auto') return 'auto';
  if (['on', '1', 'true', 'yes'].includes(value)) return 'on';
  if (['off', '0', 'false', 'no'].includes(value)) return 'off';
  if (value === 'required') return 'required';
  throw new Error(`DECONV_CUDNN must be auto, on, off or required (got '${env.DECONV_CUDNN}')`);
}

/**
 * Finds or fetches the headers. Returns { found: true, description, cudnnVersion, cudaVersion,
 * includeDirs, shim } or { found: false, reason }. Never throws for missing headers.
 */
export function resolveCuda({ log = defaultLog, env = process.env } = {}) {
  const mode = cudnnMode(env);
  if (mode === 'off') return { found: false, mode, reason: 'the cuDNN backend was switched off with DECONV_CUDNN=off' };
  try {
    const roots = fromRoots(env);
    if (roots) return { mode, ...roots };
    if (mode === 'auto' && !validCache() && !hasNvidiaDriver()) {
      return {
        found: false,
        mode,
        reason: 'no NVIDIA driver on the build machine, so the CUDA and cuDNN headers were not fetched (DECONV_CUDNN=on builds the backend anyway)',
      };
    }
    return { mode, ...fromWheels(log) };
  } catch (error) {
    if (!(error instanceof ResolveError) && !(error instanceof WheelError)) throw error;
    return { found: false, mode, reason: error.message };
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = resolveCuda();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else if (result.found) console.log(`deconv: cuDNN ${result.cudnnVersion} / CUDA ${result.cudaVersion} headers from ${result.description}`);
  else console.log(`deconv: no cuDNN headers: ${result.reason}`);
  process.exit(result.found || result.mode === 'off' || result.mode === 'auto' ? 0 : 1);
}
