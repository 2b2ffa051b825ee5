// PyTorch as a peer (bench/torch_worker.py), when the chosen Python can `import torch`: on the
// CPU against deconv-oneDNN, or on CUDA against deconv-cuDNN when that backend runs too.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PythonWorker, workerEnv } from './python-worker.mjs';

/** The first Python that imports torch: --python, the TF virtualenv, then python3 on the PATH. */
function findTorchPython(ctx) {
  const candidates = [ctx.config.python, path.join(ctx.root, '.cache', 'golden-venv', 'bin', 'python'), path.join(ctx.root, '.cache', 'torch-venv', 'bin', 'python'), 'python3'].filter(Boolean);
  const tried = [];
  for (const py of candidates) {
    if (py.includes('/') && !existsSync(py)) continue;
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python: py };
    tried.push(`${path.isAbsolute(py) ? path.relative(ctx.root, py) : py}: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').pop()}`);
  }
  return { reason: `no Python here can \`import torch\` (${tried.join('; ')}); \`deconv bench --setup torch\` installs the CPU wheel into .cache/torch-venv` };
}

export async function startTorch(ctx, { wantCuda }) {
  const found = findTorchPython(ctx);
  if (!found.python) return { available: false, reason: found.reason };
  const device = wantCuda ? 'cuda' : 'cpu';
  const worker = new PythonWorker(found.python, path.join(ctx.benchDir, 'torch_worker.py'), ['--threads', String(ctx.threads), '--device', device], { cwd: ctx.root, env: workerEnv(ctx.threads, { gpu: wantCuda }), label: 'PyTorch' });
  try {
    const info = await worker.request({ cmd: 'info' });
    if (!info.ok) throw new Error(info.error);
    return { available: true, worker, info, version: info.torch, device };
  } catch (e) {
    await worker.close();
    return { available: false, reason: `PyTorch did not start: ${e.message}` };
  }
}
