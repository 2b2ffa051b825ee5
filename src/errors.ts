/**
 * Error helpers. Every refusal of bad input is a TypeError (wrong kind of value) or a RangeError
 * (right kind, wrong value) whose message names the argument, says what was expected and shows
 * what was given, so that a caller can fix the call from the message alone.
 */

/** A short, safe rendering of any value for an error message (never throws, never huge). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor?.name ?? 'typed array';
    const length = 'length' in value ? (value as unknown as { length: number }).length : value.byteLength;
    return `${name}(${length})`;
  }
  if (Array.isArray(value)) {
    if (value.length > 8) return `an array of length ${value.length}`;
    try {
      return `[${value.map((v) => (Array.isArray(v) ? describe(v) : typeof v === 'object' && v !== null ? 'object' : describe(v))).join(', ')}]`;
    } catch {
      return 'an array';
    }
  }
  return 'an object';
}

export function typeError(argument: string, expected: string, given: unknown): TypeError {
  return new TypeError(`${argument} must be ${expected}, but got ${describe(given)}`);
}

export function rangeError(argument: string, expected: string, given: unknown): RangeError {
  return new RangeError(`${argument} must be ${expected}, but got ${describe(given)}`);
}
