/**
 * HTTP plumbing shared by the routes of the Qdrant test server: Qdrant's error type and messages, the JSON
 * envelope (`{result, status: "ok", time}`, `{status: "accepted", time}`, `{status: {error}, time}`), and body
 * reading with Qdrant's default 32 MiB request limit.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MatchedOperation } from "./openapi.ts";

/** An error answered the way Qdrant answers it: HTTP status plus the `status.error` text. */
export class QdrantHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "QdrantHttpError";
    this.status = status;
  }
}

/** Qdrant's `StorageError` texts, so clients see the same words as from a real server. */
export const qdrantErrors = {
  collectionMissing: (name: string) => new QdrantHttpError(404, `Not found: Collection \`${name}\` doesn't exist!`),
  collectionExists: (name: string) => new QdrantHttpError(409, `Wrong input: Collection \`${name}\` already exists!`),
  snapshotMissing: (name: string) => new QdrantHttpError(404, `Not found: Snapshot ${name} not found`),
  notFound: (what: string) => new QdrantHttpError(404, `Not found: ${what}`),
  pointMissing: (id: string | number) => new QdrantHttpError(404, `Not found: No point with id ${id} found`),
  badInput: (description: string) => new QdrantHttpError(400, `Wrong input: ${description}`),
  badRequest: (description: string) => new QdrantHttpError(400, `Bad request: ${description}`),
  checksumMismatch: (expected: string, actual: string) =>
    new QdrantHttpError(400, `Checksum mismatch: expected ${expected}, actual ${actual}`),
  validation: (where: string, description: string) => new QdrantHttpError(422, `Validation error in ${where}: ${description}`),
};

/** What a route handler gives back; `handled` means it already wrote the response itself (downloads). */
export type Reply = { status: number; body: unknown } | { handled: true };

/** Everything a route handler needs about one request. */
export interface RouteContext {
  op: MatchedOperation;
  query: URLSearchParams;
  /** Parsed JSON body, undefined when the request had none (multipart bodies stay unread in `req`). */
  body: unknown;
  req: IncomingMessage;
  res: ServerResponse;
  /** Start of the request, for Qdrant's `time` field (seconds). */
  started: bigint;
  /** The server's own base URL, for links. */
  baseUrl: string;
}

export type RouteHandler = (ctx: RouteContext) => Promise<Reply>;

/** Seconds elapsed since `started`, as Qdrant reports them. */
export function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** `{result, status: "ok", time}` with HTTP 200. */
export function ok(ctx: RouteContext, result: unknown): Reply {
  return { status: 200, body: { result, status: "ok", time: elapsed(ctx.started) } };
}

/** `{status: "accepted", time}` with HTTP 202, Qdrant's answer to `wait=false`. */
export function accepted(ctx: RouteContext): Reply {
  return { status: 202, body: { status: "accepted", time: elapsed(ctx.started) } };
}

/** `{status: {error}, time}` with the error's status. */
export function errorReply(status: number, message: string, started: bigint): { status: number; body: unknown } {
  return { status, body: { status: { error: message }, time: elapsed(started) } };
}

/** Reads a whole (JSON) body, refusing more than `limit` bytes like Qdrant's `max_request_size_mb`. */
export async function readBody(req: IncomingMessage, limit = 32 * 1024 * 1024): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw qdrantErrors.badRequest(`JSON payload (${size} bytes) is larger than allowed (limit: ${limit} bytes)`);
    chunks.push(chunk as Buffer);
  }
  return size === 0 ? undefined : Buffer.concat(chunks);
}

/** Reads `wait` (default true) the way every Qdrant handler does. */
export function waitParam(query: URLSearchParams): boolean {
  return query.get("wait") !== "false";
}

/** Sends a JSON body. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Sends plain text, as Qdrant does for download errors and the auth layer. */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
