/**
 * The native backends (oneDNN on CPUs, cuDNN on NVIDIA GPUs) as the addon reports them. Each one is
 * optional at build time and says at run time whether it can be used and, if not, why.
 */
import { loadAddon } from './addon-loader.cjs';
import type { Backend, BackendInfo } from './types.js';

/** What the addon's buildInfo() returns. */
export interface AddonBuildInfo {
  addonVersion: string;
  napiVersion: number;
  compiler: string;
  backends: Record<'onednn' | 'cudnn', { compiled: boolean; reason?: string; version?: string }>;
}

interface Addon {
  buildInfo(): AddonBuildInfo;
}

let cached: { addon?: Addon; info?: AddonBuildInfo; reason?: string } | undefined;

/** Loads the addon once; later calls return the same result. */
export function nativeAddon(): { addon?: Addon; info?: AddonBuildInfo; reason?: string } {
  if (cached) return cached;
  const load = loadAddon();
  if (!load.ok) {
    cached = { reason: load.reason };
  } else {
    try {
      const addon = load.addon as Addon;
      cached = { addon, info: addon.buildInfo() };
    } catch (error) {
      cached = { reason: `the native addon at ${load.path} did not report its build: ${(error as Error).message}` };
    }
  }
  return cached;
}

/** A native backend that the addon does not provide (not built, or built without it). */
function unavailableNative(name: 'onednn' | 'cudnn'): Backend {
  return {
    name,
    info(): BackendInfo {
      const native = nativeAddon();
      const entry = native.info?.backends[name];
      const reason = native.reason ?? entry?.reason ?? `the native addon does not include the ${name} backend`;
      return { name, available: false, reason };
    },
    convTranspose(): void {
      throw new Error(`backend '${name}' is not available: ${this.info().reason}`);
    },
  };
}

export const onednnBackend: Backend = unavailableNative('onednn');
export const cudnnBackend: Backend = unavailableNative('cudnn');
