/**
 * Holding the stack lock for the length of a plan: acquire (waiting if asked), recover from a crashed run
 * (restart the services it had stopped), renew the lease in the background, and stop the run if the lock is
 * lost. The release is registered as a clean-up.
 */
import { LockError } from "../core/errors.ts";
import type { Emitter } from "../core/events.ts";
import type { ServiceController } from "../services/controller.ts";
import type { Target } from "../targets/target.ts";
import { pollUntil } from "../services/wait.ts";
import { acquireLock, type HeldLock, type LockRecord } from "./lock.ts";
import type { Cleanups } from "./steps.ts";

/** Services a plan stops while it works. */
export interface PlanServices {
  controller: ServiceController;
  names: readonly string[];
  stopTimeoutMs?: number;
}

/**
 * Stops those of `services` that run and registers their restart as the `services` clean-up, which clears
 * the list again. Each service is recorded in the lock just before it is stopped, so a crash leaves exactly
 * the services this run stopped for the next run to start, never one the operator had left stopped.
 */
export async function stopServices(services: PlanServices | undefined, lock: RunLock, cleanups: Cleanups, events: Emitter, stoppedNote: string): Promise<void> {
  if (!services || services.names.length === 0) {
    events.ok("No service to stop");
    return;
  }
  const { controller, names, stopTimeoutMs } = services;
  const stopped: string[] = [];
  const beforeStop = async (name: string): Promise<void> => {
    stopped.push(name);
    await lock.held.setStoppedServices([...stopped]);
  };
  const restart = await controller.stop(names, { signal: lock.signal, beforeStop, ...(stopTimeoutMs === undefined ? {} : { timeoutMs: stopTimeoutMs }) });
  cleanups.add("services", async () => {
    // Marked first, so that a crash during the start tells the next run not to wait for them to stop; a lock
    // that cannot be written keeps them as stopped, the cautious reading, and they are started all the same.
    if (stopped.length > 0) await lock.held.markRestarting([...stopped]).catch(() => undefined);
    await restart();
    if (stopped.length === 0) return;
    await lock.held.clearServices();
    events.ok(`Restarted: ${stopped.join(", ")}`);
  });
  const idle = names.filter((n) => !stopped.includes(n));
  if (idle.length > 0) events.ok(`Not running, left alone: ${idle.join(", ")}`);
  if (stopped.length > 0) events.ok(`${stoppedNote}: ${stopped.join(", ")}`);
}

export interface LockSettings {
  /** Lease length; renewed every third of it. @default 900000 */
  leaseMs?: number;
  /** Wait this long for another run to finish. @default 0 (fail fast) */
  waitMs?: number;
}

export interface RunLock {
  held: HeldLock;
  /** Aborts when the caller's signal aborts or the lock is lost. */
  signal: AbortSignal;
}

export async function holdLock(
  target: Target,
  stack: string,
  operation: string,
  options: { lock?: LockSettings; signal: AbortSignal; events: Emitter; services?: Pick<PlanServices, "controller" | "stopTimeoutMs"> },
  cleanups: Cleanups,
): Promise<RunLock> {
  const leaseMs = options.lock?.leaseMs ?? 900_000;
  const held = await acquireLock(target, stack, { operation, leaseMs, waitMs: options.lock?.waitMs ?? 0, signal: options.signal });
  const lost = new AbortController();
  const timer = setInterval(() => {
    held.renew().catch((err: unknown) => lost.abort(err instanceof LockError ? err : new LockError(`The lock of stack '${stack}' could not be renewed.`, { cause: err })));
  }, Math.max(1000, Math.floor(leaseMs / 3)));
  timer.unref();
  cleanups.add("lock", async () => {
    clearInterval(timer);
    await held.release();
  });
  const stale = held.tookOver;
  if (stale) {
    options.events.warn(`Took over the expired lock of a ${stale.operation} run of ${stale.user}@${stale.host} (pid ${stale.pid}, started ${stale.acquiredAt}); it did not finish.`);
    await recoverServices(stale, held, options);
  }
  return { held, signal: AbortSignal.any([options.signal, lost.signal]) };
}

// --- internal ---

/** What a controller's stop may take beyond its stop timeout (the command controller's allowance). */
const STOP_GRACE_MS = 10_000;

/**
 * Starts again what a crashed run had stopped. Its stop command may outlive it (a warm stop still waiting for
 * the worker's job): a service of its stopped list that still runs is given until that stop's own timeout has
 * passed to go down before it is started, or it would be found running, left alone, and then go down for good.
 * Past that time (the usual case after a full lease) a running one was never stopped or was started by hand,
 * and is left running. Services it was already starting again are started only if they do not run. Until the
 * starts are done, the new record keeps the lists, so a crash during this recovery leaves them to the next run.
 */
async function recoverServices(stale: LockRecord, held: HeldLock, options: { signal: AbortSignal; events: Emitter; services?: Pick<PlanServices, "controller" | "stopTimeoutMs"> }): Promise<void> {
  const stopping = stale.stoppedServices;
  const all = [...new Set([...stopping, ...(stale.startingServices ?? [])])];
  if (all.length === 0) return;
  if (!options.services) {
    options.events.warn(`That run had stopped ${all.join(", ")}; start them again by hand.`);
    return;
  }
  const { controller, stopTimeoutMs = 60_000 } = options.services;
  const signal = options.signal;
  const stillUp = async (): Promise<string[]> => (await Promise.all(stopping.map(async (s) => ((await controller.isRunning(s, { signal })) ? s : undefined)))).filter((s) => s !== undefined);
  const since = Date.parse(stale.stoppingSince ?? "");
  const waitMs = Number.isNaN(since) ? stopTimeoutMs : Math.min(stopTimeoutMs, since + stopTimeoutMs + STOP_GRACE_MS - Date.now());
  const up = waitMs > 0 ? await stillUp() : [];
  if (up.length > 0) {
    options.events.info(`Waiting for ${up.join(", ")} to finish the stop that run began`);
    const down = await pollUntil(async () => (await stillUp()).length === 0, { timeoutMs: waitMs, intervalMs: 250, signal });
    if (!down) options.events.warn(`Still running when that stop should have ended: ${(await stillUp()).join(", ")}; left running.`);
  }
  const running = new Set((await Promise.all(all.map(async (s) => ((await controller.isRunning(s, { signal })) ? s : undefined)))).filter((s) => s !== undefined));
  const toStart = all.filter((s) => !running.has(s));
  await held.markRestarting(all);
  if (toStart.length > 0) await controller.start(toStart, { signal });
  await held.clearServices();
  if (toStart.length > 0) options.events.ok(`Restarted what that run had stopped: ${toStart.join(", ")}`);
  if (running.size > 0) options.events.info(`Already running, left alone: ${[...running].join(", ")}`);
}
