/** How pipeline failures are reported: cancellation as `CancelledError`, our own errors unchanged. */
import { CancelledError, isStackvaultError } from "../core/errors.ts";

/**
 * Maps an error raised inside a pipeline to what callers see: a `CancelledError` when `signal` aborted the
 * run, the error itself otherwise (a stage's typed error stays as it is, so its message and exit code hold).
 */
export function normalizeError(err: unknown, signal: AbortSignal | undefined): unknown {
  if (isStackvaultError(err)) return err;
  if (signal?.aborted && (err === signal.reason || isAbortError(err))) {
    return new CancelledError("Cancelled.", { cause: signal.reason });
  }
  return err;
}

/** True for the `AbortError` node's streams raise when their signal aborts. */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}
