/** The cuDNN backend's place: reported unavailable (with the addon's reason) until it is built. */
import { nativeAddon } from './native.js';
import type { Backend, BackendInfo } from './types.js';

let cachedInfo: BackendInfo | undefined;

function info(): BackendInfo {
  if (cachedInfo) return cachedInfo;
  const native = nativeAddon();
  const reason = native.reason ?? native.info?.backends.cudnn.reason ?? 'the native addon does not include the cuDNN backend';
  cachedInfo = { name: 'cudnn', available: false, reason };
  return cachedInfo;
}

function unavailable(): never {
  throw new Error(`backend 'cudnn' is not available: ${info().reason}`);
}

export const cudnnBackend: Backend = {
  name: 'cudnn',
  info,
  convTranspose: unavailable,
  convTransposeAsync: async () => unavailable(),
  pack: unavailable,
};
