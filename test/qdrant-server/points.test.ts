import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { allPoints, call, result, startTestServer } from "./test-support.ts";
import type { TestServer } from "./test-support.ts";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.dispose();
});

const UUID = "5f3b1c2a-9d4e-4f6a-8b7c-0123456789ab";

test("unnamed vectors: upsert, retrieve, scroll in Qdrant's id order, Cosine normalised on insert", async () => {
  await result(server.url, "PUT", "/collections/plain", { vectors: { size: 3, distance: "Cosine" } });
  const upsert = await result<{ operation_id: number; status: string }>(server.url, "PUT", "/collections/plain/points?wait=true", {
    points: [
      { id: UUID.toUpperCase(), vector: [0, 0, 2], payload: { kind: "uuid" } },
      { id: 10, vector: [3, 4, 0], payload: { kind: "int", n: 10 } },
      { id: 2, vector: [1, 0, 0] },
    ],
  });
  assert.equal(upsert.status, "completed");
  const points = await allPoints(server.url, "plain");
  assert.deepEqual(points, [
    { id: 2, payload: {}, vector: [1, 0, 0] },
    { id: 10, payload: { kind: "int", n: 10 }, vector: [0.6, 0.8, 0] },
    { id: UUID, payload: { kind: "uuid" }, vector: [0, 0, 1] },
  ]);
  const retrieved = await result(server.url, "POST", "/collections/plain/points", { ids: [10, 999], with_payload: ["n"], with_vector: false });
  assert.deepEqual(retrieved, [{ id: 10, payload: { n: 10 }, vector: null }]);
  const one = await result(server.url, "GET", `/collections/plain/points/${UUID}`);
  assert.deepEqual(one, { id: UUID, payload: { kind: "uuid" }, vector: [0, 0, 1] });
  const missing = await call(server.url, "GET", "/collections/plain/points/77");
  assert.equal(missing.status, 404);
});

test("named vectors: batch upsert, scroll pages with next_page_offset, count with a filter", async () => {
  await result(server.url, "PUT", "/collections/named", { vectors: { dense: { size: 2, distance: "Dot" }, title: { size: 1, distance: "Euclid" } } });
  const ids = Array.from({ length: 25 }, (_, i) => i + 1);
  await result(server.url, "PUT", "/collections/named/points?wait=true", {
    batch: {
      ids,
      vectors: { dense: ids.map((i) => [i, -i]), title: ids.map((i) => [i / 10]) },
      payloads: ids.map((i) => ({ even: i % 2 === 0, tenant: `t${i % 3}` })),
    },
  });
  const first = await result<{ points: { id: number; vector: unknown }[]; next_page_offset: unknown }>(server.url, "POST", "/collections/named/points/scroll", { limit: 10, with_vector: ["title"] });
  assert.equal(first.points.length, 10);
  assert.equal(first.next_page_offset, 11);
  assert.deepEqual(first.points[2], { id: 3, payload: { even: false, tenant: "t0" }, vector: { title: [0.3] } });
  const last = await result<{ points: unknown[]; next_page_offset: unknown }>(server.url, "POST", "/collections/named/points/scroll", { limit: 10, offset: 21 });
  assert.equal(last.points.length, 5);
  assert.equal(last.next_page_offset, null);
  assert.deepEqual(await result(server.url, "POST", "/collections/named/points/count", { exact: true }), { count: 25 });
  const filtered = await result(server.url, "POST", "/collections/named/points/count", { exact: true, filter: { must: [{ key: "even", match: { value: true } }, { key: "tenant", match: { any: ["t1", "t2"] } }] } });
  assert.deepEqual(filtered, { count: 8 });
  const all = await allPoints(server.url, "named");
  assert.deepEqual((all[24] as { vector: unknown }).vector, { dense: [25, -25], title: [2.5] });
});

test("a vector of the wrong dimension or name is refused and changes nothing", async () => {
  await result(server.url, "PUT", "/collections/strict", { vectors: { v: { size: 2, distance: "Dot" } } });
  const wrongDim = await call(server.url, "PUT", "/collections/strict/points?wait=true", { points: [{ id: 1, vector: { v: [1, 2, 3] } }] });
  assert.equal(wrongDim.status, 400);
  assert.match(String((wrongDim.json.status as { error: string }).error), /Vector dimension error: expected dim: 2, got 3/);
  const wrongName = await call(server.url, "PUT", "/collections/strict/points?wait=true", { points: [{ id: 1, vector: { w: [1, 2] } }] });
  assert.equal(wrongName.status, 400);
  assert.deepEqual(await result(server.url, "POST", "/collections/strict/points/count", { exact: true }), { count: 0 });
});

test("points can be deleted by id and by filter", async () => {
  await result(server.url, "PUT", "/collections/gone", { vectors: { size: 1, distance: "Dot" } });
  await result(server.url, "PUT", "/collections/gone/points?wait=true", { points: [1, 2, 3, 4].map((id) => ({ id, vector: [id], payload: { big: id > 2 } })) });
  await result(server.url, "POST", "/collections/gone/points/delete?wait=true", { points: [1] });
  await result(server.url, "POST", "/collections/gone/points/delete?wait=true", { filter: { must: [{ key: "big", match: { value: true } }] } });
  assert.deepEqual(await allPoints(server.url, "gone"), [{ id: 2, payload: { big: false }, vector: [2] }]);
});

test("no violation was recorded", () => {
  assert.deepEqual(server.violations, []);
});

test("collections, points, deletions and payload indexes survive a restart on the same data folder", async () => {
  const first = await startTestServer();
  const dataDir = first.dataDir;
  try {
    await result(first.url, "PUT", "/collections/kept", { vectors: { a: { size: 2, distance: "Cosine" } } });
    await result(first.url, "PUT", "/collections/kept/index", { field_name: "tag", field_schema: "keyword" });
    await result(first.url, "PUT", "/collections/kept/points?wait=true", { points: [1, 2, 3].map((id) => ({ id, vector: { a: [id, 1] }, payload: { tag: `x${id}` } })) });
    await result(first.url, "POST", "/collections/kept/points/delete?wait=true", { points: [2] });
    const before = await allPoints(first.url, "kept");
    const info = await result<{ config: unknown; payload_schema: unknown }>(first.url, "GET", "/collections/kept");
    await first.close();

    const second = await startTestServer({ dataDir });
    try {
      assert.deepEqual(await allPoints(second.url, "kept"), before);
      const reopened = await result<{ config: unknown; payload_schema: unknown }>(second.url, "GET", "/collections/kept");
      assert.deepEqual(reopened.config, info.config);
      assert.deepEqual(reopened.payload_schema, info.payload_schema);
      assert.deepEqual(second.violations, []);
    } finally {
      await second.close();
    }
  } finally {
    await first.dispose();
  }
});
