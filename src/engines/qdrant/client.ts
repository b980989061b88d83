/**
 * A small Qdrant REST client for the engine: only the endpoints the engine needs (every one is listed in
 * {@link QDRANT_ENDPOINTS} and checked against Qdrant's OpenAPI description by a test). API key in the
 * `api-key` header, a timeout per call, retries with backoff only for idempotent calls (GET, DELETE), streamed
 * snapshot download and upload (through `node:http`, see `transfer.ts`).
 */
import type { Readable } from "node:stream";
import { EngineError } from "../../core/errors.ts";
import { refused, unreachable } from "./errors.ts";
import { getStream, postStream } from "./transfer.ts";

/** Method and path template of every call the engine makes. */
export const QDRANT_ENDPOINTS = [
  ["GET", "/"],
  ["GET", "/collections"],
  ["GET", "/collections/{collection_name}"],
  ["DELETE", "/collections/{collection_name}"],
  ["POST", "/collections/{collection_name}/points/count"],
  ["POST", "/collections/{collection_name}/snapshots"],
  ["GET", "/collections/{collection_name}/snapshots"],
  ["GET", "/collections/{collection_name}/snapshots/{snapshot_name}"],
  ["DELETE", "/collections/{collection_name}/snapshots/{snapshot_name}"],
  ["POST", "/collections/{collection_name}/snapshots/upload"],
] as const;

export interface QdrantClientOptions {
  /** Base URL, `http://host:6333` or `https://…`. */
  url: string;
  /** Sent as the `api-key` header (a secret). */
  apiKey?: string;
  /** Per-call timeout for ordinary calls (snapshot transfers: the caller's signal and {@link transferIdleTimeoutMs}). @default 60000 */
  timeoutMs?: number;
  /** Attempts for idempotent calls. @default 3 */
  attempts?: number;
  /**
   * A snapshot upload or download fails when no byte goes out or comes in for this long; for an upload
   * (`wait=true`) that includes Qdrant's recovery after the last byte. @default 300000
   */
  transferIdleTimeoutMs?: number;
  /** The fetch for every call but the snapshot transfers (tests script answers through it). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Told of every call before it is made, the snapshot transfers included (tests record calls through it). */
  onRequest?: (method: string, url: URL) => void;
}

export interface SnapshotDescription {
  name: string;
  size: number;
  checksum?: string | null;
  creation_time?: string | null;
}

export class QdrantClient {
  readonly url: string;
  private readonly options: QdrantClientOptions;

  constructor(options: QdrantClientOptions) {
    this.options = options;
    this.url = options.url.replace(/\/+$/, "");
  }

  /** `GET /`: the server's version. */
  async version(signal?: AbortSignal): Promise<string> {
    return ((await this.json("GET", "/", undefined, signal)) as { version: string }).version;
  }

  async collections(signal?: AbortSignal): Promise<string[]> {
    const result = (await this.result("GET", "/collections", undefined, signal)) as { collections: { name: string }[] };
    return result.collections.map((c) => c.name);
  }

  /** The collection's info (`config`, `payload_schema`, …). @throws NotFoundError when it does not exist. */
  async collection(name: string, signal?: AbortSignal): Promise<{ config: { params: Record<string, unknown> } } & Record<string, unknown>> {
    return (await this.result("GET", `/collections/${enc(name)}`, undefined, signal)) as { config: { params: Record<string, unknown> } };
  }

  async deleteCollection(name: string, signal?: AbortSignal): Promise<void> {
    await this.result("DELETE", `/collections/${enc(name)}`, undefined, signal);
  }

  /** Exact point count. */
  async count(name: string, signal?: AbortSignal): Promise<number> {
    return ((await this.result("POST", `/collections/${enc(name)}/points/count`, { exact: true }, signal)) as { count: number }).count;
  }

  /** Creates a snapshot and waits for it. */
  async createSnapshot(name: string, signal?: AbortSignal): Promise<SnapshotDescription> {
    return (await this.result("POST", `/collections/${enc(name)}/snapshots?wait=true`, undefined, signal)) as SnapshotDescription;
  }

