/**
 * Every benchmark of bench/ in one run (`npm run bench`; not a test, not part of CI's pass/fail):
 *
 *   npm run bench -- [--scale 10 | --scales 1,10] [--only stack,neo4j,qdrant,redis,pipeline] [--repeat 1]
 *                    [--quick] [--replay-limit 600] [--out bench/results]
 *
 * Runs each benchmark (each against its peer tool, in its own process) at the reference scale 1× and at
 * `--scale` (default 10), with the test services started (`npm run services -- start`; their coordinates are
 * read from `.cache/services/env`), then writes into `--out` (default bench/results/), named by the UTC date
 * and time: `<date>.json` (machine facts and every result), `<date>.md` (the tables) and `<date>-steps.svg`
 * (time per backup and restore step at each scale). What 1× means for each benchmark is in `UNITS` below.
 * `--quick` is a smoke run: scale 0.1, one repeat. `--combine A.json,B.json` writes one report (`<date>-combined`)
 * from the JSON files of earlier runs (say, 1× today and 10× overnight). `--replay-limit` is the seconds after
 * which bench/neo4j stops a cypher-shell replay and extrapolates its time (default 600). A benchmark that fails is reported under "Not measured"
 * and the others still run; the exit code is then 1.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadAverage, type BenchResult } from "./common/result.ts";
import { loadServicesEnv } from "./common/services-env.ts";
import type { MachineFacts, Missing } from "./report/markdown.ts";
import { combineReports, writeReport } from "./report/write.ts";

/**
 * How each benchmark is run at a scale: 1× is the reference dataset of `npm run seed` where the benchmark
 * measures a store (Neo4j 15,420 nodes; Qdrant 24,790 points of 384 floats; Redis 30,000 keys, because the
 * reference's 1,240 keys are too few to time apart from start-up), and for the pipeline 128 MiB, about the
 * raw size of the reference stack's backup. `scales` lists every scale when the benchmark runs them all in one
 * process (one private server started once).
 */
const UNITS: Record<string, (scale: number, repeat: number) => string[]> = {
  pipeline: (scale, repeat) => ["--size-mib", String(Math.max(1, Math.round(128 * scale))), "--repeat", String(repeat), "--scale", String(scale)],
  redis: (scale, repeat) => ["--keys", String(Math.max(100, Math.round(30_000 * scale))), "--repeat", String(repeat), "--scale", String(scale)],
  qdrant: (scale, repeat) => ["--points", String(Math.max(100, Math.round(24_790 * scale))), "--dim", "384", "--repeat", String(repeat), "--scale", String(scale)],
};
const ALL_SCALES_AT_ONCE: Record<string, (scales: number[], repeat: number) => string[]> = {
  neo4j: (scales, repeat) => ["--scales", scales.join(","), "--repeat", String(repeat), "--replay-limit", String(replayLimit)],
  stack: (scales) => ["--scales", scales.join(",")],
};
const ORDER = ["stack", "neo4j", "qdrant", "redis", "pipeline"];

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    scale: { type: "string" }, scales: { type: "string" }, only: { type: "string" }, repeat: { type: "string" },
    quick: { type: "boolean", default: false }, "replay-limit": { type: "string", default: "600" }, combine: { type: "string" }, out: { type: "string", default: path.join(here, "results") }, help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("Usage: npm run bench -- [--scale 10 | --scales 1,10] [--only stack,neo4j,qdrant,redis,pipeline] [--repeat 1] [--quick] [--replay-limit S] [--out DIR]\n" +
    "       npm run bench -- --combine A.json,B.json [--out DIR]   (one report from earlier runs)");
  process.exit(0);
}
if (values.combine) {
  const name = `${new Date().toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-")}-combined`;
  console.log(writeReport(values.out, name, combineReports(values.combine.split(","))));
  process.exit(0);
}
const scales = values.scales ? values.scales.split(",").map(Number) : values.quick ? [0.1] : [...new Set([1, Number(values.scale ?? 10)])];
if (scales.some((s) => !(s > 0))) throw new Error("--scale and --scales take positive numbers");
const repeat = Number(values.repeat ?? 1);
const replayLimit = Number(values["replay-limit"]);
if (!(replayLimit > 0)) throw new Error(`--replay-limit takes seconds, not ${values["replay-limit"]}`);
const only = values.only ? values.only.split(",").map((s) => s.trim()) : ORDER;
const unknown = only.filter((b) => !ORDER.includes(b));
if (unknown.length > 0) throw new Error(`unknown benchmark(s) ${unknown.join(", ")}: choose among ${ORDER.join(", ")}`);
if (!loadServicesEnv()) console.log("no .cache/services/env: start the test services first (npm run services -- start); S3 and stack rows need them");

const date = new Date().toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
const loadBefore = loadAverage();
const work = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-all-"));
const results: BenchResult[] = [];
const missing: Missing[] = [];
try {
  for (const bench of ORDER.filter((b) => only.includes(b))) {
    const unit = UNITS[bench];
    const runs = unit ? scales.map((s) => ({ label: `${s}×`, args: unit(s, repeat) })) : [{ label: scales.map((s) => `${s}×`).join(", "), args: ALL_SCALES_AT_ONCE[bench]?.(scales, repeat) ?? [] }];
    for (const run of runs) {
      const file = path.join(work, `${bench}-${results.length}-${missing.length}.json`);
      console.log(`\n=== ${bench} at ${run.label}: node bench/${bench}/run.ts ${run.args.join(" ")} (load average ${loadAverage().join(" ")})`);
      const started = Date.now();
      const child = spawnSync(process.execPath, [path.join(here, bench, "run.ts"), ...run.args, "--json", file], { stdio: "inherit" });
      const got = readResults(file);
      results.push(...got);
      if (child.status !== 0 || got.length === 0) missing.push({ bench, scale: run.label, reason: `exited with ${child.status ?? child.signal} after ${((Date.now() - started) / 1000).toFixed(0)} s (its output above says why)` });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const facts: MachineFacts = {
  date,
  command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
  commit: firstLine("git", ["-C", here, "rev-parse", "--short", "HEAD"]),
  cpuModel: os.cpus()[0]?.model ?? "unknown",
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  os: `${os.type()} ${os.release()}`,
  loadAverageBefore: loadBefore,
  loadAverageAfter: loadAverage(),
  tools: { zstd: firstLine("zstd", ["--version"]).replace(/^.*v(\d[\d.]*).*$/, "$1"), "redis-server": firstLine("redis-server", ["--version"]).replace(/^.* v=(\S+).*$/, "$1"), "aws-cli": (firstLine("aws", ["--version"]).split(" ")[0] ?? "").replace(/^aws-cli\//, "") },
};
const markdown = writeReport(values.out, date, { runs: [facts], results, missing });
console.log(`\n${markdown}\nwritten: ${path.join(values.out, date)}.{md,json}`);
process.exitCode = missing.length > 0 ? 1 : 0;

// --- internal ---

function readResults(file: string): BenchResult[] {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as BenchResult[];
  } catch {
    return [];
  }
}

function firstLine(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? "";
}
