/** The demo's one-page HTML report: the pictures, the checkerboard amplitudes, the timing table. */
import { escapeXml } from '../svg-chart.js';
import type { DemoResult } from './run-demo.js';

export function htmlReport(r: DemoResult): string {
  const backendRows = r.backends.map((b) => `<tr><td>${escapeXml(b.name)}</td><td>${b.available ? 'available' : 'unavailable'}</td><td>${escapeXml(b.reason ?? b.version ?? '')}</td></tr>`).join('\n');
  const header = ['backend', ...r.table.columns].map((c) => `<th>${escapeXml(c)}</th>`).join('');
  const rows = r.table.rows.map((row) => `<tr><td>${escapeXml(row.backend)}</td>${row.cells.map((c) => `<td class="n">${escapeXml(c)}</td>`).join('')}</tr>`).join('\n');
  const amps = r.checkerboard.map((c) => `<tr><td>${escapeXml(c.title)}</td><td class="n">${c.amplitude.toFixed(3)}</td></tr>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>deconv demo</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
 img { image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; }
 table { border-collapse: collapse; margin: 1em 0; } td, th { border: 1px solid #ccc; padding: 3px 8px; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
 figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
</style>
</head>
<body>
<h1>deconv demo</h1>
<p>Transposed convolution (<code>tf.nn.conv2d_transpose</code>, ONNX <code>ConvTranspose</code>) with deconv ${escapeXml(r.version)},
Node ${escapeXml(r.node)}, on ${escapeXml(r.machine)}, ${escapeXml(r.date)}. Made by <code>deconv demo</code>: no download, every picture computed here.</p>
<table><tr><th>backend</th><th>status</th><th>version / reason</th></tr>
${backendRows}
</table>

<h2>1. Bilinear upsampling ×2 and ×4</h2>
<p>A ${r.scene.width}×${r.scene.height} test scene made from formulas, upsampled by a fresh <code>Conv2DTranspose</code> layer with the
<code>'bilinear'</code> initializer (kernel 2s − s mod 2, stride s, <code>'same'</code>) on every available backend. The outputs agree:
the largest difference from the reference backend (ts) is ${r.maxDiff.toExponential(1)} of the largest value.
The outermost pixels are darker: there the kernel hangs over the edge of the input, which is zero beyond it (TensorFlow does the same).</p>
<figure><img src="upsample.png" alt="nearest ×4, bilinear ×2 (shown ×2), bilinear ×4"><figcaption>Left to right: the input (nearest ×4), conv2dTranspose ×2 (shown with nearest ×2), conv2dTranspose ×4.</figcaption></figure>

<h2>2. Checkerboard artifacts</h2>
<p>A flat ${r.checkerboard[0]!.size / 2}×${r.checkerboard[0]!.size / 2} image upsampled ×2 three ways with random positive kernels of the same total weight
(Odena et al., 2016). Grey is the mean; the contrast is stretched: ±${r.checkerboardContrast * 100}% of the mean maps to black and white.</p>
<figure><img src="checkerboard.png" alt="checkerboard artifacts"><figcaption>Left to right: kernel 3 stride 2; kernel 4 stride 2; nearest resize then 3×3 convolution.</figcaption></figure>
<table><tr><th>method</th><th>amplitude (max − min) / mean, interior</th></tr>
${amps}
</table>
<p>Kernel 3 with stride 2 overlaps unevenly (1, 2 or 4 taps per output pixel): a strong checkerboard. Kernel 4 with stride 2 overlaps evenly, yet each of the
four output phases sums a different quarter of a random kernel: a weaker one, which training must remove (or an ICNR initialization avoids). Resizing first and then
convolving gives every pixel the whole kernel: no checkerboard.</p>

<h2>3. A DCGAN-style generator</h2>
<p>An untrained generator, 100-d latent → 4×4×128 → 8×8×64 → 16×16×32 → 32×32×16 → 64×64×3 (transposed convolutions, kernel 4, stride 2;
batch normalization and ReLU between; tanh at the end), forward on a batch of ${r.dcgan.batch}. The stride-2 kernels are ICNR-initialized
(equal sub-kernels for the four output phases, as section 2 suggests), so the untrained output has no checkerboard: soft random blobs
that training would turn into pictures.</p>
<figure><img src="dcgan-grid.png" alt="DCGAN generator output grid"><figcaption>The batch's ${r.dcgan.batch} images (64×64, shown ×2).</figcaption></figure>

<h2>Timing and agreement</h2>
<p>Median of ${r.reps} calls after a warm-up, in ms; "max diff" is the largest max|y − y<sub>ts</sub>| / max|y<sub>ts</sub>| over every output above.</p>
<table><tr>${header}</tr>
${rows}
</table>
</body>
</html>
`;
}
