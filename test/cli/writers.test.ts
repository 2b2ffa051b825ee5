/** The benchmark's writers: JSON, the SVG chart, the progress bar; and the PNG codec. */
import { describe, expect, it } from 'vitest';
import { reportJson } from '../../src/cli/json-report.js';
import { ProgressBar } from '../../src/cli/progress.js';
import { decodePng, encodePng } from '../../src/cli/png.js';
import type { BenchReport } from '../../src/cli/report-types.js';
import { barChartSvg, CHART_SYSTEMS, escapeXml } from '../../src/cli/svg-chart.js';

function report(): BenchReport {
  return {
    meta: { command: 'deconv bench', date: '2026-01-02T03:04:05Z', cpu: { model: 'Test <CPU>', logicalCpus: 2 }, threads: 2, quick: true },
    layers: [
      { name: 'layer-a', gflop: 1, systems: { 'onednn-plan': { medianMs: 10, gflops: 100 }, ort: { medianMs: 20, gflops: 50 }, tf: { error: 'boom' } }, skipped: { ts: 'too big' } },
      { name: 'layer-b&c', gflop: 0.1, systems: { 'onednn-plan': { medianMs: 1, gflops: 100 }, ts: { medianMs: 100, gflops: 1 }, 'tfjs-cpu': { medianMs: 300, gflops: 0.333 } }, skipped: {} },
      { name: 'tiny', gflop: 1e-6, systems: { 'onednn-plan': { medianMs: 0.01, gflops: 0.0001 } }, skipped: {} },
    ],
    rows: [],
    summary: { peers: {} },
    failures: [],
  };
}

describe('reportJson', () => {
  it('rounds fractions to 6 significant digits, keeps integers and strings, ends with a newline', () => {
    const text = reportJson({ a: 1 / 3, b: 123456789, c: 'x', d: [2.000000001, 1e-9 / 3] });
    expect(text.endsWith('\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({ a: 0.333333, b: 123456789, c: 'x', d: [2, 3.33333e-10] });
  });
});

describe('barChartSvg', () => {
  const svg = barChartSvg(report());
  it('is an SVG document with one bar per layer and system that ran', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const bars = svg.match(/<rect [^>]*><title>/g) ?? [];
    expect(bars).toHaveLength(5); // layer-a: onednn-plan, ort (tf failed); layer-b&c: onednn-plan, ts, tfjs-cpu
    expect(svg).toContain('layer-a, ONNX Runtime: 50.0 GFLOP/s, 20.0 ms');
  });
  it('has a legend entry, in its colour, only for systems with a bar', () => {
    for (const s of CHART_SYSTEMS) {
      const shown = ['onednn-plan', 'ort', 'ts', 'tfjs-cpu'].includes(s.id);
      expect(svg.includes(`>${escapeXml(s.name)}</text>`), s.id).toBe(shown);
      if (shown) expect(svg).toContain(`fill="${s.colour}"`);
    }
  });
  it('escapes names and leaves the call-overhead layer out, saying so', () => {
    expect(svg).toContain('layer-b&amp;c');
    expect(svg).toContain('Test &lt;CPU&gt;');
    expect(svg).not.toContain('>tiny<');
    expect(svg).toContain('not shown (call overhead): tiny');
  });
  it('puts higher GFLOP/s higher (log axis): bars of 100 are taller than bars of 1', () => {
    const height = (label: string): number => Number(new RegExp(`height="([\\d.]+)" fill="[^"]+"><title>${label}`).exec(svg)![1]);
    expect(height('layer-b&amp;c, deconv oneDNN')).toBeGreaterThan(height('layer-b&amp;c, deconv ts'));
    expect(height('layer-b&amp;c, deconv ts')).toBeGreaterThan(height('layer-b&amp;c, TensorFlow.js cpu'));
  });
});

describe('ProgressBar', () => {
  const state = { layer: 'unet-2-b1', index: 1, count: 4, system: 'ort', step: 1, steps: 2 };
  it('counts whole layers plus the share of the current one', () => {
    expect(ProgressBar.fraction(state)).toBeCloseTo(1.5 / 4);
    expect(ProgressBar.fraction({ ...state, layer: undefined, index: 4, step: 0 })).toBe(1);
  });
  it('renders a bar, the percentage, the layer and system, within the width', () => {
    const line = ProgressBar.render(state, 80, 12);
    expect(line).toMatch(/^\[#+-+\]  38% 12 s 2\/4 unet-2-b1 · ort$/);
    expect(ProgressBar.render(state, 30, 1).length).toBeLessThanOrEqual(29);
  });
  it('draws in place on a terminal and is quiet elsewhere (log lines still pass)', () => {
    let tty = '';
    const onTty = new ProgressBar({ isTTY: true, columns: 80, write: (s: string) => (tty += s) });
    onTty.update(state);
    onTty.log('a line');
    onTty.done();
    expect(tty).toContain('\r\x1b[2K[');
    expect(tty).toContain('a line\n');
    let pipe = '';
    const onPipe = new ProgressBar({ isTTY: false, write: (s: string) => (pipe += s) });
    onPipe.update(state);
    onPipe.log('a line');
    onPipe.done();
    expect(pipe).toBe('a line\n');
  });
});

describe('PNG codec', () => {
  it('round-trips RGB bytes', () => {
    const rgb = Uint8Array.from({ length: 5 * 3 * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePng(5, 3, rgb);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(decodePng(png)).toEqual({ width: 5, height: 3, rgb });
  });
  it('refuses sizes that do not match, and corrupted files', () => {
    expect(() => encodePng(2, 2, new Uint8Array(11))).toThrow(RangeError);
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow(/width and height/);
    const png = encodePng(2, 2, new Uint8Array(12));
    png[20] ^= 1; // inside IHDR
    expect(() => decodePng(png)).toThrow(/bad CRC/);
    expect(() => decodePng(new Uint8Array(10))).toThrow(/not a PNG/);
  });
});
