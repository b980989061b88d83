/**
 * Runs `stackvault … --json` as a child process under `/usr/bin/time` and reads what it printed: wall and CPU
 * seconds, peak RSS, the seconds of each `[n/N]` step (from the `step` events' timestamps; the last step ends
 * when the process exits; step 0 is the start-up before `[1/N]`) and the result document (the last JSON line).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { StepTime } from "../common/result.ts";
import { agentBundle } from "../../src/remote/bundle.ts";
import { MALLOC_ENV, NODE_FLAGS } from "../../src/core/node-flags.ts";

/** The checkout's CLI entry, run from its TypeScript sources. */
export const CLI_MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/**
 * The entry file to measure: `bundle` is the single-file build the package ships, the one a remote run executes
 * on the host (built here when the sources changed); `source` runs the TypeScript sources, which adds Node's
 * type stripping to the start-up and its memory.
 */
export async function cliEntry(kind: "bundle" | "source"): Promise<string> {
  return kind === "source" ? CLI_MAIN : (await agentBundle()).file;
}

/** What one CLI run measured. */
export interface CliRun {
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  steps: StepTime[];
  /** The command's result document. */
  result: Record<string, unknown>;
}

/**
 * Runs `node NODE_FLAGS ENTRY --json …args` (the flags and MALLOC_ENV every stackvault process runs with) with `env` (secrets go there, never in `args`); `entry` comes from
 * {@link cliEntry}.
 * @throws when the command exits non-zero, with its last output lines.
 */
export async function runCliMeasured(operation: StepTime["operation"], args: readonly string[], env: NodeJS.ProcessEnv, entry: string): Promise<CliRun> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-time-"));
  const timeFile = path.join(dir, "time.txt");
  try {
    const started = Date.now();
    const { code, stdout, stderr, rss } = await run("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, process.execPath, ...NODE_FLAGS, entry, "--json", ...args], { ...env, ...MALLOC_ENV });
    const ended = Date.now();
    if (code !== 0) throw new Error(`stackvault ${operation} exited with ${code}:\n${tail(stderr)}\n${tail(stdout)}`);
    const [rssKiB = 0, user = 0, sys = 0] = (readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
    const lines = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    return {
      seconds: (ended - started) / 1000,
      cpuSeconds: user + sys,
      peakRssMiB: rssKiB / 1024,
      steps: stepTimes(operation, lines, started, ended, rss),
      result: lines.at(-1) ?? {},
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- internal ---

/**
 * The seconds of each step, after a step 0: the start-up (process start to the first step event); with the
 * peak of the RSS samples taken within each step's time.
 */
function stepTimes(operation: StepTime["operation"], lines: Record<string, unknown>[], started: number, ended: number, rss: RssSample[]): StepTime[] {
  const steps = lines.filter((l) => l.type === "step");
  const first = steps[0];
  const peak = (from: number, to: number): { peakRssMiB?: number } => {
    const within = rss.filter((r) => r.at >= from && r.at < to).map((r) => r.kib);
    return within.length === 0 ? {} : { peakRssMiB: Math.max(...within) / 1024 };
  };
  const firstAt = first === undefined ? ended : Date.parse(String(first.time));
  const startUp: StepTime[] = first === undefined ? [] : [{ operation, index: 0, total: Number(first.total), title: "Start-up (Node, modules, configuration)", seconds: (firstAt - started) / 1000, ...peak(started, firstAt) }];
  return [...startUp, ...steps.map((step, i) => {
    const start = Date.parse(String(step.time));
    const next = steps[i + 1];
    const end = next === undefined ? ended : Date.parse(String(next.time));
    return { operation, index: Number(step.index), total: Number(step.total), title: String(step.title), seconds: (end - start) / 1000, ...peak(start, end) };
  })];
}

interface RssSample {
  at: number;
  kib: number;
}

/** The RSS of the process `/usr/bin/time` runs (its only child), or undefined when it is not there (yet). */
function childRssKiB(timePid: number): number | undefined {
  try {
    const child = readFileSync(`/proc/${timePid}/task/${timePid}/children`, "utf8").trim().split(/\s+/)[0];
    if (!child) return undefined;
    const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child}/status`, "utf8"))?.[1];
    return kib === undefined ? undefined : Number(kib);
  } catch {
    return undefined; // not started yet, or already gone
  }
}

/** Runs `command` (here `/usr/bin/time`), sampling the RSS of its child every 50 ms. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string; rss: RssSample[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const rss: RssSample[] = [];
    const sampler = setInterval(() => {
      const kib = child.pid === undefined ? undefined : childRssKiB(child.pid);
      if (kib !== undefined) rss.push({ at: Date.now(), kib });
    }, 50);
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", (err) => {
      clearInterval(sampler);
      reject(err);
    });
    child.on("close", (code) => {
      clearInterval(sampler);
      resolve({ code, stdout, stderr, rss });
    });
  });
}

function tail(text: string): string {
  return text.trim().split("\n").slice(-8).join("\n");
}
