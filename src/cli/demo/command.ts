/** `deconv demo [--out DIR] [--backends list]` (also `npm run demo`). */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseOptions, listOption } from '../args.js';
import type { CliIo } from '../bench.js';
import type { BackendName } from '../../backends/types.js';
import { AGREEMENT_TOLERANCE, runDemo, textTable } from './run-demo.js';

export const DEMO_HELP = `usage: deconv demo [options]                  (npm run demo -- [options])

Upsamples a test scene ×2 and ×4 with a bilinear conv2dTranspose on every available backend,
shows checkerboard artifacts (kernel 3 vs kernel 4 vs resize-then-convolve), runs a small DCGAN
generator, and writes PNGs and report.html into the output folder. No download.

  --out DIR          output folder (default demo-output)
  --backends list    cudnn,onednn,ts (default: every available one; ts always runs, as the reference)
  --help`;

export interface DemoArgs {
  help: boolean;
  out: string;
  backends: BackendName[] | undefined;
}

export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const o = parseOptions('deconv demo', argv, { out: { kind: 'string' }, backends: { kind: 'string' }, help: { kind: 'boolean' } });
  return {
    help: o.help === true,
    out: typeof o.out === 'string' ? o.out : 'demo-output',
    backends: typeof o.backends === 'string' ? (listOption('deconv demo', 'backends', o.backends, ['cudnn', 'onednn', 'ts']) as BackendName[]) : undefined,
  };
}

export async function demoCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseDemoArgs(argv);
  const say = (line: string): void => void io.stdout.write(`${line}\n`);
  if (args.help) {
    say(DEMO_HELP);
    return 0;
  }
  const t0 = performance.now();
  const out = resolve(args.out);
  const r = runDemo({ out, ...(args.backends ? { backends: args.backends } : {}), log: say });
  say('');
  say(textTable(r));
  say('');
  const agree = r.maxDiff <= AGREEMENT_TOLERANCE;
  say(agree ? `The ${r.ran.length} backend(s) agree: largest difference from the reference ${r.maxDiff.toExponential(1)} (tolerance ${AGREEMENT_TOLERANCE}).` : `BACKENDS DISAGREE: largest difference ${r.maxDiff.toExponential(1)} > ${AGREEMENT_TOLERANCE}`);
  const unavailable = r.backends.filter((b) => !b.available);
  for (const b of unavailable) say(`(${b.name} not available here: ${b.reason})`);
  say(`Wrote ${r.files.join(', ')} to ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s; open ${resolve(out, 'report.html')}`);
  return agree ? 0 : 1;
}
