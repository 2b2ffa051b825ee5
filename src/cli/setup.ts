/**
 * `deconv bench --setup`: installs the benchmark's peers into local caches, so that a newcomer can
 * reproduce the comparison with one command: TensorFlow CPU and ONNX Runtime's Python package
 * from PyPI into .cache/golden-venv (scripts/golden/setup.sh, pinned), the npm peers
 * (onnxruntime-node, TensorFlow.js cpu and wasm: devDependencies) with npm, and PyTorch from PyPI
 * into .cache/torch-venv where an NVIDIA GPU is present (or when asked for).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SetupStep } from './bench-options.js';

export interface SetupAction {
  step: SetupStep;
  what: string;
  /** argv of the command; absent when there is nothing to do. */
  command?: string[];
  env?: Record<string, string>;
  /** Why nothing is done. */
  skip?: string;
}

export interface SetupFacts {
  root: string;
  hasGpu: boolean;
  /** npm packages of the peers that do not resolve. */
  missingNpm: string[];
  python: string;
}

export const NPM_PEERS = ['onnxruntime-node', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm'];

export function setupFacts(root: string): SetupFacts {
  const req = createRequire(join(root, 'package.json'));
  const missingNpm = NPM_PEERS.filter((p) => {
    try {
      req.resolve(`${p}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
  return { root, hasGpu: smi.status === 0 && /GPU \d/.test(smi.stdout ?? ''), missingNpm, python: process.env.PYTHON ?? 'python3' };
}

/** The actions for these steps ([] = the default: tf and npm, and torch where a GPU is). */
export function setupPlan(steps: readonly SetupStep[], facts: SetupFacts): SetupAction[] {
  const wanted: SetupStep[] = steps.length ? [...steps] : ['tf', 'npm', 'torch'];
  const actions: SetupAction[] = [];
  for (const step of wanted) {
    if (step === 'tf') {
      actions.push({ step, what: 'TensorFlow CPU 2.21 and ONNX Runtime (Python) from PyPI into .cache/golden-venv (pinned in scripts/golden/requirements.txt)', command: ['bash', join(facts.root, 'scripts', 'golden', 'setup.sh')] });
    } else if (step === 'npm') {
      actions.push(
        facts.missingNpm.length
          ? { step, what: `npm peers from the registry: ${facts.missingNpm.join(', ')} (devDependencies)`, command: ['npm', 'install', '--no-audit', '--no-fund'], env: { ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip' } }
          : { step, what: `npm peers (${NPM_PEERS.join(', ')})`, skip: 'already installed' },
      );
    } else {
      const venv = join(facts.root, '.cache', 'torch-venv');
      if (!facts.hasGpu && !steps.includes('torch')) {
        actions.push({ step, what: 'PyTorch from PyPI into .cache/torch-venv', skip: 'no NVIDIA GPU here (nvidia-smi finds none): the PyTorch peer is for GPU machines; `--setup torch` installs it anyway' });
        continue;
      }
      const python = join(venv, 'bin', 'python');
      const script = `${existsSync(python) ? '' : `${facts.python} -m venv '${venv}' && `}'${python}' -m pip install --disable-pip-version-check torch numpy`;
      actions.push({ step, what: 'PyTorch and numpy from PyPI into .cache/torch-venv', command: ['sh', '-c', script] });
    }
  }
  return actions;
}

/** Runs (or, dry, prints) the actions; returns the exit status: 0 when every command succeeded. */
export function runSetup(actions: readonly SetupAction[], { dryRun, log }: { dryRun: boolean; log: (line: string) => void }): number {
  let status = 0;
  for (const a of actions) {
    if (!a.command) {
      log(`setup ${a.step}: ${a.what}: ${a.skip}`);
      continue;
    }
    const shown = `${a.env ? Object.entries(a.env).map(([k, v]) => `${k}=${v} `).join('') : ''}${a.command.join(' ')}`;
    log(`setup ${a.step}: ${a.what}\n  $ ${shown}`);
    if (dryRun) continue;
    const r = spawnSync(a.command[0]!, a.command.slice(1), { stdio: 'inherit', env: { ...process.env, ...a.env } });
    if (r.status !== 0) {
      log(`setup ${a.step}: failed (${r.error?.message ?? `exit status ${r.status}`})`);
      status = 1;
    }
  }
  return status;
}
