/** The parts of a benchmark report (made by bench/lib/runner.mjs) that the CLI's writers read. */
export interface SystemResult {
  medianMs?: number;
  gflops?: number;
  error?: string;
}

export interface LayerResult {
  name: string;
  gflop: number;
  systems: Record<string, SystemResult>;
  skipped: Record<string, string>;
}

export interface PeerSummary {
  geomean: number;
  n: number;
  against: string[];
}

export interface BenchReport {
  meta: { command: string; date: string; cpu: { model: string; logicalCpus: number }; threads: number; quick: boolean; durationS?: number; peak?: { used: number } };
  layers: LayerResult[];
  rows: Record<string, unknown>[];
  summary: { peers: Record<string, PeerSummary> };
  failures: string[];
}
