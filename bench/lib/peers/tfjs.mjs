// TensorFlow.js as peers, in this process: @tensorflow/tfjs-backend-cpu (plain JavaScript, one
// thread: it has no thread setting) and @tensorflow/tfjs-backend-wasm (XNNPACK + SIMD). The wasm
// backend's threaded binary needs Emscripten pthreads, i.e. Web Workers: under Node it fails to
// initialize even with SharedArrayBuffer present, so it runs its single-threaded SIMD binary; the
// report says which (threads, SIMD) it ran with.
import { readFileSync } from 'node:fs';
import path from 'node:path';

let core; // @tensorflow/tfjs-core, shared by both backends (one engine per process)

async function loadCore() {
  core ??= await import('@tensorflow/tfjs-core');
  core.env().set('PROD', true); // silences the "install tfjs-node" notice; no effect on the kernels
  return core;
}

function version(ctx, pkg) {
  return JSON.parse(readFileSync(path.join(ctx.root, 'node_modules', ...pkg.split('/'), 'package.json'), 'utf8')).version;
}

export async function startTfjs(ctx, which) {
  const pkg = `@tensorflow/tfjs-backend-${which}`;
  try {
    const tf = await loadCore();
    const mod = await import(pkg);
    let threads = 1;
    let note = 'plain JavaScript on the main thread (no thread setting)';
    if (which === 'wasm') {
      // Asked for the same thread count as everyone; the backend takes it only with pthreads.
      mod.setThreadsCount?.(ctx.threads);
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      threads = mod.getThreadsCount?.() ?? 1;
      note = `${mt ? 'threaded' : 'single-threaded'} ${simd ? 'SIMD ' : ''}binary, ${threads} thread(s)` + (mt ? '' : ` (asked for ${ctx.threads}: the threaded binary needs Web Workers, which Node lacks; SharedArrayBuffer ${typeof SharedArrayBuffer === 'function' ? 'present' : 'absent'})`);
    } else if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") failed');
    return { available: true, tf, backend: which, version: `${version(ctx, pkg)} (tfjs-core ${version(ctx, '@tensorflow/tfjs-core')})`, threads, note };
  } catch (e) {
    return { available: false, reason: `${pkg} is not installed or does not start (${e.message.split('\n')[0]}): it is a devDependency, run \`npm install\`` };
  }
}

/** Why tfjs cannot run this layer, or undefined. */
export function tfjsSkipReason(L) {
  if (L.tf.skip) return `no TF-API spelling: ${L.tf.skip}`;
  if (L.group > 1) return `groups = ${L.group}: tf.conv${L.rank}dTranspose has no groups`;
  if (L.dilations.some((d) => d > 1)) return `dilations ${JSON.stringify(L.dilations)}: tf.conv${L.rank}dTranspose has no dilations`;
  if (L.tf.rank === 3 && typeof L.tf.padding !== 'string') return 'tf.conv3dTranspose takes only valid or same padding';
  return undefined;
}

/**
 * A runner for the benchmark loop: `enter` selects the backend and uploads x and w (not timed),
 * `fn` is one call plus dataSync() (what a caller needs to read the result), `leave` frees them.
 */
export function tfjsRunner(peer, L, xNhwc, wTf) {
  const { tf } = peer;
  // tfjs has no conv1dTranspose: a 1-D layer runs as conv2dTranspose over a unit H (what
  // tf.nn.conv1d_transpose does inside); the explicit-padding spelling is already 2-D.
  const t = L.tf.rank === 1 ? { ...L.tf, rank: 2, xShape: [L.N, 1, L.inS[0], L.C], wShape: [1, L.K[0], L.Mg, L.C], outputShape: [L.N, 1, L.outS[0], L.M], strides: [1, L.tf.strides[0]] } : L.tf;
  const pad = typeof t.padding === 'string' ? t.padding.toLowerCase() : t.padding;
  let x;
  let w;
  let last;
  const call = t.rank === 3 ? () => tf.conv3dTranspose(x, w, t.outputShape, t.strides, pad) : () => tf.conv2dTranspose(x, w, t.outputShape, t.strides, pad);
  return {
    enter: async () => {
      await tf.setBackend(peer.backend);
      x = tf.tensor(xNhwc, t.xShape);
      w = tf.tensor(wTf, t.wShape);
    },
    fn: () => {
      const y = call();
      last = y.dataSync();
      y.dispose();
    },
    output: () => last,
    leave: () => {
      x?.dispose();
      w?.dispose();
      x = w = undefined;
    },
    nhwc: true,
  };
}
