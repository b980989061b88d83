/**
 * `services start`: installs what is missing, starts every selected service that is not already running
 * (plus the services that depend on one that restarts), in dependency order and in parallel where possible,
 * records their processes and writes the coordinates file. Warm (everything alive) it only re-checks pids.
 */
import { appendFileSync } from "node:fs";
import { createContext } from "./context.ts";
import { installsPerformed } from "./install.ts";
import { recordOf, stopProcesses, tailFile } from "./process.ts";
import type { TestService } from "./service.ts";
import type { HarnessPaths, HarnessState } from "./state.ts";
import { readState, recordAlive, writeState } from "./state.ts";

/** Result of a start: false when at least one service failed (its message is already printed). */
export async function startServices(
  paths: HarnessPaths,
  services: TestService[],
  selected: TestService[],
  signal: AbortSignal,
  log: (message: string) => void,
): Promise<boolean> {
  const began = Date.now();
  const order = services.map((s) => s.name);
  const state = readState(paths);
  const toStart = servicesToStart(services, selected, state);
  if (toStart.length === 0) {
    writeState(paths, state, order);
    log(`services: all ${selected.length} already running (warm start, ${seconds(began)} s); coordinates in ${paths.envFile}`);
    return true;
  }
  for (const service of [...toStart].reverse()) await stopLeftovers(service, state, log);
  writeState(paths, state, order);

  const installBegan = Date.now();
  const installs = new Map(toStart.map((s) => [s.name, installOne(paths, s, state, signal, log)]));
  const failures: string[] = [];
  const done = new Map<string, Promise<boolean>>();
  const startOne = async (service: TestService): Promise<boolean> => {
    const deps = (service.after ?? []).filter((d) => order.includes(d));
    const depsOk = await Promise.all(deps.map((d) => done.get(d) ?? Promise.resolve(state.services[d] !== undefined)));
    const installError = await installs.get(service.name);
    if (installError !== undefined) return fail(failures, service.name, installError, []);
    if (depsOk.includes(false)) return fail(failures, service.name, new Error(`not started: ${deps.join(", ")} did not start`), []);
    const tracked = createContext(paths, service.name, mergedEnv(state, order), signal, log);
    const t0 = Date.now();
    try {
      const started = await service.start(tracked.ctx);
      const known = new Set(tracked.spawned.map((r) => r.pid));
      const pids = [...tracked.spawned.filter((r) => started.pids.includes(r.pid)), ...started.pids.filter((p) => !known.has(p)).map(recordOf)];
      state.services[service.name] = { pids, env: started.env, logs: [...new Set([...started.logs, ...tracked.logFiles])], startedAt: new Date().toISOString() };
      writeState(paths, state, order);
      log(`services: ${service.name} ready in ${seconds(t0)} s (pid ${pids.map((p) => p.pid).join(", ")})`);
      return true;
    } catch (error) {
      await stopProcesses(tracked.spawned, service.stopTimeoutMs ?? 30_000);
      return fail(failures, service.name, error, tracked.logFiles);
    }
  };
  for (const service of toStart) done.set(service.name, startOne(service));
  await Promise.all(done.values());
  const cold = installsPerformed() > 0 || Date.now() - installBegan > 5000;
  writeState(paths, state, order);
  for (const failure of failures) log(failure);
  const summary = `${toStart.length - failures.length} of ${toStart.length} started (${toStart.map((s) => s.name).join(", ")})`;
  log(`services: ${summary} in ${seconds(began)} s, ${cold ? "cold (installed or built something)" : "warm (nothing to install)"}; coordinates in ${paths.envFile}`);
  return failures.length === 0;
}

/** The selected services plus their dependencies, in registry order (which lists dependencies first). */
export function withDependencies(services: TestService[], selected: TestService[]): TestService[] {
  const wanted = new Set<string>();
  const add = (name: string): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const dep of services.find((s) => s.name === name)?.after ?? []) add(dep);
  };
  for (const service of selected) add(service.name);
  return services.filter((s) => wanted.has(s.name));
}

// --- internal ---

function servicesToStart(services: TestService[], selected: TestService[], state: HarnessState): TestService[] {
  const restart = new Set<string>();
  for (const service of selected) {
    const record = state.services[service.name];
    if (record === undefined || !recordAlive(record)) restart.add(service.name);
  }
  // A service whose dependency restarts (on a new port) restarts too.
  let grew = true;
  while (grew) {
    grew = false;
    for (const service of selected) {
      if (!restart.has(service.name) && (service.after ?? []).some((d) => restart.has(d))) {
        restart.add(service.name);
        grew = true;
      }
    }
  }
  return selected.filter((s) => restart.has(s.name));
}

async function stopLeftovers(service: TestService, state: HarnessState, log: (m: string) => void): Promise<void> {
  const record = state.services[service.name];
  if (record === undefined) return;
  const alive = record.pids.length;
  const killed = await stopProcesses(record.pids, service.stopTimeoutMs ?? 30_000);
  delete state.services[service.name];
  log(`services: restarting ${service.name} (${alive} recorded process(es), some had exited)${killed.length > 0 ? `; SIGKILL to ${killed.join(", ")}` : ""}`);
}

async function installOne(
  paths: HarnessPaths,
  service: TestService,
  state: HarnessState,
  signal: AbortSignal,
  log: (m: string) => void,
): Promise<unknown> {
  try {
    await service.install(createContext(paths, service.name, mergedEnv(state, []), signal, log).ctx);
    return undefined;
  } catch (error) {
    return error ?? new Error("install failed");
  }
}

function mergedEnv(state: HarnessState, order: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const names = [...order.filter((n) => state.services[n] !== undefined), ...Object.keys(state.services).filter((n) => !order.includes(n))];
  for (const name of names) Object.assign(env, state.services[name]?.env);
  return env;
}

function fail(failures: string[], name: string, error: unknown, logFiles: string[]): false {
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`services: ${name} failed to start: ${message}`];
  for (const file of logFiles) {
    appendFileSync(file, `=== ${new Date().toISOString()} services: start failed: ${message.split("\n")[0]} ===\n`);
    lines.push(`  log file: ${file}`, `  last lines of ${file}:`, ...tailFile(file, 20).split("\n").map((l) => `    ${l}`));
  }
  failures.push(lines.join("\n"));
  return false;
}

function seconds(since: number): string {
  return ((Date.now() - since) / 1000).toFixed(1);
}
