/**
 * `deconv bench`: the benchmark suite. The measuring is bench/lib/runner.mjs (which also backs the
 * GPU-free CI-style runs); this command parses the options, shows progress, writes the files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BENCH_HELP, parseBenchOptions, type BenchConfig } from './bench-options.js';
import { reportJson } from './json-report.js';
import { packageRoot } from './paths.js';
import { ProgressBar, type ProgressState, type ProgressStream } from './progress.js';
import type { BenchReport } from './report-types.js';
import { runSetup, setupFacts, setupPlan } from './setup.js';
import { barChartSvg } from './svg-chart.js';

export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
}

interface RunnerModule {
  runBench(config: BenchConfig, hooks: { log(line: string): void; progress(s: ProgressState): void }): Promise<BenchReport>;
}
interface MarkdownModule {
  markdown(report: BenchReport): string;
}

function writeFile(file: string, text: string): void {
  mkdirSync(dirname(resolve(file)), { recursive: true });
  writeFileSync(file, text);
}

export async function benchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseBenchOptions(argv);
  const say = (line: string): void => void io.stdout.write(`${line}\n`);
  if (options.help) {
    say(BENCH_HELP);
    return 0;
  }
  const root = packageRoot();
  if (options.setup) return runSetup(setupPlan(options.setup, setupFacts(root)), { dryRun: options.dryRun, log: say });

  // JSON on stdout: everything else goes to stderr, so that `deconv bench --json > out.json` works.
  const logStream = options.json === '-' ? io.stderr : io.stdout;
  const bar = new ProgressBar(io.stderr);
  const log = (line: string): void => (logStream === io.stderr ? bar.log(line) : (bar.done(), void logStream.write(`${line}\n`)));
  const runner = (await import(pathToFileURL(join(root, 'bench', 'lib', 'runner.mjs')).href)) as RunnerModule;
  let report: BenchReport;
  try {
    report = await runner.runBench(options.config, { log, progress: (s) => bar.update(s) });
  } finally {
    bar.done();
  }
  const wrote = (what: string): void => void io.stderr.write(`wrote ${what}\n`);
  if (options.json === '-') io.stdout.write(reportJson(report));
  else if (options.json) {
    writeFile(options.json, reportJson(report));
    wrote(options.json);
  }
  if (options.md) {
    const md = (await import(pathToFileURL(join(root, 'bench', 'lib', 'markdown.mjs')).href)) as MarkdownModule;
    writeFile(options.md, md.markdown(report));
    wrote(options.md);
  }
  if (options.chart) {
    writeFile(options.chart, barChartSvg(report));
    wrote(options.chart);
  }
  return report.failures.length ? 1 : 0;
}
