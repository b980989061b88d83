/**
 * Helpers shared by the target implementations: turning a put body into a stream, and mapping an aborted
 * signal to the project's {@link CancelledError}.
 */
import { PassThrough, Readable } from "node:stream";
import { CancelledError, TargetError } from "../core/errors.ts";
import type { GetOptions } from "./target.ts";

/** A put body as a byte stream (strings are UTF-8). Streams are returned as they are. */
export function bodyStream(body: Readable | Uint8Array | string): Readable {
  if (typeof body === "string") return Readable.from([Buffer.from(body, "utf8")]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  return body;
}

/** The error an operation rejects with when `signal` aborted it. */
export function cancelled(signal: AbortSignal | undefined, what: string): CancelledError {
  return new CancelledError(`Cancelled: ${what}.`, { cause: signal?.reason });
}

/**
 * Calls `onAbort` once when `signal` aborts (at once if it already has).
 * @returns a function that removes the listener; call it when the operation settles.
 */
export function onAbort(signal: AbortSignal | undefined, onAbortFn: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    onAbortFn();
    return () => {};
  }
  signal.addEventListener("abort", onAbortFn, { once: true });
  return () => signal.removeEventListener("abort", onAbortFn);
}

/**
 * Destroys `stream` with a {@link CancelledError} when `signal` aborts while it is being read; the listener
 * goes away when the stream closes.
 */
export function cancelStreamOnAbort<T extends Readable>(stream: T, signal: AbortSignal | undefined, what: string): T {
  const off = onAbort(signal, () => stream.destroy(cancelled(signal, what)));
  stream.once("close", off);
  return stream;
}

/**
 * Checks a `get` range: integers, `start >= 0`, `end >= start`.
 * @throws TargetError naming the range.
 */
export function assertRange(range: GetOptions["range"], key: string): void {
  if (range === undefined) return;
  const { start, end } = range;
  const ok = Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!ok) throw new TargetError(`Invalid byte range ${JSON.stringify(range)} for ${key}: need 0 <= start <= end.`);
}

/**
 * A stream carrying `source`'s bytes whose failures are mapped: to {@link CancelledError} when `signal`
 * aborted, else through `mapError`. Destroying the returned stream destroys `source` (releasing its socket).
 */
export function guardStream(
  source: Readable,
  signal: AbortSignal | undefined,
  what: string,
  mapError: (err: unknown) => Error,
): Readable {
  const out = new PassThrough();
  const off = onAbort(signal, () => out.destroy(cancelled(signal, what)));
  // Not `pipeline`: it destroys `out` with the source's raw error (a socket's "aborted") before any callback
  // could map it, and the reader would see an untyped error.
  source.on("error", (err) => {
    off();
    if (!out.destroyed) out.destroy(signal?.aborted ? cancelled(signal, what) : mapError(err));
  });
  source.on("end", off);
  out.on("close", () => {
    off();
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}
