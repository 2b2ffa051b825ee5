/**
 * The backends a test suite runs on: the reference always, and every native backend this process
 * can use. A native backend that is not available is skipped with its reason printed, never
 * silently.
 */
import { backends, type BackendName } from '../../src/index.js';

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
