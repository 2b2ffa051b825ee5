/**
 * The benchmark's JSON file: the whole report, numbers to 6 significant digits (timings are not
 * more precise than that, and the file stays readable), integers as they are.
 */
export function reportJson(report: unknown): string {
  return JSON.stringify(report, (_key, v: unknown) => (typeof v === 'number' && Number.isFinite(v) && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v), 1) + '\n';
}
