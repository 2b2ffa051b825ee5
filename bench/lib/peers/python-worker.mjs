// A long-lived Python subprocess that answers JSON lines (bench/tf_worker.py, bench/torch_worker.py):
// one request per line on its stdin, one answer per line on its stdout, in order.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sleep } from '../util.mjs';

export class PythonWorker {
  constructor(python, script, args, { cwd, env, label }) {
    this.label = label;
    this.stderr = '';
    this.queue = [];
    this.dead = undefined;
    this.proc = spawn(python, ['-u', script, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.proc.on('exit', (code) => {
      this.dead = `the ${label} worker exited (code ${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      for (const q of this.queue.splice(0)) q.reject(new Error(this.dead));
    });
    this.proc.on('error', (e) => {
      this.dead = `cannot start ${python}: ${e.message}`;
      for (const q of this.queue.splice(0)) q.reject(new Error(this.dead));
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      const q = this.queue.shift();
      if (!q) return;
      try {
        q.resolve(JSON.parse(line));
      } catch {
        q.reject(new Error(`bad answer from the ${label} worker: ${line.slice(0, 200)}`));
      }
    });
  }

  request(obj) {
    if (this.dead) return Promise.reject(new Error(this.dead));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.proc.stdin.write(JSON.stringify(obj) + '\n');
    });
  }

  async close() {
    if (this.dead) return;
    try {
      await Promise.race([this.request({ cmd: 'exit' }), sleep(5000)]);
    } catch {
      /* gone already */
    }
    this.proc.kill();
  }
}

/** The environment of a peer's Python: the same thread count for its BLAS/OpenMP, no GPU unless asked. */
export function workerEnv(threads, { gpu = false } = {}) {
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  if (!gpu) env.CUDA_VISIBLE_DEVICES = '';
  return env;
}
