/** `deconv bench --setup`: which commands install which peers, and the dry run. */
import { describe, expect, it } from 'vitest';
import { runSetup, setupPlan, type SetupFacts } from '../../src/cli/setup.js';

const facts = (over: Partial<SetupFacts> = {}): SetupFacts => ({ root: '/repo', hasGpu: false, missingNpm: [], python: 'python3', ...over });

describe('setupPlan', () => {
  it('by default: the TF venv script, npm only when a peer is missing, PyTorch only with a GPU', () => {
    const plan = setupPlan([], facts());
    expect(plan.map((a) => a.step)).toEqual(['tf', 'npm', 'torch']);
    expect(plan[0]!.command).toEqual(['bash', '/repo/scripts/golden/setup.sh']);
    expect(plan[1]).toMatchObject({ skip: 'already installed' });
    expect(plan[1]!.command).toBeUndefined();
    expect(plan[2]!.skip).toMatch(/no NVIDIA GPU/);
  });
  it('installs missing npm peers with ONNX Runtime’s CUDA download off', () => {
    const a = setupPlan(['npm'], facts({ missingNpm: ['@tensorflow/tfjs-backend-wasm'] }))[0]!;
    expect(a.command).toEqual(['npm', 'install', '--no-audit', '--no-fund']);
    expect(a.env).toEqual({ ONNXRUNTIME_NODE_INSTALL_CUDA: 'skip' });
    expect(a.what).toContain('@tensorflow/tfjs-backend-wasm');
  });
  it('PyTorch from PyPI into .cache/torch-venv on a GPU machine, or when asked for', () => {
    for (const plan of [setupPlan([], facts({ hasGpu: true })), setupPlan(['torch'], facts())]) {
      const t = plan.find((a) => a.step === 'torch')!;
      expect(t.command?.[0]).toBe('sh');
      expect(t.command?.[2]).toMatch(/python3 -m venv '\/repo\/.cache\/torch-venv' && '\/repo\/.cache\/torch-venv\/bin\/python' -m pip install .*torch/);
    }
  });
});

describe('runSetup', () => {
  it('a dry run prints every command and skip, runs nothing, succeeds', () => {
    const lines: string[] = [];
    const status = runSetup(setupPlan([], facts({ missingNpm: ['onnxruntime-node'] })), { dryRun: true, log: (l) => lines.push(l) });
    expect(status).toBe(0);
    const text = lines.join('\n');
    expect(text).toContain('$ bash /repo/scripts/golden/setup.sh');
    expect(text).toContain('$ ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm install --no-audit --no-fund');
    expect(text).toMatch(/setup torch: .*no NVIDIA GPU/);
  });
  it('reports a failing command with status 1', () => {
    const lines: string[] = [];
    const status = runSetup([{ step: 'tf', what: 'a command that fails', command: ['sh', '-c', 'exit 3'] }], { dryRun: false, log: (l) => lines.push(l) });
    expect(status).toBe(1);
    expect(lines.join('\n')).toMatch(/setup tf: failed \(exit status 3\)/);
  });
});
