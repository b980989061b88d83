/**
 * The Qdrant client's call discipline, with a scripted `fetch`: idempotent calls (GET, DELETE) are retried on
 * network errors and 5xx, others never; a slow server hits the per-call timeout; the API key travels in the
 * `api-key` header and never in an error message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError, NotFoundError } from "../../../src/core/errors.ts";
import { QdrantClient } from "../../../src/engines/qdrant/client.ts";

type Step = "network" | 500 | 404 | "hang" | unknown;

/** A fetch that answers from `steps` in order and records every call. */
function scripted(steps: Step[]): { fetch: typeof fetch; calls: { method: string; path: string; headers: Record<string, string> }[] } {
  const calls: { method: string; path: string; headers: Record<string, string> }[] = [];
  const fake: typeof fetch = async (input, init) => {
    calls.push({ method: init?.method ?? "GET", path: new URL(String(input)).pathname, headers: (init?.headers ?? {}) as Record<string, string> });
    const step = steps.shift();
    if (step === "network") throw new TypeError("fetch failed", { cause: new Error("ECONNRESET") });
    if (step === "hang") {
      return new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error)));
    }
    if (step === 500) return new Response(JSON.stringify({ status: { error: "Service internal error: disk" }, time: 0 }), { status: 500 });
    if (step === 404) return new Response(JSON.stringify({ status: { error: "Not found: Collection `x` doesn't exist!" }, time: 0 }), { status: 404 });
    return new Response(JSON.stringify(step), { status: 200, headers: { "content-type": "application/json" } });
  };
  return { fetch: fake, calls };
}

test("GET and DELETE are retried after network errors and 5xx; the API key is a header", async () => {
  const { fetch, calls } = scripted(["network", 500, { result: { collections: [{ name: "a" }] }, status: "ok", time: 0 }, "network", { result: true, status: "ok", time: 0 }]);
  const client = new QdrantClient({ url: "http://qdrant.test:6333/", apiKey: "secret-key-1", fetch, attempts: 3 });
  assert.deepEqual(await client.collections(), ["a"]);
  await client.deleteCollection("a");
  assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), ["GET /collections", "GET /collections", "GET /collections", "DELETE /collections/a", "DELETE /collections/a"]);
  assert.ok(calls.every((c) => c.headers["api-key"] === "secret-key-1"));
});

test("POST calls (count, snapshot creation) are never retried", async () => {
  const { fetch, calls } = scripted(["network"]);
  const client = new QdrantClient({ url: "http://qdrant.test:6333", fetch, attempts: 5 });
  await assert.rejects(client.createSnapshot("knowbase"), (err: unknown) => err instanceof EngineError && /Cannot reach Qdrant/.test(err.message));
  assert.equal(calls.length, 1);
});

test("after the last attempt the error names the server and the call; 404 is NotFound; no key in messages", async () => {
  const { fetch } = scripted([500, 500, 404]);
  const client = new QdrantClient({ url: "http://qdrant.test:6333", apiKey: "secret-key-2", fetch, attempts: 2 });
  await assert.rejects(client.collections(), (err: unknown) => err instanceof EngineError && /Qdrant at http:\/\/qdrant\.test:6333 \(GET \/collections\) answered 500: Service internal error: disk/.test(err.message) && !err.message.includes("secret-key-2"));
  await assert.rejects(client.collection("x"), (err: unknown) => err instanceof NotFoundError && err.message.includes("doesn't exist"));
});

test("a call that hangs ends at the per-call timeout with a clear error", async () => {
  const { fetch, calls } = scripted(["hang", "hang"]);
  const client = new QdrantClient({ url: "http://qdrant.test:6333", fetch, timeoutMs: 50, attempts: 2 });
  await assert.rejects(client.version(), (err: unknown) => err instanceof EngineError && /Cannot reach Qdrant/.test(err.message));
  assert.equal(calls.length, 2, "a timed-out GET is retried once more");
});
