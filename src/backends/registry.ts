/** Which backends exist, which can be used, and which one a call runs on. */
import { describe } from '../errors.js';
import { cudnnBackend } from './cudnn.js';
import { onednnBackend } from './onednn.js';
import { tsBackend } from './ts.js';
import { BACKEND_NAMES, type Backend, type BackendChoice, type BackendInfo } from './types.js';

const ALL: Record<(typeof BACKEND_NAMES)[number], Backend> = {
  cudnn: cudnnBackend,
  onednn: onednnBackend,
  ts: tsBackend,
};

/** Every backend, best first, with whether it is available and why not. */
export function backends(): BackendInfo[] {
  return BACKEND_NAMES.map((name) => ALL[name].info());
}

/**
 * The backend a call runs on: the named one (which must be available) or, for 'auto', the best
 * available one (cuDNN, then oneDNN, then the TypeScript reference).
 */
export function selectBackend(choice: unknown, argument = 'options.backend', need: 'forward' | 'backward' = 'forward'): Backend {
  const serves = (b: Backend) => need === 'forward' || (b.convTransposeBackward !== undefined && b.convTransposeBackwardAsync !== undefined);
  if (choice === undefined || choice === 'auto') {
    for (const name of BACKEND_NAMES) {
      if (ALL[name].info().available && serves(ALL[name])) return ALL[name];
    }
    return tsBackend;
  }
  if (typeof choice !== 'string' || !(BACKEND_NAMES as readonly string[]).includes(choice)) {
    const expected = ['auto', ...BACKEND_NAMES].map((n) => `'${n}'`).join(', ');
    const error = typeof choice === 'string' ? RangeError : TypeError;
    throw new error(`${argument} must be one of ${expected}, but got ${describe(choice)}`);
  }
  const backend = ALL[choice as (typeof BACKEND_NAMES)[number]];
  const info = backend.info();
  if (!info.available) {
    throw new Error(`backend '${choice}' is not available: ${info.reason ?? 'no reason was reported'}`);
  }
  if (!serves(backend)) {
    throw new Error(`backend '${choice}' does not compute gradients (convTransposeBackward) yet; use 'auto' or another backend`);
  }
  return backend;
}

/**
 * Refuses a backend option that names no backend (a TypeError or RangeError naming `argument`), as
 * the op's own argument checks do; whether the named backend is available is decided when the call
 * runs (selectBackend).
 */
export function checkBackendChoice(choice: unknown, argument: string): void {
  if (choice === undefined || choice === 'auto') return;
  if (typeof choice === 'string' && (BACKEND_NAMES as readonly string[]).includes(choice)) return;
  const expected = ['auto', ...BACKEND_NAMES].map((n) => `'${n}'`).join(', ');
  const error = typeof choice === 'string' ? RangeError : TypeError;
  throw new error(`${argument} must be one of ${expected}, but got ${describe(choice)}`);
}

export type { Backend, BackendChoice, BackendInfo };
