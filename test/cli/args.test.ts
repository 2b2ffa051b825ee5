/** The CLI's argument parsing: `deconv bench` and `deconv demo` options, and `deconv` itself. */
import { describe, expect, it } from 'vitest';
import { listOption, numberOption, parseOptions } from '../../src/cli/args.js';
import { parseBenchOptions, PEER_NAMES } from '../../src/cli/bench-options.js';
import { parseDemoArgs } from '../../src/cli/demo/command.js';
import { main } from '../../src/cli/main.js';

function capture(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } },
    out: () => out,
    err: () => err,
  };
}

describe('parseOptions', () => {
  const spec = { a: { kind: 'string' }, f: { kind: 'boolean' }, o: { kind: 'optional-string' } } as const;
  it('reads --name value, --name=value, flags and optional values', () => {
    expect(parseOptions('t', ['--a', 'x', '--f', '--o'], spec)).toEqual({ a: 'x', f: true, o: true });
    expect(parseOptions('t', ['--a=y', '--o', 'file.json'], spec)).toEqual({ a: 'y', o: 'file.json' });
    expect(parseOptions('t', ['--o', '--f'], spec)).toEqual({ o: true, f: true });
  });
  it('refuses unknown options, missing values, repeats, values on flags and bare words, naming them', () => {
    expect(() => parseOptions('t', ['--nope'], spec)).toThrow(/unknown option --nope/);
    expect(() => parseOptions('t', ['--a'], spec)).toThrow(/--a needs a value/);
    expect(() => parseOptions('t', ['--a', '--f'], spec)).toThrow(/--a needs a value/);
    expect(() => parseOptions('t', ['--a=1', '--a=2'], spec)).toThrow(/--a is given twice/);
    expect(() => parseOptions('t', ['--f=yes'], spec)).toThrow(/--f takes no value/);
    expect(() => parseOptions('t', ['stray'], spec)).toThrow(RangeError);
  });
  it('checks lists and numbers', () => {
    expect(listOption('t', 'x', 'a, b', ['a', 'b'])).toEqual(['a', 'b']);
    expect(() => listOption('t', 'x', 'a,c', ['a', 'b'])).toThrow(/--x: unknown 'c'/);
    expect(() => listOption('t', 'x', ',', undefined)).toThrow(/at least one/);
    expect(numberOption('t', 'n', '3', { min: 1, integer: true })).toBe(3);
    expect(() => numberOption('t', 'n', '2.5', { min: 1, integer: true })).toThrow(/--n must be an integer ≥ 1, got '2.5'/);
    expect(() => numberOption('t', 'n', 'abc', { min: 0 })).toThrow(RangeError);
    expect(() => numberOption('t', 'n', '', { min: 0 })).toThrow(RangeError);
  });
});

