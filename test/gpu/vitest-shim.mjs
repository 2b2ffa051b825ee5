// The part of vitest's API that the golden and conformance suites use, for running them where
// vitest is not installed (the GPU machine: plain Node, see test/gpu/run.sh). Tests are collected
// by describe/it, then run() executes them in order and reports failures.
// Shared through globalThis: each bundled suite carries its own copy of this module.
const tests = (globalThis.__deconvShimTests ??= []);
const prefix = [];
const afterHooks = [];  // per open describe: its afterAll hooks

export function describe(name, body) {
  prefix.push(name);
  afterHooks.push([]);
  try {
    body();
  } finally {
    prefix.pop();
    for (const hook of afterHooks.pop()) tests.push({ name: `${[...prefix, name].join(' > ')} (afterAll)`, body: hook, hook: true });
  }
}

// Hooks run in the order they were declared, between the tests of their describe: beforeAll
// where it stands (before the tests declared after it), afterAll once the describe's tests end.
export function beforeAll(hook) {
  tests.push({ name: `${prefix.join(' > ')} (beforeAll)`, body: hook, hook: true });
}
export function afterAll(hook) {
  if (afterHooks.length) afterHooks[afterHooks.length - 1].push(hook);
  else tests.push({ name: '(afterAll)', body: hook, hook: true });
}

export function it(name, body) {
  tests.push({ name: [...prefix, name].join(' > '), body });
}
it.each = (table) => (name, body) => {
  table.forEach((row, index) => {
    const args = Array.isArray(row) ? [...row] : [row];
    const title = name.replace(/%s|%i|%d|%j|\$\w+|%#/g, (m) => (m === '%#' ? String(index) : m.startsWith('$') ? String(row?.[m.slice(1)]) : String(args.shift?.() ?? '')));
    it(title, () => body(...(Array.isArray(row) ? row : [row])));
  });
};
export const test = it;
describe.each = (table) => (name, body) => {
  for (const row of table) {
    const args = Array.isArray(row) ? row : [row];
    describe(name.replace(/%s|%i|%d/, String(args[0])), () => body(...args));
  }
};

const show = (v) => {
  try {
    return JSON.stringify(v)?.slice(0, 200);
  } catch {
    return String(v);
  }
};

function equal(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => equal(a[k], b[k]));
}

export function expect(actual, message) {
  const fail = (what) => {
    throw new Error(`${message ? `${message}: ` : ''}expected ${show(actual)} ${what}`);
  };
  return {
    toBe: (e) => Object.is(actual, e) || fail(`to be ${show(e)}`),
    toEqual: (e) => equal(actual, e) || fail(`to equal ${show(e)}`),
    toBeDefined: () => actual !== undefined || fail('to be defined'),
    toMatch: (re) => (typeof re === 'string' ? actual.includes(re) : re.test(actual)) || fail(`to match ${re}`),
    toBeLessThanOrEqual: (e) => actual <= e || fail(`to be <= ${e}`),
    toBeLessThan: (e) => actual < e || fail(`to be < ${e}`),
    toBeGreaterThanOrEqual: (e) => actual >= e || fail(`to be >= ${e}`),
    toBeGreaterThan: (e) => actual > e || fail(`to be > ${e}`),
    toBeInstanceOf: (c) => actual instanceof c || fail(`to be an instance of ${c.name}`),
    toThrow: (what) => {
      try {
        actual();
      } catch (error) {
        if (what === undefined) return true;
        if (typeof what === 'function') return error instanceof what || fail(`to throw a ${what.name}, threw ${error}`);
        const text = String(error?.message ?? error);
        return (typeof what === 'string' ? text.includes(what) : what.test(text)) || fail(`to throw ${what}, threw ${text}`);
      }
      return fail('to throw');
    },
  };
}

/** Runs the collected tests; returns { passed, failed, failures }. */
export async function run(filter = () => true) {
  let passed = 0;
  const failures = [];
  for (const t of tests.splice(0)) {
    if (!filter(t.name)) continue;
    try {
      await t.body();
      if (!t.hook) passed++;
    } catch (error) {
      failures.push(`${t.name}: ${error?.message ?? error}`);
    }
  }
  return { passed, failed: failures.length, failures };
}
