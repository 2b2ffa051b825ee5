/**
 * A small command-line parser for the CLI's subcommands: `--name value`, `--name=value`, boolean
 * flags, flags whose value is optional (`--json` alone or `--json out.json`). Errors are
 * RangeErrors that name the option, so the CLI can print them as one line.
 */
export type OptionKind = 'string' | 'boolean' | 'optional-string';

export interface OptionSpec {
  readonly kind: OptionKind;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

export function parseOptions(command: string, argv: readonly string[], spec: Readonly<Record<string, OptionSpec>>): ParsedOptions {
  const out: ParsedOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new RangeError(`${command}: unexpected argument '${arg}' (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const option = spec[name];
    if (!option) throw new RangeError(`${command}: unknown option --${name} (see --help)`);
    if (name in out) throw new RangeError(`${command}: --${name} is given twice`);
    if (option.kind === 'boolean') {
      if (inline !== undefined) throw new RangeError(`${command}: --${name} takes no value, got '${inline}'`);
      out[name] = true;
      continue;
    }
    if (inline !== undefined) {
      if (inline === '') throw new RangeError(`${command}: --${name} needs a value`);
      out[name] = inline;
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      if (option.kind === 'string') throw new RangeError(`${command}: --${name} needs a value`);
      out[name] = true; // optional value left out
      continue;
    }
    out[name] = next;
    i++;
  }
  return out;
}

/** A comma-separated list option, each item checked against `allowed` (when given). */
export function listOption(command: string, name: string, value: string, allowed?: readonly string[]): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new RangeError(`${command}: --${name} needs at least one name`);
  if (allowed) {
    for (const item of items) if (!allowed.includes(item)) throw new RangeError(`${command}: --${name}: unknown '${item}' (one of ${allowed.join(', ')})`);
  }
  return items;
}

/** A number option within [min, max]; integers only when `integer`. */
export function numberOption(command: string, name: string, value: string, { min, max = Infinity, integer = false }: { min: number; max?: number; integer?: boolean }): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new RangeError(`${command}: --${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}${max < Infinity ? ` and ≤ ${max}` : ''}, got '${value}'`);
  }
  return n;
}
