/**
 * The backends a test suite runs on: the reference always, and every native backend this process
 * can use. A native backend that is not available is skipped with its reason printed, never
 * silently.
 */
import { backends, type BackendName } from '../../src/index.js';
import { cudnnBackend } from '../../src/backends/cudnn.js';
import { onednnBackend } from '../../src/backends/onednn.js';
import { tsBackend } from '../../src/backends/ts.js';
import type { Backend } from '../../src/backends/types.js';

const backendObject = (name: BackendName): Backend => ({ cudnn: cudnnBackend, onednn: onednnBackend, ts: tsBackend })[name];

export function backendsUnderTest(): BackendName[] {
  const names: BackendName[] = [];
  for (const b of backends()) {
    if (b.available) names.push(b.name);
    else if (!reported.has(b.name)) {
      reported.add(b.name);
      console.warn(`[deconv tests] backend '${b.name}' skipped: ${b.reason}`);
    }
  }
  return names.reverse(); // 'ts' first: the reference's failures are the most telling
}

const reported = new Set<string>();

/** The native backends available here (possibly none). */
export function nativeBackendsUnderTest(): BackendName[] {
  return backendsUnderTest().filter((b) => b !== 'ts');
}

/**
 * The backends that compute gradients here: those under test that implement the backward
 * methods. One that is available but has none yet is skipped with that reason printed.
 */
export function gradientBackendsUnderTest(): BackendName[] {
  return backendsUnderTest().filter((name) => {
    const b = backendObject(name);
    if (b.convTransposeBackward && b.convTransposeBackwardAsync) return true;
    if (!reported.has(`${name}:backward`)) {
      reported.add(`${name}:backward`);
      console.warn(`[deconv tests] backend '${name}' skipped for gradients: it has no backward methods yet`);
    }
    return false;
  });
}
