/**
 * Prints the pipeline benchmark's results: the table of runs, the ratios to the peers, and which of issue 3's
 * goals were met (≥ 300 MiB/s with zstd into the local target, ≥ 0.9× `aws s3 cp`, peak RSS ≤ 256 MiB).
 */
import { atLeast, atMost, figure, median, type BenchRatio } from "../common/result.ts";

/** One run of one row. */
export interface Measure {
  seconds: number;
  cpuSeconds: number;
  /** Size of the stored output; undefined when a peer streamed it away. */
  storedBytes: number | undefined;
  rssKiB: number;
}

/** Every run of one command; `key` is `compression:sink` for stackvault, `peer:…` for the others. */
export interface Row {
  name: string;
  key: string;
  runs: Measure[];
}

export const GOAL_ZSTD_MIB_S = 300;
export const GOAL_AWS_RATIO = 0.9;
export const GOAL_RSS_MIB = 256;

/** Prints the report; returns its ratios and goals for the machine-readable result. */
export function printReport(options: { rows: Map<string, Row>; size: number; cpus: number; s3: boolean; level: number }): BenchRatio[] {
  const out: BenchRatio[] = [];
  const { rows, size } = options;
  const rate = (m: Measure): number => mib(size) / m.seconds;
  console.log(`\n${"run".padEnd(34)} ${"MiB/s".padStart(6)} ${"best".padStart(6)} ${"CPU s".padStart(6)} ${"stored MiB".padStart(10)} ${"ratio".padStart(5)} ${"peak RSS MiB".padStart(12)}`);
  for (const row of rows.values()) {
    const stored = row.runs[0]?.storedBytes;
    const storedCols = stored === undefined ? `${"-".padStart(10)} ${"-".padStart(5)}` : `${mib(stored).toFixed(1).padStart(10)} ${(size / stored).toFixed(2).padStart(5)}`;
    console.log(`${row.name.padEnd(34)} ${median(row.runs.map(rate)).toFixed(0).padStart(6)} ${Math.max(...row.runs.map(rate)).toFixed(0).padStart(6)} ${median(row.runs.map((m) => m.cpuSeconds)).toFixed(2).padStart(6)} ${storedCols} ${(Math.max(...row.runs.map((m) => m.rssKiB)) / 1024).toFixed(0).padStart(12)}`);
  }
  console.log(`\nMiB/s are of raw input: median and best of ${rows.values().next().value?.runs.length ?? 0} run(s). Peer CPU is summed over the shell's children, RSS is the largest child's.`);

  console.log("\nstackvault ÷ peer, throughput (median of the per-round ratios; the rows of one round ran back to back):");
  const ratios: Record<string, number | undefined> = {};
  for (const [sv, peer] of [
    ["zstd:local", "peer:zstd"], ["zstd:local", "peer:zstd-T2"], ["zstd:local", "peer:zstd-T2-sha"], ["zstd:file", "peer:zstd"], ["zstd:file", "peer:zstd-T2"],
    ["none:s3", "peer:aws"], ["zstd:s3", "peer:zstd-aws"], ["zstd:s3", "peer:zstd-T2-aws"],
  ] as const) {
    const a = rows.get(sv);
    const b = rows.get(peer);
    if (!a || !b) continue;
    const perRound = a.runs.map((m, i) => (b.runs[i] ? b.runs[i].seconds / m.seconds : Number.NaN)).filter((r) => !Number.isNaN(r));
    const ratio = median(perRound);
    ratios[`${sv}/${peer}`] = ratio;
    if (sv !== "zstd:file") out.push(figure(`${a.name} ÷ ${b.name} (throughput)`, ratio, "×"));
    console.log(`  ${a.name.padEnd(32)} ÷ ${b.name.padEnd(28)} ${ratio.toFixed(2)}×`);
  }

  console.log("\ngoals (issue 3):");
  const zstdLocal = rows.get("zstd:local");
  if (zstdLocal) {
    const best = Math.max(...zstdLocal.runs.map(rate));
    const med = median(zstdLocal.runs.map(rate));
    out.push(atLeast(`zstd into the local target on ${options.cpus} cores (median)`, med, GOAL_ZSTD_MIB_S, "MiB/s"));
    console.log(`  ${verdict(med >= GOAL_ZSTD_MIB_S)} ≥ ${GOAL_ZSTD_MIB_S} MiB/s with zstd into the local target on ${options.cpus} cores: median ${med.toFixed(0)}, best ${best.toFixed(0)} MiB/s` +
      ` (zstd -${options.level} -T2 | cat itself: median ${median(rows.get("peer:zstd-T2")?.runs.map(rate) ?? [Number.NaN]).toFixed(0)} MiB/s)`);
    // What any zstd at this level could reach on these cores: the CLI's own CPU time per byte, spread perfectly.
    const peerCpu = median(rows.get("peer:zstd")?.runs.map((m) => m.cpuSeconds) ?? [Number.NaN]);
    if (Number.isFinite(peerCpu) && peerCpu > 0) {
      const ceiling = (mib(size) / peerCpu) * options.cpus;
      out.push(figure(`ceiling of zstd -${options.level} on ${options.cpus} cores (zstd's own CPU time, spread perfectly)`, ceiling, "MiB/s"));
      console.log(`          ceiling of zstd -${options.level} itself on ${options.cpus} cores, from its CPU time: ${ceiling.toFixed(0)} MiB/s`);
    }
  }
  if (options.s3) {
    for (const [key, label] of [["none:s3/peer:aws", "none → S3 ÷ aws s3 cp"], ["zstd:s3/peer:zstd-aws", `zstd → S3 ÷ zstd -${options.level} | aws s3 cp -`], ["zstd:s3/peer:zstd-T2-aws", `zstd → S3 ÷ zstd -${options.level} -T2 | aws s3 cp -`]] as const) {
      const r = ratios[key];
      if (r !== undefined) out.push(atLeast(label, r, GOAL_AWS_RATIO));
      if (r !== undefined) console.log(`  ${verdict(r >= GOAL_AWS_RATIO)} ≥ ${GOAL_AWS_RATIO}× aws s3 cp: ${label} = ${r.toFixed(2)}×`);
    }
  }
  const ours = [...rows.values()].filter((r) => !r.key.startsWith("peer:"));
  const peakRss = Math.max(...ours.flatMap((r) => r.runs.map((m) => m.rssKiB))) / 1024;
  out.push(atMost("peak RSS of the largest stackvault run", peakRss, GOAL_RSS_MIB, "MiB"));
  console.log(`  ${verdict(peakRss <= GOAL_RSS_MIB)} peak RSS ≤ ${GOAL_RSS_MIB} MiB: largest stackvault run ${peakRss.toFixed(0)} MiB`);
  console.log(`\nOn a shared machine, a load average above ${options.cpus} means other work took CPU from these runs: MiB/s are then lower bounds (compare rows of one round, and the CPU column).`);
  return out;
}

// --- internal ---

function verdict(met: boolean): string {
  return met ? "MET    " : "NOT MET";
}

function mib(bytes: number): number {
  return bytes / 1024 / 1024;
}
