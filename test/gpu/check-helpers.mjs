// What the device checks share (test/gpu/check.mjs on the GPU machine, and
// test/device-training.test.ts, which runs test/gpu/training.mjs against a stand-in addon):
// a seeded random source, random tensors, the tolerance comparison, rounding to a device dtype,
// and the failure log.
import { createRequire } from 'node:module';

/** A fresh checker: its own seed, failure list and check count. */
export function makeChecker({ seed = 12345, log = (line) => console.log(line) } = {}) {
  const failures = [];
  let checks = 0;
  const fail = (what) => {
    failures.push(what);
    log(`FAIL ${what}`);
  };
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = (list) => list[Math.floor(random() * list.length)];
  const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const size = (shape) => shape.reduce((a, b) => a * b, 1);
  const tensor = (shape) => ({ shape, data: Float32Array.from({ length: size(shape) }, () => random() * 2 - 1) });

  // |a − e| ≤ tol·|e| + tol·max(1, max|e|), as the golden suite measures.
  const compare = (label, actual, expected, tol) => {
    checks++;
    if (actual.length !== expected.length) return fail(`${label}: ${actual.length} values, expected ${expected.length}`);
    let scale = 1;
    for (const v of expected) scale = Math.max(scale, Math.abs(v));
    let worst = 0;
    let at = -1;
    for (let i = 0; i < expected.length; i++) {
      const err = Math.abs(actual[i] - expected[i]) / (tol * Math.abs(expected[i]) + tol * scale);
      if (!(err <= worst)) {
        worst = err;
        at = i;
      }
    }
    if (!(worst <= 1)) fail(`${label}: element ${at} is ${actual[at]}, expected ${expected[at]} (${worst.toFixed(2)}× the tolerance ${tol})`);
  };

  // The addon's own host conversion (round to nearest even), as the device tensors store values.
  const addon = createRequire(import.meta.url)(process.env.DECONV_ADDON_PATH);
  const rounded = (t, dtype) => (dtype === 'float32' ? t : { shape: t.shape, data: addon.cudnnConvert(t.data, dtype) });

  return { failures, checks: () => checks, fail, log, random, pick, int, size, tensor, compare, rounded, addon };
}
