/**
 * Runs the CLI as a child process with `--json` and reads its events as they come, so that a test can
 * `kill -9` it at a chosen point: after the n-th event plus a delay. Also the seeded randomness and the
 * fault tally shared by the reliability tests.
 */
import { spawn } from "node:child_process";
import { MAIN } from "../cli/run-cli.ts";
import { Rng } from "../fixtures/random.ts";

/** One JSON line of the CLI's output, with the time it was read (ms since the run started). */
export interface SeenEvent {
  at: number;
  type: string;
  message?: string;
  title?: string;
  /** Step number, for `step` events. */
  index?: number;
  code?: string;
  exitCode?: number;
}

export interface RunOutcome {
  /** True when the test killed the process; false when it ended by itself. */
  killed: boolean;
  code: number | null;
  events: SeenEvent[];
  stderr: string;
  /** Run time until exit, in ms. */
  durationMs: number;
}

/** Where to kill: after event number `afterEvent` (1-based; 0 = after spawn), `delayMs` later. */
export interface KillPoint {
  afterEvent: number;
  delayMs: number;
}

/**
 * Runs `stackvault args… --json`; with `kill`, sends SIGKILL at that point (unless the run ended before); with
 * `killWhen`, as soon as an event's message (or step title) matches. `onEvent` sees every event as it is read
 * (to act at a point of the run).
 */
export function runKillable(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; kill?: KillPoint; killWhen?: RegExp; onEvent?: (event: SeenEvent) => void },
): Promise<RunOutcome> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [MAIN, ...args, "--json"], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: "--disable-warning=ExperimentalWarning", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const events: SeenEvent[] = [];
    let killed = false;
    let buffered = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (options.kill === undefined || timer !== undefined) return;
      timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          killed = true;
          child.kill("SIGKILL");
        }
      }, options.kill.delayMs);
    };
    if (options.kill?.afterEvent === 0) arm();
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() === "") continue;
        try {
          events.push({ at: Date.now() - started, ...(JSON.parse(line) as Omit<SeenEvent, "at">) });
        } catch {
          events.push({ at: Date.now() - started, type: "text", message: line });
        }
        if (options.kill !== undefined && events.length === options.kill.afterEvent) arm();
        const last = events[events.length - 1];
        if (options.killWhen?.test(last?.message ?? last?.title ?? "") && child.exitCode === null && child.signalCode === null) {
          killed = true;
          child.kill("SIGKILL");
        }
        if (last) options.onEvent?.(last);
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ killed, code, events, stderr, durationMs: Date.now() - started });
    });
  });
}

/** True when an event's message (or step title) matches. */
export function saw(outcome: RunOutcome, pattern: RegExp): boolean {
  return outcome.events.some((e) => pattern.test(e.message ?? e.title ?? ""));
}

/** A kill point uniformly spread over a reference run's duration, anchored to the event before it. */
export function killPointWithin(reference: RunOutcome, rng: Rng): KillPoint {
  const t = rng.float() * reference.durationMs;
  let afterEvent = 0;
  let anchor = 0;
  reference.events.forEach((e, i) => {
    if (e.at <= t) {
      afterEvent = i + 1;
      anchor = e.at;
    }
  });
  return { afterEvent, delayMs: Math.round(t - anchor) };
}

/** The seed of a test: `STACKVAULT_TEST_SEED` when set (to replay a failure), else a fresh one. Printed. */
export function testSeed(name: string): { seed: number; rng: Rng } {
  const fixed = process.env.STACKVAULT_TEST_SEED;
  const seed = fixed !== undefined && fixed !== "" ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
  console.log(`${name}: seed ${seed} (replay with STACKVAULT_TEST_SEED=${seed})`);
  return { seed, rng: new Rng(seed) };
}

/** Faults tried, survived, and data lost, printed as one line the README's figures are taken from. */
export class FaultTally {
  tried = 0;
  survived = 0;
  dataLost = 0;
  readonly problems: string[] = [];
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  /** Records one fault and what was wrong after it (nothing: survived). `lost` marks data loss. */
  record(what: string, problems: readonly string[], lost = false): void {
    this.tried++;
    if (problems.length === 0) this.survived++;
    else this.problems.push(`${what}: ${problems.join("; ")}`);
    if (lost) this.dataLost++;
  }

  print(): void {
    console.log(`reliability ${JSON.stringify({ test: this.name, faultsTried: this.tried, survived: this.survived, dataLost: this.dataLost })}`);
    for (const problem of this.problems) console.log(`  problem: ${problem}`);
  }
}
