// Fetches hash-pinned PyPI wheels with pip and unpacks the parts a build step needs into a cache
// directory under .deps/. Shared by scripts/fetch-cuda.mjs (CUDA and cuDNN headers) and
// scripts/gen-kernels.mjs (nvcc, for the embedded PTX).
//
// A cache is valid while its stamp lists the same wheel hashes; otherwise it is rebuilt from
// scratch in a temporary directory and renamed into place, so an interrupted fetch never leaves a
// half-unpacked cache behind. DECONV_CUDA_WHEELS=<dir> takes the wheels from a local directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const STAMP = 'deconv-wheels.json';

/** A failure the caller reports as a reason (not a crash). */
export class WheelError extends Error {}

export function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

const UNPACK = `
import json, sys, zipfile
wheel, dest, keep = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
import os
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        for prefix, target in keep:
            if info.filename.startswith(prefix) and not info.filename.endswith('/'):
                out = os.path.join(dest, target + info.filename[len(prefix):])
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with z.open(info) as src, open(out, 'wb') as dst:
                    while True:
                        block = src.read(1 << 20)
                        if not block: break
                        dst.write(block)
                mode = (info.external_attr >> 16) & 0o777
                if mode: os.chmod(out, mode)
`;

/** Whether `cacheDir` holds exactly these wheels' unpacked parts (and the files in `required`). */
export function validWheelCache(cacheDir, wheels, required = []) {
  try {
    const stamp = JSON.parse(readFileSync(path.join(cacheDir, STAMP), 'utf8'));
    return JSON.stringify(stamp.wheels) === JSON.stringify(wheels.map((w) => w.sha256)) && required.every((file) => existsSync(path.join(cacheDir, file)));
  } catch {
    return false;
  }
}

/**
 * Makes `cacheDir` hold the `keep` parts of each wheel ({ project, version, file, sha256,
 * keep: [[prefixInWheel, targetInCache], ...] }). `what` names the download in the log line.
 * Throws WheelError with a one-line reason on failure.
 */
export function ensureWheels({ cacheDir, wheels, required = [], what, log }) {
  if (validWheelCache(cacheDir, wheels, required)) return;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new WheelError(`the NVIDIA wheels are fetched for Linux x86-64 only (this is ${process.platform}-${process.arch})`);
  }
  const python = process.env.PYTHON ?? 'python3';
  const depsDir = path.dirname(cacheDir);
  mkdirSync(depsDir, { recursive: true });
  const work = mkdtempSync(path.join(depsDir, '.wheels-'));
  try {
    const wheelDir = path.join(work, 'wheels');
    const staging = path.join(work, 'tree');
    mkdirSync(wheelDir);
    mkdirSync(staging);
    const requirements = path.join(wheelDir, 'requirements.txt');
    writeFileSync(requirements, wheels.map((w) => `${w.project}==${w.version} --hash=sha256:${w.sha256}\n`).join(''));
    const args = ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--require-hashes', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'];
    const local = process.env.DECONV_CUDA_WHEELS;
    if (local) args.push('--no-index', '--find-links', path.resolve(local));
    args.push('-r', requirements, '-d', wheelDir);
    const names = wheels.map((w) => `${w.project}==${w.version}`).join(', ');
    log(local ? `${what}: taking ${names} from DECONV_CUDA_WHEELS=${local}` : `${what}: downloading ${names} with pip (once)`);
    const result = run(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.error || result.status !== 0) {
      const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
      const why = output.split('\n').filter((line) => line.startsWith('ERROR:')).pop() ?? output.trim().split('\n').pop();
      throw new WheelError(`\`${python} -m pip download\` failed: ${why || result.error?.message}`);
    }
    for (const wheel of wheels) {
      const file = path.join(wheelDir, wheel.file);
      if (!existsSync(file)) throw new WheelError(`pip did not leave ${wheel.file} in ${wheelDir}`);
      const unpack = run(python, ['-c', UNPACK, file, staging, JSON.stringify(wheel.keep)]);
      if (unpack.status !== 0) throw new WheelError(`could not unpack ${wheel.file}: ${(unpack.stderr ?? '').trim().split('\n').pop()}`);
    }
    writeFileSync(
      path.join(staging, STAMP),
      `${JSON.stringify({ wheels: wheels.map((w) => w.sha256), note: 'unpacked by scripts/pypi-wheels.mjs; delete to fetch again' }, null, 2)}\n`,
    );
    rmSync(cacheDir, { recursive: true, force: true });
    renameSync(staging, cacheDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
