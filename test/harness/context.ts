/**
 * Builds the {@link HarnessContext} one service's install and start receive, and keeps track of the processes
 * it spawned so a failed start can be cleaned up.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { HarnessContext } from "./service.ts";
import type { ProcessRecord } from "./process.ts";
import { freePort, isAlive, spawnDetached, waitFor } from "./process.ts";
import type { HarnessPaths } from "./state.ts";

/** A context plus what the harness needs to know after the service's start settles. */
export interface TrackedContext {
  ctx: HarnessContext;
  /** Processes spawned through `ctx.spawn`, in order. */
  spawned: ProcessRecord[];
  /** Log files of those processes (the default log first). */
  logFiles: string[];
}

/** A fresh context for service `name`. */
export function createContext(
  paths: HarnessPaths,
  name: string,
  env: Record<string, string>,
  signal: AbortSignal,
  log: (message: string) => void,
): TrackedContext {
  const stateDir = path.join(paths.servicesDir, name);
  mkdirSync(stateDir, { recursive: true });
  const logFile = path.join(stateDir, `${name}.log`);
  const spawned: ProcessRecord[] = [];
  const logFiles = [logFile];
  const ctx: HarnessContext = {
    root: paths.root,
    cacheDir: paths.cacheDir,
    stateDir,
    env: { ...env },
    log,
    signal,
    logFile,
    async spawn(command, args, options = {}) {
      const file = options.logFile ?? logFile;
      if (!logFiles.includes(file)) logFiles.push(file);
      mkdirSync(path.dirname(file), { recursive: true });
      appendFileSync(file, `\n=== ${new Date().toISOString()} services: ${path.basename(command)} starting ===\n`);
      const record = await spawnDetached(command, args, { logFile: file, env: options.env, cwd: options.cwd ?? paths.root });
      spawned.push(record);
      return record.pid;
    },
    freePort,
    async waitFor(label, check, timeoutMs) {
      return waitFor(label, check, {
        timeoutMs,
        gone: () => {
          if (signal.aborted) return "interrupted";
          const dead = spawned.find((record) => !isAlive(record));
          return dead === undefined ? undefined : `process ${dead.pid} exited before it was ready`;
        },
      });
    },
  };
  return { ctx, spawned, logFiles };
}
