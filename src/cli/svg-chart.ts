/**
 * The benchmark chart (--chart): grouped bars per layer, one colour per system, GFLOP/s on a log
 * axis (the suite spans 0.002 to 10 GFLOP per call, so a linear axis would hide the small layers).
 * Plain SVG, no script: opens in any browser and renders on GitHub.
 */
import type { BenchReport } from './report-types.js';

/** The systems the chart shows, in this order, with their colours and legend names. */
export const CHART_SYSTEMS: readonly { id: string; name: string; colour: string }[] = [
  { id: 'onednn-plan', name: 'deconv oneDNN (NCHW plan)', colour: '#1f77b4' },
  { id: 'onednn-nhwc-plan', name: 'deconv oneDNN (NHWC plan)', colour: '#6baed6' },
  { id: 'cudnn', name: 'deconv cuDNN', colour: '#08306b' },
  { id: 'ts', name: 'deconv ts (reference)', colour: '#9ecae1' },
  { id: 'ort', name: 'ONNX Runtime', colour: '#ff7f0e' },
  { id: 'tf', name: 'TensorFlow', colour: '#d62728' },
  { id: 'tfjs-cpu', name: 'TensorFlow.js cpu', colour: '#2ca02c' },
  { id: 'tfjs-wasm', name: 'TensorFlow.js wasm', colour: '#98df8a' },
  { id: 'torch', name: 'PyTorch', colour: '#9467bd' },
];

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));

/** Layers below this many GFLOP measure call overhead, not throughput: left out of the chart. */
export const CHART_MIN_GFLOP = 1e-3;

export function barChartSvg(report: BenchReport, { title }: { title?: string } = {}): string {
  const layers = report.layers.filter((l) => l.gflop >= CHART_MIN_GFLOP);
  const leftOut = report.layers.filter((l) => l.gflop < CHART_MIN_GFLOP).map((l) => l.name);
  const value = (layer: (typeof layers)[number], id: string): number | undefined => {
    const s = layer.systems[id];
    return s && !s.error && s.gflops !== undefined && s.gflops > 0 ? s.gflops : undefined;
  };
  const systems = CHART_SYSTEMS.filter((s) => layers.some((l) => value(l, s.id) !== undefined));
  const all = layers.flatMap((l) => systems.map((s) => value(l, s.id)).filter((v): v is number => v !== undefined));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 10))));
  const bar = 9;
  const group = Math.max(1, systems.length) * bar + 14;
  const left = 64;
  const top = 70 + 18 * Math.ceil(systems.length / 3);
  const plotH = 320;
  const bottom = 130;
  const width = Math.max(640, left + layers.length * group + 20);
  const height = top + plotH + bottom;
  const y = (v: number): number => top + plotH - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  o.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const m = report.meta;
  o.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(title ?? 'deconv bench: GFLOP/s per layer (higher is better)')}</text>`);
  o.push(`<text x="${left}" y="40" fill="#555">${escapeXml(`${m.cpu.model}, ${m.threads} threads; ${m.date.slice(0, 10)}${m.quick ? '; quick run' : ''}; missing bar = skipped or not run (see the report)${leftOut.length ? `; not shown (call overhead): ${leftOut.join(', ')}` : ''}`)}</text>`);
  systems.forEach((s, i) => {
    const lx = left + (i % 3) * 230;
    const ly = 58 + 18 * Math.floor(i / 3);
    o.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${s.colour}"/><text x="${lx + 17}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    o.push(`<line x1="${left}" x2="${width - 10}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#ddd"/>`);
    o.push(`<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t >= 1 ? t.toFixed(0) : t.toPrecision(1)}</text>`);
  }
  o.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">GFLOP/s (log scale)</text>`);
  layers.forEach((l, i) => {
    const gx = left + 8 + i * group;
    systems.forEach((s, j) => {
      const v = value(l, s.id);
      if (v === undefined) return;
      const yv = Math.min(y(v), top + plotH - 1);
      const ms = l.systems[s.id]!.medianMs;
      o.push(`<rect x="${gx + j * bar}" y="${yv.toFixed(1)}" width="${bar - 1}" height="${(top + plotH - yv).toFixed(1)}" fill="${s.colour}"><title>${escapeXml(`${l.name}, ${s.name}: ${fmt(v)} GFLOP/s${ms !== undefined ? `, ${fmt(ms)} ms` : ''}`)}</title></rect>`);
    });
    const lx = gx + (systems.length * bar) / 2;
    o.push(`<text transform="translate(${lx.toFixed(1)} ${top + plotH + 12}) rotate(-50)" text-anchor="end">${escapeXml(l.name)}</text>`);
  });
  o.push(`<line x1="${left}" x2="${width - 10}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  o.push('</svg>');
  return o.join('\n') + '\n';
}
