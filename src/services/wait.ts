/** Polling with a deadline, for health waits. */
import { throwIfAborted } from "../core/errors.ts";

/**
 * Calls `check` every `intervalMs` until it returns true; resolves false when `timeoutMs` passes first.
 * Rejects with CancelledError when `signal` aborts.
 */
export async function pollUntil(check: () => Promise<boolean>, options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    throwIfAborted(options.signal);
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}
