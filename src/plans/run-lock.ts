/**
 * Holding the stack lock for the length of a plan: acquire (waiting if asked), recover from a crashed run
 * (restart the services it had stopped), renew the lease in the background, and stop the run if the lock is
 * lost. The release is registered as a clean-up.
 */
import { LockError } from "../core/errors.ts";
import type { Emitter } from "../core/events.ts";
import type { ServiceController } from "../services/controller.ts";
import type { Target } from "../targets/target.ts";
import { acquireLock, type HeldLock } from "./lock.ts";
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
    await restart();
    if (stopped.length === 0) return;
    await lock.held.setStoppedServices([]);
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
  options: { lock?: LockSettings; signal: AbortSignal; events: Emitter; services?: { controller: ServiceController } },
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
    if (stale.stoppedServices.length > 0 && options.services) {
      await options.services.controller.start(stale.stoppedServices, { signal: options.signal });
      // Until here the new record kept the stale list (a crash during the recovery leaves it for the next run).
      await held.setStoppedServices([]);
      options.events.ok(`Restarted what that run had stopped: ${stale.stoppedServices.join(", ")}`);
    } else if (stale.stoppedServices.length > 0) {
      options.events.warn(`That run had stopped ${stale.stoppedServices.join(", ")}; start them again by hand.`);
    }
  }
  return { held, signal: AbortSignal.any([options.signal, lost.signal]) };
}
