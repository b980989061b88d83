import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { call, result, startTestServer } from "./test-support.ts";
import type { TestServer } from "./test-support.ts";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.dispose();
});

test("GET / reports Qdrant's version without the envelope, health checks answer in plain text", async () => {
  const root = await call(server.url, "GET", "/");
  assert.equal(root.status, 200);
  assert.equal(root.json.version, "1.19.0");
  assert.equal(root.json.title, "qdrant - vector search engine");
  const health = await call(server.url, "GET", "/healthz");
  assert.equal(health.status, 200);
  assert.equal(health.text, "healthz check passed");
  assert.match(health.headers.get("content-type") ?? "", /^text\/plain/);
});

test("collections: create, get, list, exists, delete with Qdrant's shapes", async () => {
  const created = await call(server.url, "PUT", "/collections/books", { vectors: { size: 4, distance: "Dot" }, shard_number: 2 });
  assert.equal(created.status, 200);
  assert.equal(created.json.result, true);
  assert.equal(created.json.status, "ok");
  assert.equal(typeof created.json.time, "number");

  const info = await result<{ status: string; points_count: number; config: { params: Record<string, unknown>; hnsw_config: Record<string, unknown> } }>(server.url, "GET", "/collections/books");
  assert.equal(info.status, "green");
  assert.equal(info.points_count, 0);
  assert.deepEqual(info.config.params.vectors, { size: 4, distance: "Dot" });
  assert.equal(info.config.params.shard_number, 2);
  assert.equal(info.config.hnsw_config.m, 16);

  await result(server.url, "PUT", "/collections/authors", { vectors: { name: { size: 2, distance: "Euclid" } } });
  assert.deepEqual(await result(server.url, "GET", "/collections"), { collections: [{ name: "authors" }, { name: "books" }] });
  assert.deepEqual(await result(server.url, "GET", "/collections/books/exists"), { exists: true });
  assert.deepEqual(await result(server.url, "GET", "/collections/nope/exists"), { exists: false });

  assert.equal(await result(server.url, "DELETE", "/collections/authors"), true);
  assert.equal(await result(server.url, "DELETE", "/collections/authors"), false, "Qdrant answers false for a collection it does not have");
  assert.deepEqual(await result(server.url, "GET", "/collections"), { collections: [{ name: "books" }] });
});

test("an existing collection is 409 and a missing one 404, with Qdrant's texts", async () => {
  await result(server.url, "PUT", "/collections/dup", { vectors: { size: 2, distance: "Cosine" } });
  const again = await call(server.url, "PUT", "/collections/dup", { vectors: { size: 2, distance: "Cosine" } });
  assert.equal(again.status, 409);
  assert.deepEqual(again.json.status, { error: "Wrong input: Collection `dup` already exists!" });
  const missing = await call(server.url, "GET", "/collections/ghost");
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.json.status, { error: "Not found: Collection `ghost` doesn't exist!" });
  assert.equal(typeof missing.json.time, "number");
  const unknownPath = await call(server.url, "GET", "/no/such/endpoint");
  assert.equal(unknownPath.status, 404);
});

test("payload indexes are created, reported with their point counts, and deleted", async () => {
  await result(server.url, "PUT", "/collections/indexed", { vectors: { size: 2, distance: "Dot" } });
  await result(server.url, "PUT", "/collections/indexed/points?wait=true", {
    points: [
      { id: 1, vector: [1, 0], payload: { tenant: "a", page: 3 } },
      { id: 2, vector: [0, 1], payload: { tenant: "b" } },
    ],
  });
  const keyword = await result<{ status: string }>(server.url, "PUT", "/collections/indexed/index?wait=true", { field_name: "tenant", field_schema: "keyword" });
  assert.equal(keyword.status, "completed");
  await result(server.url, "PUT", "/collections/indexed/index", { field_name: "page", field_schema: { type: "integer", lookup: true, range: true } });
  const info = await result<{ payload_schema: Record<string, unknown> }>(server.url, "GET", "/collections/indexed");
  assert.deepEqual(info.payload_schema, {
    tenant: { data_type: "keyword", points: 2 },
    page: { data_type: "integer", params: { type: "integer", lookup: true, range: true }, points: 1 },
  });
  await result(server.url, "DELETE", "/collections/indexed/index/tenant?wait=true");
  const after = await result<{ payload_schema: Record<string, unknown> }>(server.url, "GET", "/collections/indexed");
  assert.deepEqual(Object.keys(after.payload_schema), ["page"]);
});

test("no violation was recorded for valid traffic", () => {
  assert.deepEqual(server.violations, []);
});

test("a request that violates the OpenAPI file is refused with the details and recorded", async () => {
  const before = server.violations.length;
  const bad = await call(server.url, "PUT", "/collections/broken", { vectors: { size: "four", distance: "Cosine" } });
  assert.equal(bad.status, 400);
  assert.match(String((bad.json.status as { error: string }).error), /^Json deserialize error: .*\/vectors/);
  const badQuery = await call(server.url, "PUT", "/collections/broken?timeout=soon", { vectors: { size: 4, distance: "Cosine" } });
  assert.equal(badQuery.status, 422);
  assert.match(String((badQuery.json.status as { error: string }).error), /query parameter timeout/);
  assert.equal(server.violations.length, before + 2);
  assert.match(server.violations[before]?.rule ?? "", /request of create_collection/);
  assert.equal((await call(server.url, "GET", "/collections/broken")).status, 404, "nothing was created");
});

test("with an API key, requests without it or with another one are 401 in plain text; / stays open", async () => {
  const secured = await startTestServer({ apiKey: "s3cret-key" });
  try {
    const none = await call(secured.url, "GET", "/collections");
    assert.equal(none.status, 401);
    assert.equal(none.text, "Must provide an API key or an Authorization bearer token");
    const wrong = await call(secured.url, "GET", "/collections", undefined, { headers: { "api-key": "other" } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.text, "Invalid API key or JWT");
    const keyed = await call(secured.url, "GET", "/collections", undefined, { headers: { "api-key": "s3cret-key" } });
    assert.equal(keyed.status, 200);
    const bearer = await call(secured.url, "GET", "/collections", undefined, { headers: { authorization: "Bearer s3cret-key" } });
    assert.equal(bearer.status, 200);
    assert.equal((await call(secured.url, "GET", "/")).status, 200);
    assert.deepEqual(secured.violations, []);
  } finally {
    await secured.dispose();
  }
});
