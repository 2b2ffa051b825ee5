/** `deconv bench` options: parsed and checked here, measured by bench/lib/runner.mjs. */
import { availableParallelism } from 'node:os';
import { listOption, numberOption, parseOptions, type OptionSpec } from './args.js';

export const SUITE_NAMES = ['dcgan', 'radford', 'unet', 'fsrcnn', 'style', 'depthwise', 'dilated', '1d', '3d', 'tiny'] as const;
export const BACKEND_NAMES = ['onednn', 'ts', 'cudnn'] as const;
export const PEER_NAMES = ['tf', 'ort', 'tfjs-cpu', 'tfjs-wasm', 'torch'] as const;
export const SETUP_STEPS = ['tf', 'npm', 'torch'] as const;

export type SetupStep = (typeof SETUP_STEPS)[number];

/** What the runner takes (bench/lib/runner.mjs defaultConfig has the same fields). */
export interface BenchConfig {
  suites: string[];
  layers: string[] | undefined;
  batch: number | undefined;
  quick: boolean;
  backends: string[];
  peers: string[];
  peersGiven: boolean;
  threads: number;
  targetS: number;
  rounds: number;
  tsMaxGflop: number;
  tfjsMaxGflop: number;
  concurrencyLayer: string;
  extras: boolean;
  python: string | undefined;
  /** A line for the report's header (e.g. what else ran on the machine). */
  note: string | undefined;
  command: string;
}

export interface BenchOptions {
  help: boolean;
  config: BenchConfig;
  /** A file, '-' for stdout (`--json` without a value), or undefined. */
  json: string | undefined;
  md: string | undefined;
  chart: string | undefined;
  /** `--setup [steps]`: install the peers instead of measuring. */
  setup: SetupStep[] | undefined;
  dryRun: boolean;
}

const SPEC: Record<string, OptionSpec> = {
  suite: { kind: 'string' },
  layers: { kind: 'string' },
  batch: { kind: 'string' },
  quick: { kind: 'boolean' },
  backends: { kind: 'string' },
  peers: { kind: 'string' },
  threads: { kind: 'string' },
  target: { kind: 'string' },
  rounds: { kind: 'string' },
  'ts-max-gflop': { kind: 'string' },
  'tfjs-max-gflop': { kind: 'string' },
  json: { kind: 'optional-string' },
  md: { kind: 'string' },
  chart: { kind: 'string' },
  'concurrency-layer': { kind: 'string' },
  'no-extras': { kind: 'boolean' },
  python: { kind: 'string' },
  note: { kind: 'string' },
  setup: { kind: 'optional-string' },
  'dry-run': { kind: 'boolean' },
  help: { kind: 'boolean' },
};

export const BENCH_HELP = `usage: deconv bench [options]                  (npm run bench -- [options])

Measures transposed-convolution layers (bench/suite.json) on deconv's backends and on the peers
that are installed, with the same threads for everyone. Missing peers are listed as skipped.

  --suite S[,S]        ${SUITE_NAMES.join('|')}|all (default all)
  --layers a,b         only these layers (names from bench/suite.json)
  --batch N            every chosen layer with batch N (renamed <layer>-bN)
  --quick              one mid-size layer per suite, few reps: under a minute on 2 cores
  --backends list      deconv backends: ${BACKEND_NAMES.join(',')} (default onednn,ts; one that is
                       not available here is skipped with the reason)
  --peers list         ${PEER_NAMES.join(',')} (tfjs = both tfjs backends; default all, each when
                       installed; none for none)
  --threads N          threads for every system (default: all cores, ${availableParallelism()} here)
  --target S           seconds of timed reps per system and layer (default 0.8, quick 0.2)
  --rounds R           the systems take turns R times per layer (default 4, quick 1)
  --ts-max-gflop G     the reference backend only on layers up to G GFLOP (default 2, quick 0.5)
  --tfjs-max-gflop G   TensorFlow.js only on layers up to G GFLOP (default 1, quick 0.5)
  --json [FILE]        write the results as JSON (to stdout without FILE; the log goes to stderr)
  --md FILE            write a Markdown report
  --chart FILE         write an SVG bar chart (GFLOP/s per layer, one colour per system)
  --concurrency-layer NAME   the layer of the async concurrency check (default unet-2-b1)
  --no-extras          skip the tiny-call, concurrency and changing-shape measurements
  --python PATH        the Python with TensorFlow (default .cache/golden-venv/bin/python)
  --note TEXT          a line for the report's header (what else shared the machine, ...)
  --setup [steps]      install the peers into local caches instead: ${SETUP_STEPS.join(',')}
                       (default tf,npm; torch too where an NVIDIA GPU is present)
  --dry-run            with --setup: print the commands only
  --help`;

