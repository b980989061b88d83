/** Waiting for a freshly created host to accept commands (boot, SSH daemon, user data still running). */
import { ExecError, isStackvaultError, throwIfAborted } from "../core/errors.ts";
import type { Executor } from "../exec/executor.ts";

export interface ReachableOptions {
  /** Give up after this long. @default 600000 (ten minutes) */
  timeoutMs?: number;
  /** Pause between two tries. @default 5000 */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called after each failed try with the reason (progress). */
  onRetry?: (reason: string) => void;
}

/**
 * Resolves once `executor` runs `true` on the host. Failures that say the host is not there yet (connection
 * refused, timeout, reset) are retried until the deadline; a host-key mismatch is not retried.
 * @throws ExecError after the deadline, naming the last reason; CancelledError when `signal` aborts.
 */
export async function waitReachable(executor: Executor, options: ReachableOptions = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  for (;;) {
    let last: string;
    throwIfAborted(options.signal);
    try {
      await executor.run("true", [], { timeoutMs: 30_000, ...(options.signal ? { signal: options.signal } : {}) });
      return;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      last = (err as Error).message;
      if (isStackvaultError(err) && /host key/i.test(last)) throw err;
    }
    if (Date.now() >= deadline) {
      throw new ExecError(`The host ${executor.location} did not become reachable: ${last}`, { hint: "Check the security group (port 22 from here), the key pair, and the instance's system log." });
    }
    options.onRetry?.(last);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5000));
  }
}
