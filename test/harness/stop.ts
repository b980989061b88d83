/**
 * `services stop` and `services status`. Stop touches only the processes recorded in the state file (the
 * ones `start` spawned), dependents first: the service's own `stop` when it has one, else SIGTERM to the
 * process group, a wait, and SIGKILL only for what outlived the wait.
 */
import { createContext } from "./context.ts";
import { isAlive, stopProcesses } from "./process.ts";
import type { TestService } from "./service.ts";
import type { HarnessPaths } from "./state.ts";
import { readState, writeState } from "./state.ts";

/** Stops the recorded services named in `names` (every recorded one when empty) and their dependents. */
export async function stopServices(
  paths: HarnessPaths,
  services: TestService[],
  names: string[],
  signal: AbortSignal,
  log: (message: string) => void,
): Promise<boolean> {
  const began = Date.now();
  const order = services.map((s) => s.name);
  const state = readState(paths);
  const recorded = [...order.filter((n) => state.services[n] !== undefined), ...Object.keys(state.services).filter((n) => !order.includes(n))];
  const chosen = names.length === 0 ? new Set(recorded) : withDependents(services, names);
  let clean = true;
  for (const name of [...recorded].reverse()) {
    const record = state.services[name];
    if (record === undefined || !chosen.has(name)) continue;
    const service = services.find((s) => s.name === name);
    const alive = record.pids.filter(isAlive);
    try {
      if (service?.stop !== undefined && alive.length > 0) {
        const { ctx } = createContext(paths, name, record.env, signal, log);
        await service.stop(ctx, { env: record.env, pids: record.pids.map((p) => p.pid), logs: record.logs });
      }
      const killed = await stopProcesses(record.pids, service?.stopTimeoutMs ?? 30_000);
      if (killed.length > 0) log(`services: ${name} ignored SIGTERM; killed pid ${killed.join(", ")}`);
      const left = record.pids.filter(isAlive);
      if (left.length > 0) {
        clean = false;
        log(`services: ${name}: pid ${left.map((p) => p.pid).join(", ")} still running`);
        continue;
      }
      log(`services: ${name} stopped${alive.length === 0 ? " (had already exited)" : ` (pid ${alive.map((p) => p.pid).join(", ")})`}`);
      delete state.services[name];
      writeState(paths, state, order);
    } catch (error) {
      clean = false;
      log(`services: ${name} did not stop: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  writeState(paths, state, order);
  log(`services: stop took ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return clean;
}

/** Prints one line per service: running (pids), dead (which pids exited) or not started. True when all run. */
export function printStatus(paths: HarnessPaths, services: TestService[], log: (message: string) => void): boolean {
  const state = readState(paths);
  const names = [...services.map((s) => s.name), ...Object.keys(state.services).filter((n) => !services.some((s) => s.name === n))];
  let allRunning = true;
  for (const name of names) {
    const record = state.services[name];
    if (record === undefined) {
      allRunning = false;
      log(`${name.padEnd(10)} not started`);
      continue;
    }
    const dead = record.pids.filter((p) => !isAlive(p));
    const pids = record.pids.map((p) => p.pid).join(", ");
    if (dead.length === 0) log(`${name.padEnd(10)} running   pid ${pids} since ${record.startedAt}`);
    else {
      allRunning = false;
      log(`${name.padEnd(10)} DEAD      pid ${dead.map((p) => p.pid).join(", ")} exited (of ${pids}); log: ${record.logs[0] ?? "none"}`);
    }
  }
  return allRunning;
}

// --- internal ---

function withDependents(services: TestService[], names: string[]): Set<string> {
  const chosen = new Set(names);
  let grew = true;
  while (grew) {
    grew = false;
    for (const service of services) {
      if (!chosen.has(service.name) && (service.after ?? []).some((d) => chosen.has(d))) {
        chosen.add(service.name);
        grew = true;
      }
    }
  }
  return chosen;
}
