// Reproducible test data for the plain-JavaScript harnesses (scripts/soak.mjs and the child
// processes of the tests): values in [-1, 1) from a 32-bit LCG, the same for the same seed.

/** n values in [-1, 1) from `seed`. */
export function seededValues(n, seed) {
  const data = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return data;
}

/** A tensor { shape, data } of seeded values. */
export const seededTensor = (shape, seed) => ({ shape, data: seededValues(shape.reduce((a, b) => a * b, 1), seed) });
