// TensorFlow CPU as a peer: bench/tf_worker.py in the TF virtualenv (tf.function around
// tf.nn.conv{1,2,3}d_transpose), with probes of what TF's CPU kernels refuse.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prod, randomData } from '../util.mjs';
import { PythonWorker, workerEnv } from './python-worker.mjs';

export async function startTf(ctx) {
  const python = ctx.config.python ?? path.join(ctx.root, '.cache', 'golden-venv', 'bin', 'python');
  if (!existsSync(python)) {
    return { available: false, reason: `no Python with TensorFlow at ${path.relative(ctx.root, python)}: run \`deconv bench --setup\` (or \`bash scripts/golden/setup.sh\`)` };
  }
  const worker = new PythonWorker(python, path.join(ctx.benchDir, 'tf_worker.py'), ['--threads', String(ctx.threads)], { cwd: ctx.root, env: workerEnv(ctx.threads), label: 'TF' });
  try {
    const info = await worker.request({ cmd: 'info' });
    if (!info.ok) throw new Error(info.error);
    const peer = { available: true, worker, info, version: info.tf, probes: {} };
    // What TF's CPU kernels refuse, asked of TF itself on small layers (so that a skip quotes TF).
    const probe = async (what, wShape, outputShape, extra) => {
      const x = path.join(ctx.tmp, 'probe-x.f32');
      const w = path.join(ctx.tmp, 'probe-w.f32');
      writeFileSync(x, randomData(1 * 5 * 5 * 4, 1));
      writeFileSync(w, randomData(prod(wShape), 2));
      const r = await worker.request({ cmd: 'run', op: 'conv2d_transpose', x, xShape: [1, 5, 5, 4], w, wShape, outputShape, strides: [2, 2], padding: 'SAME', warmup: 1, minReps: 1, maxReps: 1, ...extra });
      peer.probes[what] = r.ok ? { ok: true } : { ok: false, error: r.error };
    };
    await probe('groups', [3, 3, 2, 4], [1, 10, 10, 4], {});
    await probe('dilations', [3, 3, 6, 4], [1, 10, 10, 6], { dilations: [1, 2, 2, 1] });
    return peer;
  } catch (e) {
    await worker.close();
    return { available: false, reason: `TensorFlow did not start: ${e.message}` };
  }
}

/** Why TF cannot run this layer, or undefined. */
export function tfSkipReason(peer, L) {
  const probes = peer.probes ?? {};
  if (L.tf.skip) return `no tf.nn spelling: ${L.tf.skip}`;
  if (L.group > 1 && probes.groups && !probes.groups.ok) return `groups = ${L.group}: TF ${peer.version} CPU refuses grouped conv*_transpose ("${probes.groups.error}")`;
  if (L.dilations.some((d) => d > 1) && probes.dilations && !probes.dilations.ok) return `dilations ${JSON.stringify(L.dilations)}: TF ${peer.version} CPU refuses them ("${probes.dilations.error}")`;
  return undefined;
}