  async listSnapshots(name: string, signal?: AbortSignal): Promise<SnapshotDescription[]> {
    return (await this.result("GET", `/collections/${enc(name)}/snapshots`, undefined, signal)) as SnapshotDescription[];
  }

  async deleteSnapshot(name: string, snapshot: string, signal?: AbortSignal): Promise<void> {
    await this.result("DELETE", `/collections/${enc(name)}/snapshots/${enc(snapshot)}?wait=true`, undefined, signal);
  }

  /** Streams a snapshot file, read from the socket only as fast as it is consumed (see `transfer.ts`). */
  async downloadSnapshot(name: string, snapshot: string, signal: AbortSignal): Promise<Readable> {
    const path = `/collections/${enc(name)}/snapshots/${enc(snapshot)}`;
    const url = new URL(`${this.url}${path}`);
    this.options.onRequest?.("GET", url);
    return getStream({ url, headers: this.authHeader(), where: this.where("GET", path), signal, idleTimeoutMs: this.options.transferIdleTimeoutMs ?? 300_000 });
  }

  /**
   * Recovers `name` from a snapshot streamed from `body` (multipart field `snapshot`), with `priority=snapshot`
   * and the checksum Qdrant verifies before it changes anything. Never retried (the body is a stream). Memory
   * is bounded whatever the snapshot's size: `body` is read only as fast as the socket drains (see
   * {@link postStream}); `body` is destroyed if the upload fails.
   */
  async uploadSnapshot(name: string, fileName: string, body: Readable, checksum: string, signal: AbortSignal): Promise<void> {
    const boundary = `----stackvault${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
    async function* multipart(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="snapshot"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      for await (const chunk of body) yield chunk as Buffer;
      yield Buffer.from(`\r\n--${boundary}--\r\n`);
    }
    const path = `/collections/${enc(name)}/snapshots/upload?wait=true&priority=snapshot&checksum=${checksum}`;
    const url = new URL(`${this.url}${path}`);
    this.options.onRequest?.("POST", url);
    await postStream({
      url,
      headers: { ...this.authHeader(), "content-type": `multipart/form-data; boundary=${boundary}` },
      body: multipart(),
      source: body,
      where: this.where("POST", path),
      signal,
      idleTimeoutMs: this.options.transferIdleTimeoutMs ?? 300_000,
    });
  }

  // --- internal ---

  private async result(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    return ((await this.json(method, path, body, signal)) as { result: unknown }).result;
  }

  private async json(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const idempotent = method === "GET" || method === "DELETE";
    const attempts = idempotent ? (this.options.attempts ?? 3) : 1;
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
      try {
        const res = await this.send(method, path, body === undefined ? undefined : { body: JSON.stringify(body), contentType: "application/json" }, signal ? AbortSignal.any([signal, timeout]) : timeout);
        return await res.json();
      } catch (err) {
        const retryable = err instanceof EngineError && (err as EngineError & { retryable?: boolean }).retryable === true;
        if (!retryable || attempt >= attempts || signal?.aborted) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  private async send(method: string, path: string, body: { body: string; contentType: string } | undefined, signal: AbortSignal | undefined): Promise<Response> {
    const headers: Record<string, string> = this.authHeader();
    if (body) headers["content-type"] = body.contentType;
    const where = this.where(method, path);
    const url = new URL(`${this.url}${path}`);
    this.options.onRequest?.(method, url);
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, { method, headers, ...(body ? { body: body.body } : {}), ...(signal ? { signal } : {}) });
    } catch (err) {
      throw unreachable(where, err, (err as Error).cause as (Error & { code?: string }) | undefined, signal);
    }
    if (res.ok) return res;
    throw refused(where, res.status, await res.text().catch(() => ""));
  }

  private authHeader(): Record<string, string> {
    return this.options.apiKey ? { "api-key": this.options.apiKey } : {};
  }

  private where(method: string, path: string): string {
    return `Qdrant at ${this.url} (${method} ${path.split("?")[0]})`;
  }
}

// --- internal ---

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
