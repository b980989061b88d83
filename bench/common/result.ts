/**
 * The machine-readable result every benchmark in bench/ writes with `--json FILE` (one {@link BenchResult} per
 * scale it ran, as a JSON array), so that bench/run.ts gathers figures without reading their text output.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** One measured run. */
export interface BenchRow {
  /** What ran, e.g. `stackvault restore` or `APOC script replay (cypher-shell -f)`. */
  name: string;
  /** `stackvault` for ours, `peer` for the tool compared with, `info` for a row shown for scale only. */
  side: "stackvault" | "peer" | "info";
  seconds: number;
  cpuSeconds?: number;
  peakRssMiB?: number;
  /** Throughput in `unit` (MiB/s, keys/s …) when the benchmark measures one. */
  rate?: number;
  unit?: string;
  /** E.g. `extrapolated from 3000 of 64000 statements`. */
  note?: string;
}

/** A figure compared with its goal, e.g. stackvault restore speed ÷ cypher-shell replay speed. */
export interface BenchRatio {
  name: string;
  value: number;
  /** `×` for a ratio, `s` for seconds, `MiB`, `requests` … */
  unit: string;
  /** The goal as written in the issue, e.g. `≥ 10×`; absent when the figure is reported only. */
  goal?: string;
  met?: boolean;
}

/** Seconds taken by one `[n/N]` step of a CLI run (from its `--json` step events). */
export interface StepTime {
  operation: "backup" | "restore";
  index: number;
  total: number;
  title: string;
  seconds: number;
  /** The highest resident set size sampled during the step (every 50 ms, from /proc), when sampled. */
  peakRssMiB?: number;
}

/** What one benchmark measured at one scale. */
export interface BenchResult {
  bench: string;
  scale: number;
  /** What was measured at this scale, e.g. `15,420 nodes, 48,320 relationships`. */
  dataset: string;
  rows: BenchRow[];
  ratios: BenchRatio[];
  steps?: StepTime[];
  /** The 1, 5 and 15 minute load averages when the benchmark started and ended. */
  loadAverage: { before: number[]; after: number[] };
}

/** A figure with a "higher is better" goal (`value ≥ goal`). */
export function atLeast(name: string, value: number, goal: number, unit = "×"): BenchRatio {
  return { name, value, unit, goal: `≥ ${goal}${unit === "×" ? "×" : ` ${unit}`}`, met: value >= goal };
}

/** A figure with a "lower is better" goal (`value ≤ goal`). */
export function atMost(name: string, value: number, goal: number, unit: string): BenchRatio {
  return { name, value, unit, goal: `≤ ${goal} ${unit}`, met: value <= goal };
}

/** A figure reported without a goal. */
export function figure(name: string, value: number, unit: string): BenchRatio {
  return { name, value, unit };
}

/** The 1, 5 and 15 minute load averages now. */
export function loadAverage(): number[] {
  return os.loadavg().map((l) => Math.round(l * 100) / 100);
}

/** Writes `results` to `file` (folders created) when `file` is given; does nothing otherwise. */
export function writeResults(file: string | undefined, results: BenchResult[]): void {
  if (file === undefined || file === "") return;
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** Median of `values` (NaN when empty). */
export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
