/**
 * The oneDNN backend: deconvolution primitives on the CPU, through the addon. Sync calls read
 * the caller's arrays in place and write the caller's output; async calls run on the addon's
 * compute thread, one after another, each using all of oneDNN's threads.
 */
import { nativeAddon, type Addon } from './native.js';
import { packProblem } from './native-problem.js';
import { problemSizes } from '../problem/index.js';
import type { Backend, BackendInfo, GradientArrays, PackedWeights } from './types.js';

type OneDnnAddon = Required<
  Pick<
    Addon,
    | 'onednnRun'
    | 'onednnRunAsync'
    | 'onednnPack'
    | 'onednnRunPacked'
    | 'onednnRunPackedAsync'
    | 'onednnDispose'
    | 'onednnInfo'
    | 'onednnBackward'
    | 'onednnBackwardAsync'
  >
>;

let cachedInfo: BackendInfo | undefined;

/** What the addon says about oneDNN (fixed once the addon is loaded, so asked once). */
function info(): BackendInfo {
  cachedInfo ??= probe();
  return cachedInfo;
}

function probe(): BackendInfo {
  const native = nativeAddon();
  if (!native.addon || !native.info) return { name: 'onednn', available: false, reason: native.reason ?? 'the native addon is not loaded' };
  const entry = native.info.backends.onednn;
  if (!entry.compiled || !native.addon.onednnRun) {
    return { name: 'onednn', available: false, reason: entry.reason ?? 'the native addon was built without oneDNN' };
  }
  return { name: 'onednn', available: true, version: native.addon.onednnInfo?.().version ?? entry.version };
}

function addon(): OneDnnAddon {
  const native = nativeAddon();
  if (!native.addon?.onednnRun) throw new Error(`backend 'onednn' is not available: ${info().reason}`);
  return native.addon as OneDnnAddon;
}

export const onednnBackend: Backend = {
  name: 'onednn',
  info,
  convTranspose(p, x, w, bias, out) {
    addon().onednnRun(packProblem(p), p.math, x, w, bias ?? null, out);
  },
  convTransposeAsync(p, x, w, bias) {
    return addon().onednnRunAsync(packProblem(p), p.math, x, w, bias ?? null);
  },
  convTransposeBackward(p, x, w, dy, outputs) {
    addon().onednnBackward(packProblem(p), x, w, dy, outputs.dX ?? null, outputs.dW ?? null, outputs.dB ?? null);
  },
  async convTransposeBackwardAsync(p, x, w, dy, wanted) {
    const all = await addon().onednnBackwardAsync(packProblem(p), x, w, dy, wanted.dX, wanted.dW, wanted.dB);
    // One buffer holds the wanted gradients in order: hand out views of it.
    const sizes = problemSizes(p);
    const result: GradientArrays = {};
    let at = 0;
    const take = (n: number) => all.subarray(at, (at += n));
    if (wanted.dX) result.dX = take(sizes.input);
    if (wanted.dW) result.dW = take(sizes.filter);
    if (wanted.dB) result.dB = take(p.outChannels);
    return result;
  },
  pack(p, w, bias): PackedWeights {
    const a = addon();
    const handle = a.onednnPack(packProblem(p), p.math, w, bias ?? null);
    return {
      run: (x, out) => a.onednnRunPacked(handle, x, out),
      runAsync: (x) => a.onednnRunPackedAsync(handle, x),
      dispose: () => a.onednnDispose(handle),
    };
  },
};
