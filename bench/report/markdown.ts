/**
 * The Markdown report of one `npm run bench`: the machine it ran on (load average before and after: the
 * machine may be shared), a table of every measured run, a table of every figure against its goal, the
 * seconds per `[n/N]` step, and what did not run.
 */
import type { BenchResult, BenchRow } from "../common/result.ts";

/** Facts about the machine and the run, printed at the top of the report. */
export interface MachineFacts {
  date: string;
  command: string;
  commit: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  tools: Record<string, string>;
}

/** A benchmark that failed or was not run, with why. */
export interface Missing {
  bench: string;
  scale: string;
  reason: string;
}

/** The whole report as Markdown; `runs` holds the facts of each `npm run bench` it gathers (one, or several combined). */
export function markdownReport(runs: MachineFacts[], results: BenchResult[], missing: Missing[], plotFile: string | undefined): string {
  const out: string[] = [];
  const facts = runs[0];
  if (facts === undefined) throw new Error("a report needs the facts of at least one run");
  out.push(`# stackvault benchmarks, ${facts.date}`, "");
  out.push(`Machine: ${facts.cores} cores (${facts.cpuModel}), ${facts.memoryGiB} GiB, ${facts.os}, Node ${facts.node}; ` +
    `${Object.entries(facts.tools).map(([k, v]) => `${k} ${v}`).join(", ")}.`, "");
  for (const run of runs) {
    out.push(`- \`${run.command}\` at ${run.commit}, ${run.date}: load average (1, 5, 15 min) ${run.loadAverageBefore.join(" ")} before, ${run.loadAverageAfter.join(" ")} after`);
  }
  out.push("", `Above ${facts.cores}, the load average says other work shared the cores: times are then upper bounds, and the ratios of one run (both sides measured back to back) are the figures to read.`, "");

  out.push("## Figures against their goals", "");
  out.push("| bench | scale | figure | value | goal | |", "|---|---:|---|---:|---|---|");
  for (const r of results) {
    for (const q of r.ratios) out.push(`| ${r.bench} | ${r.scale}× | ${cellText(q.name)} | ${format(q.value)} ${q.unit} | ${q.goal ?? ""} | ${q.met === undefined ? "" : q.met ? "met" : "**not met**"} |`);
  }
  out.push("");

  out.push("## Runs", "");
  out.push("Each stackvault row ran in its own process (its CPU and peak RSS are its own); peers ran under `/usr/bin/time`.", "");
  out.push("| bench | scale | run | side | seconds | CPU s | peak RSS MiB | rate | note |", "|---|---:|---|---|---:|---:|---:|---:|---|");
  for (const r of results) for (const row of r.rows) out.push(runLine(r, row));
  out.push("");

  out.push("## Datasets", "");
  for (const r of results) out.push(`- ${r.bench} ${r.scale}×: ${r.dataset} (load average ${r.loadAverage.before.join(" ")} → ${r.loadAverage.after.join(" ")})`);
  out.push("");

  const withSteps = results.filter((r) => r.steps && r.steps.length > 0);
  if (withSteps.length > 0) {
    const sampled = withSteps.some((r) => r.steps?.some((t) => t.peakRssMiB !== undefined));
    out.push(`## Time${sampled ? " and peak RSS" : ""} per step (end-to-end CLI runs)`, "");
    if (plotFile) out.push(`![time per step](${plotFile})`, "");
    const scales = withSteps.map((r) => r.scale);
    const header = [...scales.map((s) => `${s}× s`), ...(sampled ? scales.map((s) => `${s}× peak RSS MiB`) : [])];
    out.push(`| step | ${header.join(" | ")} |`, `|---|${header.map(() => "---:").join("|")}|`);
    const union = new Map<string, NonNullable<BenchResult["steps"]>[number]>();
    for (const r of withSteps) for (const t of r.steps ?? []) if (!union.has(`${t.operation}:${t.index}`)) union.set(`${t.operation}:${t.index}`, t);
    const ordered = [...union.values()].sort((a, b) => (a.operation === b.operation ? a.index - b.index : a.operation === "backup" ? -1 : 1));
    for (const step of ordered) {
      const found = withSteps.map((r) => r.steps?.find((t) => t.operation === step.operation && t.index === step.index));
      const cells = [...found.map((t) => t?.seconds), ...(sampled ? found.map((t) => t?.peakRssMiB) : [])];
      out.push(`| ${step.operation} ${step.index === 0 ? "" : `[${step.index}/${step.total}] `}${step.title} | ${cells.map((c) => (c === undefined ? "–" : format(c))).join(" | ")} |`);
    }
    out.push("");
  }

  if (missing.length > 0) {
    out.push("## Not measured", "");
    for (const m of missing) out.push(`- ${m.bench} (${m.scale}): ${m.reason}`);
    out.push("");
  }
  return out.join("\n");
}

// --- internal ---

function runLine(r: BenchResult, row: BenchRow): string {
  const cell = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "" : format(v));
  return `| ${r.bench} | ${r.scale}× | ${cellText(row.name)} | ${row.side} | ${cell(row.seconds)} | ${cell(row.cpuSeconds)} | ${cell(row.peakRssMiB)} | ${row.rate === undefined ? "" : `${format(row.rate)} ${row.unit ?? ""}`} | ${cellText(row.note ?? "")} |`;
}

/** `text` made safe for a table cell (a `|` would end the cell). */
function cellText(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
