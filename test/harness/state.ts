/**
 * The harness's runtime state under `.cache/services/`: which processes it started for each service (the
 * only ones `stop` touches), the coordinates file `env` the tests load, and a lock so two `services`
 * commands on one checkout never race.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { ProcessRecord } from "./process.ts";
import { isAlive, sleep } from "./process.ts";

/** What the harness recorded about one running service. */
export interface ServiceRecord {
  pids: ProcessRecord[];
  env: Record<string, string>;
  logs: string[];
  /** ISO time of the start. */
  startedAt: string;
}

/** The whole state file. */
export interface HarnessState {
  services: Record<string, ServiceRecord>;
}

/** Where everything lives. */
export interface HarnessPaths {
  root: string;
  /** `.cache/services` in the checkout. */
  servicesDir: string;
  stateFile: string;
  envFile: string;
  /** `${XDG_CACHE_HOME:-~/.cache}/stackvault`, outside the checkout, shared by every clone. */
  cacheDir: string;
}

/** The harness's paths for this checkout. */
export function harnessPaths(): HarnessPaths {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  const servicesDir = path.join(root, ".cache", "services");
  const xdg = process.env.XDG_CACHE_HOME;
  const cacheDir = path.join(xdg !== undefined && xdg !== "" ? xdg : path.join(os.homedir(), ".cache"), "stackvault");
  return { root, servicesDir, stateFile: path.join(servicesDir, "state.json"), envFile: path.join(servicesDir, "env"), cacheDir };
}

/** Reads the state file (empty state when there is none or it is unreadable). */
export function readState(paths: HarnessPaths): HarnessState {
  try {
    const parsed = JSON.parse(readFileSync(paths.stateFile, "utf8")) as HarnessState;
    return parsed.services !== undefined ? parsed : { services: {} };
  } catch {
    return { services: {} };
  }
}

/**
 * Writes the state file and the coordinates file atomically. `order` lists service names in registry
 * order so the env file is stable; services without a record contribute nothing.
 */
export function writeState(paths: HarnessPaths, state: HarnessState, order: string[]): void {
  mkdirSync(paths.servicesDir, { recursive: true });
  writeAtomic(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  const names = [...order, ...Object.keys(state.services).filter((n) => !order.includes(n))];
  const lines: string[] = [];
  for (const name of names) {
    const record = state.services[name];
    if (record === undefined) continue;
    for (const [key, value] of Object.entries(record.env)) lines.push(`${key}=${value}`);
  }
  writeAtomic(paths.envFile, lines.length > 0 ? `${lines.join("\n")}\n` : "");
}

/** True when every recorded process of the service still runs. */
export function recordAlive(record: ServiceRecord): boolean {
  return record.pids.length > 0 && record.pids.every(isAlive);
}

/**
 * Takes the checkout's harness lock, waiting while another live `services` command holds it (a lock left
 * by a dead process is taken over). Resolves with the function that releases it.
 */
export async function acquireLock(paths: HarnessPaths, log: (message: string) => void, signal: AbortSignal): Promise<() => void> {
  mkdirSync(paths.servicesDir, { recursive: true });
  const lockFile = path.join(paths.servicesDir, "lock");
  let told = false;
  for (;;) {
    signal.throwIfAborted();
    try {
      const fd = openSync(lockFile, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(safeRead(lockFile), 10);
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive({ pid: holder })) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (!told) log(`services: waiting for another services command (pid ${holder}) to finish`);
    told = true;
    await sleep(500);
  }
}

// --- internal ---

function writeAtomic(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode: 0o600 });
  renameSync(temporary, file);
}

function safeRead(file: string): string {
  try {
    return existsSync(file) ? readFileSync(file, "utf8") : "";
  } catch {
    return "";
  }
}
