// Worker threads and process exit with the addon loaded, run in a child process by
// test/concurrency.test.ts so that a crash or a hang fails a test instead of the runner.
//
//   node test/helpers/workers-child.mjs workers           4 workers at once, then 4 that leave with calls in flight
//   node test/helpers/workers-child.mjs only-workers      the addon loaded by workers alone, one leaving with calls in flight
//   node test/helpers/workers-child.mjs only-worker-then-exit   the process ends right after such a worker left
//   node test/helpers/workers-child.mjs exit-in-flight D  process.exit() D ms after starting async calls
//
// Prints one JSON line: the figures the test checks.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { seededTensor as tensor } from '../../scripts/lib/seeded-tensor.mjs';

const api = await import(new URL('../../dist/esm/index.js', import.meta.url).href);
const { nativeAddon } = await import(new URL('../../dist/esm/backends/native.js', import.meta.url).href);
// Not touched at import: in 'only-workers' mode the main thread never loads the addon.
const lazy = (make) => {
  let value;
  let made = false;
  return () => (made ? value : ((made = true), (value = make())));
};
const addonOf = lazy(() => nativeAddon().addon);
const nativeOf = lazy(() => (api.backends().find((b) => b.name === 'onednn' && b.available) ? 'onednn' : undefined));


function worst(a, b) {
  let peak = 1;
  for (const v of b) peak = Math.max(peak, Math.abs(v));
  let w = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1e-4 * (Math.abs(b[i]) + peak)));
  return w;
}

// Handles that must all go when their owners do (recycled blocks are a cache, not handles).
const live = () => {
  const handles = addonOf()?.debugLiveHandles?.();
  return handles ? { packedPlans: handles.packedPlans, bridges: handles.bridges } : null;
};

/** What a worker does: compute on every backend, sync, async and planned, against the reference. */
async function workerBody(seed) {
  const backend = nativeOf() ?? 'ts';
  let worstError = 0;
  let asyncMismatches = 0;
  for (let i = 0; i < 6; i++) {
    const n = 3 + ((seed + i) % 5);
    const X = tensor([1, 4, n, n + 1], seed * 100 + i);
    const W = tensor([4, 3, 3, 3], seed * 100 + i + 50);
    const attrs = { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 0] };
    const ref = api.convTranspose(X, W, null, { ...attrs, backend: 'ts' });
    const sync = api.convTranspose(X, W, null, { ...attrs, backend });
    const async = await api.convTransposeAsync(X, W, null, { ...attrs, backend });
    worstError = Math.max(worstError, worst(sync.data, ref.data));
    if (async.data.some((v, j) => !Object.is(v, sync.data[j]))) asyncMismatches++;
    const plan = api.convTransposePlan(X.shape, W, null, { ...attrs, backend });
    worstError = Math.max(worstError, worst((await plan.runAsync(X)).data, ref.data));
    if (i % 2 === 0) plan.dispose(); // the others are left to the environment's teardown
  }
  return { worstError, asyncMismatches };
}

/** A worker that leaves with async calls in flight: by process.exit() or by being terminated. */
function leaveInFlight(how) {
  const backend = nativeOf() ?? 'ts';
  if (workerData.fresh) {
    // A small plan, then one large call whose primitive the compute thread builds after the exit.
    api.convTransposePlan([1, 2, 3, 3], tensor([2, 2, 3, 3], 1), null, { backend });
    void api.convTransposeAsync(tensor([8, 64, 24, 24], 2), tensor([64, 32, 4, 4], 3), null, { backend }).catch(() => {});
    process.exit(0);
  }
  const X = tensor([4, 64, 24, 24], 1);
  const W = tensor([64, 32, 4, 4], 2);
  const plan = api.convTransposePlan(X.shape, W, null, { strides: [2, 2], pads: [1, 1, 1, 1], backend });
  for (let i = 0; i < 6; i++) {
    // Shapes of their own: the compute thread builds their primitives after the worker has gone.
    const Xi = tensor([2, 64, 20 + i, 21 + workerData.seed], i);
    void api.convTransposeAsync(Xi, W, null, { strides: [2, 2], pads: [1, 1, 1, 1], backend }).catch(() => {});
    void plan.runAsync(X).catch(() => {});
  }
  if (how === 'exit') process.exit(0);
  parentPort.postMessage('calls in flight');
}

