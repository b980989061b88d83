/**
 * Writes one benchmark report into a folder: `<name>.json` (facts of each run, every result, what was not
 * measured), `<name>.md` (bench/report/markdown.ts) and, when the end-to-end benchmark timed its steps,
 * `<name>-steps.svg` (bench/report/plot.ts). Also combines the JSON of earlier runs into one report.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { BenchResult } from "../common/result.ts";
import { markdownReport, type MachineFacts, type Missing } from "./markdown.ts";
import { stepPlot } from "./plot.ts";

/** What a report's JSON file holds. */
export interface ReportDocument {
  runs: MachineFacts[];
  results: BenchResult[];
  missing: Missing[];
}

/** Writes the report's files; returns the Markdown. */
export function writeReport(dir: string, name: string, doc: ReportDocument): string {
  mkdirSync(dir, { recursive: true });
  const stackSteps = doc.results.filter((r) => r.bench === "stack" && r.steps && r.steps.length > 0);
  const plotName = stackSteps.length > 0 ? `${name}-steps.svg` : undefined;
  const facts = doc.runs[0];
  if (plotName && facts) {
    const title = `stackvault backup and restore: seconds per step (${facts.cores} cores, load average ${facts.loadAverageBefore[0]} at the start)`;
    writeFileSync(path.join(dir, plotName), stepPlot(stackSteps.map((r) => ({ scale: r.scale, steps: r.steps ?? [] })), title));
  }
  writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(doc, null, 2)}\n`);
  const markdown = markdownReport(doc.runs, doc.results, doc.missing, plotName);
  writeFileSync(path.join(dir, `${name}.md`), markdown);
  return markdown;
}

/**
 * One report from the JSON files of several runs, in their order: every result is kept, and a benchmark noted as
 * not measured in one run is dropped from "Not measured" when another run measured it at that scale.
 */
export function combineReports(files: string[]): ReportDocument {
  const docs = files.map((file) => {
    // Reports written before `runs` held one run's `facts`.
    const doc = JSON.parse(readFileSync(file, "utf8")) as Partial<ReportDocument> & { facts?: MachineFacts };
    return { runs: doc.runs ?? (doc.facts ? [doc.facts] : []), results: doc.results ?? [], missing: doc.missing ?? [] };
  });
  const results = docs.flatMap((d) => d.results);
  const measured = (m: Missing) => m.scale.split(", ").every((label) => results.some((r) => r.bench === m.bench && `${r.scale}×` === label));
  return { runs: docs.flatMap((d) => d.runs), results, missing: docs.flatMap((d) => d.missing).filter((m) => !measured(m)) };
}
