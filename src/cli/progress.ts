/**
 * A one-line progress bar for long runs, redrawn in place on a terminal. Not a terminal (a pipe, a
 * CI log): the bar stays quiet and only the lines given to `log` are written.
 */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface ProgressState {
  /** The layer being measured (undefined once done). */
  layer: string | undefined;
  index: number;
  count: number;
  system?: string;
  step: number;
  steps: number;
}

export class ProgressBar {
  private shown = false;
  private last: ProgressState | undefined;
  private readonly started = Date.now();

  constructor(private readonly stream: ProgressStream, private readonly enabled = stream.isTTY === true) {}

  /** The fraction done: whole layers, plus the current layer's share of system turns. */
  static fraction(s: ProgressState): number {
    if (s.count <= 0) return 1;
    const within = s.steps > 0 ? Math.min(1, s.step / s.steps) : 0;
    return Math.min(1, (s.index + within) / s.count);
  }

  static render(s: ProgressState, width: number, elapsedS: number): string {
    const f = ProgressBar.fraction(s);
    const label = s.layer ? ` ${s.index + 1}/${s.count} ${s.layer}${s.system ? ` · ${s.system}` : ''}` : ' done';
    const time = ` ${Math.round(elapsedS)} s`;
    const barWidth = Math.max(10, Math.min(30, width - label.length - time.length - 8));
    const filled = Math.round(f * barWidth);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${String(Math.round(f * 100)).padStart(3)}%${time}${label}`;
    return line.slice(0, Math.max(20, width - 1));
  }

  update(s: ProgressState): void {
    this.last = s;
    if (!this.enabled) return;
    this.stream.write(`\r\x1b[2K${ProgressBar.render(s, this.stream.columns ?? 80, (Date.now() - this.started) / 1000)}`);
    this.shown = true;
  }

  /** A line above the bar (the bar is redrawn under it). */
  log(line: string): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
    if (this.shown && this.last) this.update(this.last);
  }

  done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
    this.last = undefined;
  }
}
