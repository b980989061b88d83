/**
 * Process helpers of the test-service harness: detached spawning with output to a log file, liveness checks
 * that survive pid reuse, graceful stops (SIGTERM, wait, SIGKILL only as a last resort), free loopback ports,
 * polling for readiness and reading the tail of a log.
 */
import { spawn, execFile } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, fstatSync } from "node:fs";
import net from "node:net";
import path from "node:path";

/** A process the harness started: its pid and the kernel's start time (so a reused pid is not mistaken for it). */
export interface ProcessRecord {
  pid: number;
  /** Field 22 of `/proc/<pid>/stat` (clock ticks since boot); `undefined` where `/proc` does not exist. */
  startTime?: string;
}

/** Options of {@link spawnDetached}. */
export interface SpawnOptions {
  /** Appends stdout and stderr to this file (created with its folder). */
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Starts `command` in its own process group with stdin closed and output appended to `logFile`, unref'd so
 * the caller can exit while it runs. Resolves with its record once the kernel started it; rejects when the
 * executable cannot be run.
 */
export async function spawnDetached(command: string, args: string[], options: SpawnOptions): Promise<ProcessRecord> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, "a");
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error) => reject(new Error(`cannot run ${command}: ${error.message}`, { cause: error })));
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`cannot run ${command}: no pid`);
    return { pid, startTime: readStartTime(pid) };
  } finally {
    closeSync(fd);
  }
}

/** The record of a running process the harness did not spawn itself (for example a daemon's own child). */
export function recordOf(pid: number): ProcessRecord {
  return { pid, startTime: readStartTime(pid) };
}

/** True when the recorded process still runs (and is not a zombie or a different process with the same pid). */
export function isAlive(record: ProcessRecord): boolean {
  if (existsSync("/proc/self/stat")) {
    const stat = readStat(record.pid);
    if (stat === undefined) return false;
    if (stat.state === "Z" || stat.state === "X") return false;
    return record.startTime === undefined || stat.startTime === record.startTime;
  }
  try {
    process.kill(record.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the recorded processes: SIGTERM to each one's process group, waits up to `timeoutMs` for all to
 * exit, then SIGKILL to the ones still running. Resolves with the pids that needed SIGKILL.
 */
export async function stopProcesses(records: ProcessRecord[], timeoutMs: number): Promise<number[]> {
  const alive = records.filter(isAlive);
  for (const record of alive) signalGroup(record.pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && alive.some(isAlive)) await sleep(100);
  const stubborn = alive.filter(isAlive);
  for (const record of stubborn) signalGroup(record.pid, "SIGKILL");
  for (let i = 0; i < 50 && stubborn.some(isAlive); i++) await sleep(100);
  return stubborn.map((r) => r.pid);
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Calls `check` every `intervalMs` until it resolves truthy, and rejects after `timeoutMs` with the last
 * failure, or as soon as `abort()` says the service is gone (for example its process died).
 */
export async function waitFor<T>(
  label: string,
  check: () => Promise<T | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number; gone?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    const gone = options.gone?.();
    if (gone !== undefined) throw new Error(`${label}: ${gone}`);
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : "";
      throw new Error(`${label}: not ready after ${Math.round(options.timeoutMs / 1000)} s${why}`);
    }
    await sleep(options.intervalMs ?? 200);
  }
}

/** Resolves true once something accepts TCP connections on `host:port`. */
export async function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });
}

/** The last `lines` lines of a file (reads at most the last 64 KiB); empty when it does not exist. */
export function tailFile(file: string, lines = 20): string {
  if (!existsSync(file)) return "";
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString("utf8").split("\n").filter((l, i, all) => l !== "" || i < all.length - 1).slice(-lines).join("\n");
  } finally {
    closeSync(fd);
  }
}

/** Runs a command to completion; rejects with its captured output when it fails. */
export async function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const output = `${stdout}\n${stderr}`.trim().split("\n").slice(-20).join("\n");
        reject(new Error(`${command} ${args.join(" ")} failed: ${error.message}\n${output}`, { cause: error }));
      } else resolve(stdout);
    });
  });
}

/** Creates a folder (and its parents) and returns it. */
export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- internal ---

function readStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: the fields after it follow the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    const startTime = fields[19];
    return state === undefined || startTime === undefined ? undefined : { state, startTime };
  } catch {
    return undefined;
  }
}

function readStartTime(pid: number): string | undefined {
  return readStat(pid)?.startTime;
}

/** Sends `signal` to the process group led by `pid` (or to `pid` alone when it leads none); gone is fine. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