describe('deconv bench options', () => {
  it('defaults: every suite, onednn and ts, every peer, full timing', () => {
    const o = parseBenchOptions([]);
    expect(o.help).toBe(false);
    expect(o.config).toMatchObject({ suites: ['all'], backends: ['onednn', 'ts'], peers: [...PEER_NAMES], quick: false, targetS: 0.8, rounds: 4, tsMaxGflop: 2, extras: true });
    expect(o.config.threads).toBeGreaterThanOrEqual(1);
    expect(o.json).toBeUndefined();
    expect(o.setup).toBeUndefined();
  });
  it('--quick shortens the timing; explicit values win', () => {
    expect(parseBenchOptions(['--quick']).config).toMatchObject({ quick: true, targetS: 0.2, rounds: 1, tsMaxGflop: 0.5 });
    expect(parseBenchOptions(['--quick', '--target', '1.5', '--rounds', '3']).config).toMatchObject({ targetS: 1.5, rounds: 3 });
  });
  it('--json alone means stdout, --json FILE a file; --md and --chart take files', () => {
    expect(parseBenchOptions(['--quick', '--json']).json).toBe('-');
    expect(parseBenchOptions(['--json', 'out.json', '--md', 'r.md', '--chart', 'c.svg'])).toMatchObject({ json: 'out.json', md: 'r.md', chart: 'c.svg' });
    expect(() => parseBenchOptions(['--chart'])).toThrow(/--chart needs a value/);
  });
  it('suites, layers, batch, backends and peers (tfjs expands to both backends; none for none)', () => {
    const o = parseBenchOptions(['--suite', 'dcgan,1d', '--layers', 'unet-2-b1', '--batch', '8', '--backends', 'ts,cudnn', '--peers', 'tfjs,ort']);
    expect(o.config).toMatchObject({ suites: ['dcgan', '1d'], layers: ['unet-2-b1'], batch: 8, backends: ['ts', 'cudnn'], peers: ['tfjs-cpu', 'tfjs-wasm', 'ort'], peersGiven: true });
    expect(parseBenchOptions(['--peers', 'none']).config.peers).toEqual([]);
    expect(() => parseBenchOptions(['--peers', 'none,tf'])).toThrow(/'none' cannot be combined/);
  });
  it('refuses bad values with a RangeError naming the option', () => {
    expect(() => parseBenchOptions(['--threads', '0'])).toThrow(/--threads must be an integer ≥ 1 and ≤ 1024, got '0'/);
    expect(() => parseBenchOptions(['--backends', 'gpu'])).toThrow(/--backends: unknown 'gpu'/);
    expect(() => parseBenchOptions(['--peers', 'mxnet'])).toThrow(/--peers: unknown 'mxnet'/);
    expect(() => parseBenchOptions(['--suite', 'resnet'])).toThrow(/--suite: unknown 'resnet'/);
    expect(() => parseBenchOptions(['--batch', '-1'])).toThrow(/--batch/);
    expect(() => parseBenchOptions(['--target', '0'])).toThrow(/--target/);
    expect(() => parseBenchOptions(['--dry-run'])).toThrow(/--dry-run only goes with --setup/);
  });
  it('--setup with and without steps', () => {
    expect(parseBenchOptions(['--setup']).setup).toEqual([]);
    expect(parseBenchOptions(['--setup', 'tf,torch', '--dry-run'])).toMatchObject({ setup: ['tf', 'torch'], dryRun: true });
    expect(() => parseBenchOptions(['--setup', 'conda'])).toThrow(/--setup: unknown 'conda'/);
  });
  it('records the command line and a note for the report header', () => {
    expect(parseBenchOptions(['--quick', '--json']).config.command).toBe('deconv bench --quick --json');
    expect(parseBenchOptions(['--note', 'shared machine']).config.note).toBe('shared machine');
    expect(parseBenchOptions([]).config.note).toBeUndefined();
  });
});

describe('deconv demo options', () => {
  it('defaults to demo-output/ and every available backend', () => {
    expect(parseDemoArgs([])).toEqual({ help: false, out: 'demo-output', backends: undefined });
    expect(parseDemoArgs(['--out', '/tmp/x', '--backends', 'ts'])).toEqual({ help: false, out: '/tmp/x', backends: ['ts'] });
    expect(() => parseDemoArgs(['--backends', 'metal'])).toThrow(/--backends: unknown 'metal'/);
  });
});

describe('deconv (main)', () => {
  it('prints help and the version', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out()).toMatch(/demo[\s\S]*bench/);
    const v = capture();
    expect(await main(['--version'], v.io)).toBe(0);
    expect(v.out().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('a bad command or option is one line on stderr and status 2', async () => {
    for (const argv of [['frobnicate'], ['bench', '--threads', 'x'], ['demo', '--colour']]) {
      const c = capture();
      expect(await main(argv, c.io)).toBe(2);
      expect(c.err().trim().split('\n')).toHaveLength(1);
      expect(c.err()).toMatch(/^deconv/);
      expect(c.out()).toBe('');
    }
  });
  it('bench --help and demo --help describe their options', async () => {
    const b = capture();
    expect(await main(['bench', '--help'], b.io)).toBe(0);
    expect(b.out()).toMatch(/--quick[\s\S]*--json[\s\S]*--chart[\s\S]*--setup/);
    const d = capture();
    expect(await main(['demo', '--help'], d.io)).toBe(0);
    expect(d.out()).toMatch(/--out/);
  });
});
