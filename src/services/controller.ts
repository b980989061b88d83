/**
 * The service-controller contract: stops and starts the stack's application services (the RQ `worker`, the
 * `app`) around a backup or restore. `stop()` returns the function that restarts exactly what it stopped, so
 * a plan can run it in `finally` whatever happens (offen/docker-volume-backup's pattern).
 *
 * Implementations: `compose` (docker compose), `systemd`, `command` (operator-given commands). Every one
 * passes `test/services/contract.ts`.
 */

/** Starts again what a `stop()` stopped. Idempotent: a second call does nothing. */
export type Restart = () => Promise<void>;

export interface StopOptions {
  signal?: AbortSignal;
  /**
   * How long a service may take to stop gracefully (for the RQ worker: finish the job in progress — a warm
   * shutdown) before it is killed. @default 60000
   */
  timeoutMs?: number;
  /**
   * Called with each service found running, just before it is stopped (a service that is not running is
   * never passed). A plan records the name here, so that a crash during or after the stop leaves exactly the
   * services it stopped for the next run to start. A rejection stops nothing more: services already stopped
   * are restarted and `stop()` rejects with that error.
   */
  beforeStop?: (service: string) => Promise<void>;
}

export interface ServiceController {
  /** `compose`, `systemd` or `command`. */
  readonly kind: string;

  /**
   * Stops the named services gracefully and resolves once they are stopped. Services that were not running
   * are left alone and are not started by the returned {@link Restart}.
   * @throws ExecError when a service cannot be stopped; services stopped before the failure are restarted
   * before the error is thrown.
   */
  stop(services: readonly string[], options?: StopOptions): Promise<Restart>;

  /** Starts the named services (used by recovery after a crashed run). */
  start(services: readonly string[], options?: { signal?: AbortSignal }): Promise<void>;

  /** True when the service runs. */
  isRunning(service: string, options?: { signal?: AbortSignal }): Promise<boolean>;

  /**
   * Resolves once every named service runs (and reports healthy, where the controller knows health).
   * @throws ExecError naming the services still not healthy after `timeoutMs` (default 120000).
   */
  waitHealthy(services: readonly string[], options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<void>;
}

/**
 * Stops services with a controller and returns a restart that runs at most once. The shared part of every
 * controller's `stop()`: stop one service at a time (announcing each running one to `beforeStop` first),
 * remember which were running, and on failure restart those already stopped before rethrowing.
 */
export async function stopEach(
  services: readonly string[],
  isRunning: (service: string) => Promise<boolean>,
  stopOne: (service: string) => Promise<void>,
  startOne: (service: string) => Promise<void>,
  beforeStop?: (service: string) => Promise<void>,
): Promise<Restart> {
  const stopped: string[] = [];
  const restart = once(async () => {
    const errors: unknown[] = [];
    for (const service of stopped.slice().reverse()) {
      try {
        await startOne(service);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} services could not be restarted.`);
  });
  try {
    for (const service of services) {
      if (!(await isRunning(service))) continue;
      await beforeStop?.(service);
      await stopOne(service);
      stopped.push(service);
    }
  } catch (err) {
    try {
      await restart();
    } catch (restartError) {
      throw new AggregateError([err, restartError], "Stopping services failed, and restarting the ones already stopped failed too.", { cause: restartError });
    }
    throw err;
  }
  return restart;
}

// --- internal ---

function once(fn: () => Promise<void>): Restart {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}
