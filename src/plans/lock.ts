/**
 * The stack lock: one backup or restore per stack at a time (DESIGN §7). The lock is a small JSON object at
 * `stacks/{stack}/lock` written with "only if absent"; it carries the owner's identity and a lease that the
 * holder renews while it runs. A run that finds a live lock fails fast with the owner's identity; one that
 * finds an expired lease takes it over with "only if unchanged" (so two takers cannot both win) and hands
 * back the stale record, whose `stoppedServices` and `startingServices` the new run restarts. The new record
 * starts with those same lists until the new run has restarted them: a run killed in the middle of that
 * recovery leaves them for the next one instead of losing them.
 *
 * Release overwrites the object with a released record ("only if unchanged") instead of deleting it: on a
 * versioned bucket a delete leaves a delete marker, and some S3-compatible servers then refuse "only if
 * absent" while reading the key gives 404. A released record is free for the next run, which takes it with
 * "only if unchanged". A lock that the target says exists but that cannot be read is retried a few times with
 * a pause, then reported, never spun on.
 *
 * Atomicity rests on the target's conditional writes: exact on AWS S3, the local folder and memory targets.
 */
import os from "node:os";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { LockError, PreconditionFailedError, throwIfAborted } from "../core/errors.ts";
import { getBytes } from "../targets/target.ts";
import type { Target } from "../targets/target.ts";
import { lockKey } from "../targets/layout.ts";

/** What the lock object holds. */
export interface LockRecord {
  runId: string;
  /** `backup`, `restore`, `prune`… */
  operation: string;
  host: string;
  pid: number;
  user: string;
  acquiredAt: string;
  /** The lease ends here unless renewed. */
  expiresAt: string;
  /**
   * Services stopped and not restarted yet (by this run, or by the stale run it took over and has not
   * recovered yet); a run that takes over a stale lock restarts them.
   */
  stoppedServices: string[];
  /** When the last service of `stoppedServices` was about to be stopped (bounds how long its stop can last). */
  stoppingSince?: string;
  /**
   * Services the holder is starting again (its clean-up, or its recovery of a stale run): running already or
   * about to be. Unlike a stopped service, one found running here is not waited on by the run taking over.
   */
  startingServices?: string[];
  /** Set when the holder released the lock: the stack is free. */
  released?: boolean;
}

