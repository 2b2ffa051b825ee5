/**
 * The cuDNN backend: transposed convolution as cuDNN's backward-data convolution on an NVIDIA
 * GPU. Host tensors are staged through pinned memory; device tensors (src/device-tensor.ts) stay
 * on the device. Available when the addon was built with it and, at run time, the NVIDIA driver,
 * a device and libcudnn.so.9 are all there; otherwise `info().reason` says which is missing.
 */
import { nativeAddon, type Addon, type CudnnCallOptions, type CudnnOperand, type CudnnStatus } from './native.js';
import { packProblem } from './native-problem.js';
import type { Backend, BackendCallOptions, BackendInfo, GradientArrays, PackedWeights } from './types.js';
import type { ConvTransposeProblem } from '../problem/index.js';

type CudnnAddon = Required<Pick<Addon, 'cudnnInfo' | 'cudnnRun' | 'cudnnBackward' | 'cudnnPack' | 'cudnnRunPacked' | 'cudnnDisposePlan' | 'cudnnDescribePlan'>>;

let cachedStatus: CudnnStatus | undefined;
let cachedInfo: BackendInfo | undefined;

/** What the addon found at run time (driver, devices, libcudnn), asked once. */
export function cudnnStatus(): CudnnStatus | undefined {
  if (cachedStatus) return cachedStatus;
  const addon = nativeAddon().addon;
  if (!addon?.cudnnInfo) return undefined;
  cachedStatus = addon.cudnnInfo();
  return cachedStatus;
}

function info(): BackendInfo {
  cachedInfo ??= probe();
  return cachedInfo;
}

function probe(): BackendInfo {
  const native = nativeAddon();
  if (!native.addon || !native.info) return { name: 'cudnn', available: false, reason: native.reason ?? 'the native addon is not loaded' };
  const status = cudnnStatus();
  if (!status) return { name: 'cudnn', available: false, reason: native.info.backends.cudnn.reason ?? 'the native addon was built without cuDNN' };
  if (!status.available) return { name: 'cudnn', available: false, reason: status.reason ?? 'unknown reason', ...(status.version ? { version: status.version } : {}) };
  return { name: 'cudnn', available: true, version: status.version ?? status.headerVersion };
}

export function cudnnAddon(): CudnnAddon {
  const native = nativeAddon();
  if (!native.addon?.cudnnRun || !info().available) throw new Error(`backend 'cudnn' is not available: ${info().reason}`);
  return native.addon as CudnnAddon;
}

/** The native options of one call: the problem's math and the caller's cuDNN settings. */
export function cudnnOptions(p: ConvTransposeProblem, options: BackendCallOptions | undefined): CudnnCallOptions {
  return {
    math: p.math,
    device: options?.device ?? 0,
    allowTF32: options?.allowTF32 ?? false,
    deterministic: options?.deterministic ?? false,
    benchmark: options?.benchmark ?? false,
  };
}

export const cudnnBackend: Backend = {
  name: 'cudnn',
  info,
  convTranspose(p, x, w, bias, out, options) {
    cudnnAddon().cudnnRun(packProblem(p), cudnnOptions(p, options), x, w, bias ?? null, out, 'sync');
  },
  async convTransposeAsync(p, x, w, bias, options) {
    return (await cudnnAddon().cudnnRun(packProblem(p), cudnnOptions(p, options), x, w, bias ?? null, null, 'async')) as Float32Array;
  },
  convTransposeBackward(p, x, w, dy, outputs, options) {
    cudnnAddon().cudnnBackward(packProblem(p), cudnnOptions(p, options), x, w, dy, { dX: outputs.dX ?? null, dW: outputs.dW ?? null, dB: outputs.dB ?? null }, 'sync');
  },
  async convTransposeBackwardAsync(p, x, w, dy, wanted, options) {
    return (await cudnnAddon().cudnnBackward(packProblem(p), cudnnOptions(p, options), x, w, dy, { ...wanted }, 'async')) as GradientArrays;
  },
  pack(p, w, bias, options): PackedWeights {
    const addon = cudnnAddon();
    const handle = addon.cudnnPack(packProblem(p), cudnnOptions(p, options), w, bias ?? null);
    return {
      run: (x, out) => void addon.cudnnRunPacked(handle, x, out, 'sync'),
      runAsync: async (x) => (await addon.cudnnRunPacked(handle, x, null, 'async')) as Float32Array,
      dispose: () => addon.cudnnDisposePlan(handle),
      native: handle,
    };
  },
};

export type { CudnnOperand };
