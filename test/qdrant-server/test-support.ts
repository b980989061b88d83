/**
 * Helpers for the Qdrant test server's own tests: a server on a free port with a fresh data folder (so the
 * tests never touch the harness's instance), and a small REST call that returns status, headers and body.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startQdrantTestServer } from "./server.ts";
import type { QdrantTestServer, QdrantTestServerOptions } from "./server.ts";

/** A server started for one test file, with its data folder. */
export interface TestServer extends QdrantTestServer {
  dataDir: string;
  /** Closes the server and deletes its data folder. */
  dispose(): Promise<void>;
}

/** Starts a server on port 0 with a new temporary data folder (or `dataDir` to reopen one). */
export async function startTestServer(options: Partial<QdrantTestServerOptions> = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), "qdrant-test-server-")));
  const server = await startQdrantTestServer({ host: "127.0.0.1", port: 0, ...options, dataDir });
  return {
    ...server,
    dataDir,
    async dispose() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** One answer: status, headers, raw text and the parsed JSON (undefined when the body is not JSON). */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: { result?: unknown; status?: unknown; time?: number } & Record<string, unknown>;
}

/** Calls `method path` with an optional JSON body (or `init` for other bodies and headers). */
export async function call(url: string, method: string, route: string, body?: unknown, init: RequestInit = {}): Promise<Answer> {
  const headers = new Headers(init.headers);
  if (body !== undefined && !headers.has("content-type")) headers.set("content-type", "application/json");
  const res = await fetch(`${url}${route}`, { ...init, method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let json: Answer["json"];
  try {
    json = JSON.parse(text) as Answer["json"];
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** `result` of a 200 answer; fails with the server's text otherwise. */
export async function result<T = unknown>(url: string, method: string, route: string, body?: unknown): Promise<T> {
  const answer = await call(url, method, route, body);
  if (answer.status !== 200) throw new Error(`${method} ${route} answered ${answer.status}: ${answer.text}`);
  return answer.json.result as T;
}

/** Every point of a collection with payload and vectors, in scroll order. */
export async function allPoints(url: string, collection: string): Promise<unknown[]> {
  const points: unknown[] = [];
  let offset: unknown = undefined;
  do {
    const page: { points: unknown[]; next_page_offset: unknown } = await result(url, "POST", `/collections/${collection}/points/scroll`, {
      limit: 500,
      with_payload: true,
      with_vector: true,
      ...(offset === undefined || offset === null ? {} : { offset }),
    });
    points.push(...page.points);
    offset = page.next_page_offset;
  } while (offset !== null && offset !== undefined);
  return points;
}
