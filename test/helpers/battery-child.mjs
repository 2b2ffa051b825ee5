// Runs the bad-input battery (battery-cases.mjs) against the built package in this process and
// reports one JSON line per case on stdout: {"begin": id} before it, {"id", ...outcome} after.
// Run by test/battery.test.ts in a child process, so that a crash here fails a test instead of
// taking the test runner down: the last "begin" without its outcome names the case that crashed.
//
//   node test/helpers/battery-child.mjs <backend>
import { writeSync } from 'node:fs';
import { battery, controls, tracked } from './battery-cases.mjs';

const api = await import(new URL('../../dist/esm/index.js', import.meta.url).href);
const backend = process.argv[2] ?? 'ts';
// Written synchronously, whole, before the case runs: a stream write can still sit in Node's queue
// when the case crashes the process (the parent reads the pipe late under load), and the crash
// would then be blamed on no case (seen once in CI).
const emit = (record) => {
  const line = Buffer.from(`${JSON.stringify(record)}\n`);
  for (let at = 0; at < line.length; ) {
    try {
      at += writeSync(1, line, at);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error; // a full non-blocking pipe: try again
    }
  }
};

/** Which tracked tensors changed (the caller's data must survive a refused call). */
function corrupted() {
  const changed = [];
  tracked.forEach(({ data, copy }, i) => {
    if (data.length !== copy.length) return void (data.buffer.byteLength === 0 || changed.push(`#${i} (length)`));
    for (let j = 0; j < copy.length; j++) {
      if (!Object.is(data[j], copy[j])) return void changed.push(`#${i}[${j}]`);
    }
  });
  return changed;
}

const threads = api.getNumThreads();
for (const c of battery(api, backend)) {
  tracked.length = 0;
  emit({ begin: c.id });
  // For the test that proves a crash is caught and attributed to its case.
  if (process.env.DECONV_BATTERY_CRASH_AT === c.id) process.abort();
  let outcome;
  try {
    const result = c.run();
    if (result && typeof result.then === 'function') {
      try {
        await result;
        outcome = { how: 'resolved' };
      } catch (error) {
        outcome = { how: 'rejected', error };
      }
    } else {
      outcome = { how: 'returned' };
    }
  } catch (error) {
    outcome = { how: 'threw', error };
  }
  const e = outcome.error;
  emit({
    id: c.id,
    expected: c.kind,
    mentions: c.mentions,
    async: c.async,
    how: outcome.how,
    name: e instanceof Error ? e.constructor.name : e === undefined ? undefined : typeof e,
    message: e instanceof Error ? e.message : e === undefined ? undefined : String(e),
    corrupted: corrupted(),
  });
}
api.setNumThreads(threads);

for (const [id, run] of controls(api, backend)) {
  emit({ begin: id });
  try {
    await run();
    emit({ id, expected: 'ok', how: 'returned' });
  } catch (error) {
    emit({ id, expected: 'ok', how: 'threw', name: error?.constructor?.name, message: String(error?.message ?? error) });
  }
}
emit({ done: true });
