/**
 * Ordered, named plan steps that emit the seed's `[n/N]` events, and a `finally` list whose clean-up errors
 * are joined, never dropped (offen/docker-volume-backup's pattern).
 */
import type { Emitter } from "../core/events.ts";

/** Announces steps `[1/N] … [N/N]` in order. */
export class StepCounter {
  private index = 0;
  private readonly total: number;
  private readonly events: Emitter;

  constructor(total: number, events: Emitter) {
    this.total = total;
    this.events = events;
  }

  /** Emits the next step's title. */
  next(title: string): void {
    this.index = Math.min(this.index + 1, this.total);
    this.events.step(this.index, this.total, title);
  }
}

/** Clean-up actions run in reverse order; errors from them are collected. */
export class Cleanups {
  private readonly actions: { name: string; run: () => Promise<void> }[] = [];

  add(name: string, run: () => Promise<void>): void {
    this.actions.push({ name, run });
  }

  /** Runs (once) and forgets the action registered under `name`, if any. */
  async runNow(name: string): Promise<void> {
    const index = this.actions.findIndex((a) => a.name === name);
    if (index < 0) return;
    const [action] = this.actions.splice(index, 1);
    await action?.run();
  }

  /** Runs every remaining action, newest first; returns the errors (empty when all succeeded). */
  async runAll(): Promise<unknown[]> {
    const errors: unknown[] = [];
    while (this.actions.length > 0) {
      const action = this.actions.pop();
      try {
        await action?.run();
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }
}

/**
 * Runs `body`, then every clean-up. When the body failed, clean-up errors are attached to its error (as
 * `cleanupErrors`); when only clean-ups failed, their first error is thrown.
 */
export async function withCleanups<T>(cleanups: Cleanups, body: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (err) {
    const errors = await cleanups.runAll();
    if (errors.length > 0 && err instanceof Error) (err as Error & { cleanupErrors?: unknown[] }).cleanupErrors = errors;
    throw err;
  }
  const errors = await cleanups.runAll();
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} clean-up steps failed.`);
  return result;
}