const COMMAND = 'deconv bench';

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const o = parseOptions(COMMAND, argv, SPEC);
  const str = (name: string): string | undefined => {
    const v = o[name];
    return typeof v === 'string' ? v : undefined;
  };
  const quick = o.quick === true;
  const num = (name: string, fallback: number, limits: { min: number; max?: number; integer?: boolean }): number => {
    const v = str(name);
    return v === undefined ? fallback : numberOption(COMMAND, name, v, limits);
  };
  let peers: string[] = [...PEER_NAMES];
  const peersArg = str('peers');
  if (peersArg !== undefined) {
    const items = listOption(COMMAND, 'peers', peersArg, [...PEER_NAMES, 'tfjs', 'none']);
    if (items.includes('none') && items.length > 1) throw new RangeError(`${COMMAND}: --peers: 'none' cannot be combined with other peers`);
    peers = items.includes('none') ? [] : [...new Set(items.flatMap((p) => (p === 'tfjs' ? ['tfjs-cpu', 'tfjs-wasm'] : [p])))];
  }
  const suiteArg = str('suite');
  const suites = suiteArg === undefined ? ['all'] : listOption(COMMAND, 'suite', suiteArg, [...SUITE_NAMES, 'all']);
  const layersArg = str('layers');
  const batchArg = str('batch');
  const setupArg = o.setup;
  let setup: SetupStep[] | undefined;
  if (setupArg === true) setup = [];
  else if (typeof setupArg === 'string') setup = listOption(COMMAND, 'setup', setupArg, SETUP_STEPS) as SetupStep[];
  const json = o.json === true ? '-' : str('json');
  if (o['dry-run'] === true && setup === undefined) throw new RangeError(`${COMMAND}: --dry-run only goes with --setup`);
  const config: BenchConfig = {
    suites,
    layers: layersArg === undefined ? undefined : listOption(COMMAND, 'layers', layersArg),
    batch: batchArg === undefined ? undefined : numberOption(COMMAND, 'batch', batchArg, { min: 1, max: 4096, integer: true }),
    quick,
    backends: listOption(COMMAND, 'backends', str('backends') ?? 'onednn,ts', BACKEND_NAMES),
    peers,
    peersGiven: peersArg !== undefined,
    threads: num('threads', availableParallelism(), { min: 1, max: 1024, integer: true }),
    targetS: num('target', quick ? 0.2 : 0.8, { min: 0.01, max: 600 }),
    rounds: num('rounds', quick ? 1 : 4, { min: 1, max: 20, integer: true }),
    tsMaxGflop: num('ts-max-gflop', quick ? 0.5 : 2, { min: 0 }),
    tfjsMaxGflop: num('tfjs-max-gflop', quick ? 0.5 : 1, { min: 0 }),
    concurrencyLayer: str('concurrency-layer') ?? 'unet-2-b1',
    extras: o['no-extras'] !== true,
    python: str('python'),
    note: str('note'),
    command: ['deconv', 'bench', ...argv].join(' '),
  };
  return { help: o.help === true, config, json, md: str('md'), chart: str('chart'), setup, dryRun: o['dry-run'] === true };
}