export interface AcquireOptions {
  operation: string;
  /** Lease length. @default 120000 */
  leaseMs?: number;
  /** Wait up to this long for a live lock to be released instead of failing at once. @default 0 */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface HeldLock {
  readonly record: LockRecord;
  /** The expired record this run took over, if any (its stopped services need a restart). */
  readonly tookOver: LockRecord | undefined;
  /** Records the services stopped by this run (so that a crash leaves the list behind). */
  setStoppedServices(services: string[]): Promise<void>;
  /** Moves `services` to the starting list (before their start commands run) and empties the stopped list. */
  markRestarting(services: string[]): Promise<void>;
  /** Empties both service lists: everything this run stopped runs again. */
  clearServices(): Promise<void>;
  /** Renews the lease. @throws LockError when the lock was taken over meanwhile. */
  renew(): Promise<void>;
  /** Marks the lock released if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the stack's lock.
 * @throws LockError naming the holder when a live lock exists (after `waitMs`).
 */
export async function acquireLock(target: Target, stack: string, options: AcquireOptions): Promise<HeldLock> {
  const key = lockKey(stack);
  const leaseMs = options.leaseMs ?? 120_000;
  const deadline = Date.now() + (options.waitMs ?? 0);
  let unreadable = 0;
  for (;;) {
    throwIfAborted(options.signal);
    const record = newRecord(options.operation, leaseMs);
    try {
      const { etag } = await target.put(key, JSON.stringify(record), { ifAbsent: true, contentType: "application/json", ...signalOf(options) });
      return held(target, key, record, etag, leaseMs, undefined);
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
    const current = await readLockObject(target, key, options.signal);
    if (!current) {
      // Deleted between the two calls (a race: try again), or a target that says "exists" for a key it cannot
      // serve (a delete marker on some S3-compatible servers): never spin on that.
      if (++unreadable >= UNREADABLE_ROUNDS) throw unreadableError(target, key);
      await pause(Math.min(1000, 100 * 2 ** unreadable), options.signal);
      continue;
    }
    unreadable = 0;
    if (current.record.released === true || Date.parse(current.record.expiresAt) < Date.now()) {
      if (current.record.released !== true) {
        record.stoppedServices = [...(current.record.stoppedServices ?? [])];
        record.startingServices = [...(current.record.startingServices ?? [])];
        if (current.record.stoppingSince !== undefined) record.stoppingSince = current.record.stoppingSince;
      }
      try {
        const { etag } = await target.put(key, JSON.stringify(record), { ifMatch: current.etag, contentType: "application/json", ...signalOf(options) });
        return held(target, key, record, etag, leaseMs, current.record.released === true ? undefined : current.record);
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        continue;
      }
    }
    if (Date.now() >= deadline) throw lockedError(stack, current.record);
    await pause(Math.min(500, Math.max(50, deadline - Date.now())), options.signal);
  }
}

/** Reads the current lock, or `undefined` when the stack is not locked (no lock, or a released one). */
export async function readLock(target: Target, stack: string, signal?: AbortSignal): Promise<{ record: LockRecord; etag: string } | undefined> {
  const current = await readLockObject(target, lockKey(stack), signal);
  return current?.record.released === true ? undefined : current;
}

// --- internal ---

/** Rounds of "exists" on write but nothing readable before the lock is reported as unusable. */
const UNREADABLE_ROUNDS = 5;

/** The lock object as stored (released or not), or `undefined` when absent or unreadable. */
async function readLockObject(target: Target, key: string, signal?: AbortSignal): Promise<{ record: LockRecord; etag: string } | undefined> {
  const info = await target.head(key, signal ? { signal } : {});
  if (!info) return undefined;
  try {
    const record = JSON.parse((await getBytes(target, key, signal ? { signal } : {})).toString("utf8")) as LockRecord;
    return { record, etag: info.etag };
  } catch {
    return undefined;
  }
}

/** Waits `ms`, or less when `signal` aborts (the caller's next `throwIfAborted` then reports the cancel). */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}

function unreadableError(target: Target, key: string): LockError {
  return new LockError(
    `The lock ${key} in ${target.location} cannot be taken: the target refuses to create it ("already exists") but has no readable object under that key.`,
    {
      hint:
        "This happens on S3-compatible servers that count a delete marker as an existing object (left by an earlier version that deleted its lock). " +
        "Remove the versions and delete markers of that key, then run again.",
    },
  );
}

function signalOf(options: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

function newRecord(operation: string, leaseMs: number): LockRecord {
  const now = Date.now();
  let user = "unknown";
  try {
    user = os.userInfo().username;
  } catch {
    // Some containers have no passwd entry for the uid; the lock still works.
  }
  return { runId: randomUUID(), operation, host: os.hostname(), pid: process.pid, user, acquiredAt: new Date(now).toISOString(), expiresAt: new Date(now + leaseMs).toISOString(), stoppedServices: [] };
}

function lockedError(stack: string, holder: LockRecord): LockError {
  return new LockError(
    `The stack '${stack}' is locked by a ${holder.operation} run of ${holder.user}@${holder.host} (pid ${holder.pid}, since ${holder.acquiredAt}, lease until ${holder.expiresAt}).`,
    { hint: "Wait for that run to finish; a crashed run's lock is taken over automatically once its lease has expired." },
  );
}

function held(target: Target, key: string, initial: LockRecord, initialEtag: string, leaseMs: number, tookOver: LockRecord | undefined): HeldLock {
  let record = initial;
  let etag: string | undefined = initialEtag;
  // Writes of one holder (lease renewals, the stopped-services list) go one at a time: two in flight would
  // carry the same etag, and the second would mistake the first for another run taking the lock over.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const write = (change: (current: LockRecord) => LockRecord): Promise<void> =>
    serialized(async () => {
      if (etag === undefined) throw new LockError("The lock was already released.");
      const next = change(record);
      try {
        etag = (await target.put(key, JSON.stringify(next), { ifMatch: etag, contentType: "application/json" })).etag;
        record = next;
      } catch (err) {
        if (err instanceof PreconditionFailedError) throw new LockError(`The lock on ${key} was taken over by another run; this run must stop.`, { cause: err });
        throw err;
      }
    });
  return {
    get record() {
      return record;
    },
    tookOver,
    setStoppedServices: (services) => write((current) => ({ ...current, stoppedServices: [...services], stoppingSince: new Date().toISOString() })),
    markRestarting: (services) => write((current) => ({ ...current, stoppedServices: [], startingServices: [...services] })),
    clearServices: () => write((current) => ({ ...current, stoppedServices: [], startingServices: [] })),
    renew: () => write((current) => ({ ...current, expiresAt: new Date(Date.now() + leaseMs).toISOString() })),
    release: () =>
      serialized(async () => {
        if (etag === undefined) return;
        try {
          await target.put(key, JSON.stringify({ ...record, released: true, stoppedServices: [], startingServices: [], expiresAt: new Date().toISOString() }), { ifMatch: etag, contentType: "application/json" });
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err; // taken over meanwhile: not ours to release
        }
        etag = undefined;
      }),
  };
}