function onExit(worker) {
  return new Promise((resolve) => worker.once('exit', resolve));
}

async function mainWorkers() {
  const before = live();
  // 4 workers at once, each loading the addon.
  const workers = Array.from({ length: 4 }, (_, i) => new Worker(new URL(import.meta.url), { workerData: { role: 'compute', seed: i + 1 } }));
  const exits = workers.map(onExit); // listening from the start: a worker may exit right after its message
  const results = await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  })));
  const codes = await Promise.all(exits);
  const afterWorkers = await settle(before);

  // 4 more that leave with calls in flight: two exit themselves, two are terminated.
  const leaving = ['exit', 'exit', 'terminate', 'terminate'].map((how, seed) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { role: 'leave', how, seed } });
    if (how === 'terminate') w.once('message', () => void w.terminate());
    return w;
  });
  const leaveCodes = await Promise.all(leaving.map(onExit));
  // The main thread still computes correctly afterwards, sync and async.
  const body = await workerBody(99);
  const afterLeaving = await settle(before);
  console.log(JSON.stringify({ native: nativeOf() ?? null, results, codes, leaveCodes, body, before, afterWorkers, afterLeaving }));
}

/** The live handle counts once they are back to `target` (calls still in flight may hold some), or after 10 s. */
async function settle(target) {
  const started = Date.now();
  for (;;) {
    const now = live();
    if (now === null || target === null) return now;
    if ((now.packedPlans === target.packedPlans && now.bridges === target.bridges) || Date.now() - started > 10_000) return now;
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function mainExitInFlight(delay) {
  const backend = nativeOf() ?? 'ts';
  const X = tensor([4, 64, 24, 24], 1);
  const W = tensor([64, 32, 4, 4], 2);
  const plan = api.convTransposePlan(X.shape, W, null, { strides: [2, 2], pads: [1, 1, 1, 1], backend });
  let settled = 0;
  for (let i = 0; i < 10; i++) {
    api.convTransposeAsync(X, W, null, { strides: [2, 2], pads: [1, 1, 1, 1], backend }).then(() => settled++);
    plan.runAsync(X).then(() => settled++);
  }
  setTimeout(() => {
    console.log(JSON.stringify({ native: nativeOf() ?? null, settled }));
    process.exit(0);
  }, delay);
}

/**
 * The addon loaded by workers only: the first leaves with calls in flight (Node then unloads an
 * addon no environment holds), the next loads it again and computes.
 */
async function mainOnlyWorkers() {
  const first = new Worker(new URL(import.meta.url), { workerData: { role: 'leave', how: 'exit', fresh: true } });
  const firstCode = await onExit(first);
  await new Promise((r) => setTimeout(r, 200)); // the calls it left behind finish meanwhile
  const second = new Worker(new URL(import.meta.url), { workerData: { role: 'compute', seed: 7 } });
  const exit = onExit(second);
  const result = await new Promise((resolve, reject) => {
    second.once('message', resolve);
    second.once('error', reject);
  });
  console.log(JSON.stringify({ firstCode, secondCode: await exit, result }));
}

if (isMainThread) {
  const mode = process.argv[2];
  if (mode === 'workers') await mainWorkers();
  else if (mode === 'only-workers') await mainOnlyWorkers();
  else if (mode === 'only-worker-then-exit') {
    // The process ends as soon as the only worker that loaded the addon has left its calls behind.
    const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'leave', how: 'exit', fresh: true } });
    console.log(JSON.stringify({ code: await onExit(worker) }));
  }
  else if (mode === 'exit-in-flight') await mainExitInFlight(Number(process.argv[3] ?? 0));
  else throw new Error(`unknown mode ${mode}`);
} else if (workerData.role === 'compute') {
  parentPort.postMessage(await workerBody(workerData.seed));
} else {
  leaveInFlight(workerData.how);
}
