/**
 * Snapshot transfers, streamed through `node:http` / `node:https` rather than `fetch`.
 *
 * Upload ({@link postStream}): Node's `fetch` keeps every chunk of a streamed request body reachable until the
 * call ends (it may have to send the body again after a redirect; nodejs/undici#4058), so a restore held the
 * whole snapshot (a 396 MiB one peaked at 561 MiB RSS). Here the body is written with `pipeline`, which waits
 * for `drain` whenever the socket's buffer is full, so the source is read only as fast as Qdrant takes the
 * bytes and nothing sent is kept.
 *
 * Download ({@link getStream}): the body is the response itself, which pauses the socket when its reader
 * lags. Through `fetch`, downloading the 10× reference `knowbase` snapshot (261 MiB) into a slow reader held
 * up to 46 MiB outside the JavaScript heap beyond its buffers (79 MiB in all; 10 MiB through here), and the
 * whole-stack backup's peak RSS is reached in its Qdrant step.
 */
import http from "node:http";
import https from "node:https";
import type { IncomingMessage } from "node:http";
import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CancelledError, EngineError, StackvaultError } from "../../core/errors.ts";
import { quiet } from "../../core/promises.ts";
import { refused, unreachable } from "./errors.ts";

/** A streamed call: where it goes and how long it may stay silent. */
export interface StreamedCall {
  /** The whole URL, query included. */
  url: URL;
  /** Request headers (`api-key`…). */
  headers: Record<string, string>;
  /** The server and the call, for messages: `Qdrant at http://host:6333 (GET /collections/x/snapshots/s)`. */
  where: string;
  /** Cancels the call: the request is destroyed and the call rejects with `CancelledError`. */
  signal: AbortSignal;
  /** The call fails when no byte goes out or comes in for this long (a stalled transfer or a silent server). */
  idleTimeoutMs: number;
}

/**
 * Sends a GET and resolves with the body of a 2xx answer as a stream, read from the socket only as fast as it
 * is consumed. The stream fails with an `EngineError` naming the call when the transfer stays silent for
 * `idleTimeoutMs` or the connection breaks, and with `CancelledError` when `signal` aborts.
 * @throws the errors of {@link unreachable} (no answer) and {@link refused} (an error status).
 */
export async function getStream(get: StreamedCall): Promise<Readable> {
  const { where, signal } = get;
  const transport = get.url.protocol === "https:" ? https : http;
  const req = transport.request(get.url, { method: "GET", headers: get.headers, signal, timeout: get.idleTimeoutMs });
  let stalled: EngineError | undefined;
  req.on("timeout", () => req.destroy((stalled = new EngineError(`${where} sent no byte for ${get.idleTimeoutMs / 1000} s: the download stalled.`, { hint: "Check that Qdrant runs, then back up again." }))));
  let res: IncomingMessage;
  try {
    res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
      req.end();
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw refused(where, status, await readText(res));
  } catch (err) {
    req.destroy();
    if (err instanceof StackvaultError) throw err;
    throw unreachable(where, err, err as Error & { code?: string }, signal);
  }
  // The response fails with Node's own "aborted" whatever ended it: the body passes through a stream that
  // fails with the error that says what happened.
  const body = new PassThrough();
  res.on("error", (err) => {
    if (signal.aborted) body.destroy(new CancelledError(`Cancelled while calling ${where}.`, { cause: err }));
    else body.destroy(stalled ?? new EngineError(`${where} broke off the download: ${err.message}.`, { cause: err, hint: "Check that Qdrant runs, then back up again." }));
  });
  body.on("close", () => {
    if (!res.complete) req.destroy();
  });
  res.pipe(body);
  return body;
}

/** A streamed POST: without a length in `headers` the body goes chunked; a cancelled call also destroys `source`. */
export interface StreamedPost extends StreamedCall {
  /** The request body, read chunk by chunk as the socket drains. */
  body: AsyncIterable<Uint8Array>;
  /** The stream `body` reads from; destroyed when the call fails, so its own source is released too. */
  source: Readable;
}

/**
 * Sends `body` and resolves with the text of a 2xx answer. Memory: one chunk of `body` plus the socket's
 * write buffer (16 KiB) and the answer's text (kept up to 64 KiB); the source is never read ahead of the
 * socket. An answer with an error status that comes before the body was sent whole (an API-key refusal) ends
 * the upload at once.
 * @throws the source's own error when reading `body` failed (a `StackvaultError` unchanged, an `EngineError`
 *   otherwise); the errors of {@link unreachable} and {@link refused} for everything else.
 */
export async function postStream(post: StreamedPost): Promise<string> {
  const { where, signal } = post;
  let sourceError: unknown;
  async function* guarded(): AsyncGenerator<Uint8Array> {
    try {
      yield* post.body;
    } catch (err) {
      sourceError = err;
      throw err;
    }
  }
  const transport = post.url.protocol === "https:" ? https : http;
  const req = transport.request(post.url, { method: "POST", headers: post.headers, signal, timeout: post.idleTimeoutMs });
  const stalled = new EngineError(`${where} moved no byte for ${post.idleTimeoutMs / 1000} s: the upload stalled.`, { hint: "Check that Qdrant runs and has room for the snapshot, then restore again." });
  req.on("timeout", () => req.destroy(stalled));
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
    req.once("close", () => reject(new Error("the connection closed before Qdrant answered")));
  });
  quiet(answered);
  const sent = quiet(pipeline(guarded(), req));
  try {
    const res = await answered;
    const text = await readText(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw refused(where, status, text);
    await sent;
    return text;
  } catch (err) {
    req.destroy();
    post.source.destroy();
    if (sourceError !== undefined) {
      if (sourceError instanceof StackvaultError) throw sourceError;
      throw new EngineError(`The snapshot could not be read while it was sent to ${where}: ${(sourceError as Error).message}`, { cause: sourceError });
    }
    if (err instanceof StackvaultError) throw err;
    throw unreachable(where, err, err as Error & { code?: string }, signal);
  }
}

// --- internal ---

const ANSWER_LIMIT = 64 * 1024;

/** The answer's body as text, its first {@link ANSWER_LIMIT} bytes kept (error texts are short; the rest is read and dropped). */
async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let kept = 0;
  for await (const chunk of res) {
    const bytes = chunk as Buffer;
    if (kept < ANSWER_LIMIT) chunks.push(bytes.subarray(0, ANSWER_LIMIT - kept));
    kept += bytes.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}
