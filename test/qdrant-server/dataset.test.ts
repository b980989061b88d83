import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { loadQdrant } from "../fixtures/qdrant-data.ts";
import { call, result, startTestServer } from "./test-support.ts";
import type { TestServer } from "./test-support.ts";

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.dispose();
});

test("the reference dataset loads at scale 1 with the expected point counts and payload indexes", async () => {
  const counts = await loadQdrant({ url: server.url }, 1, 42);
  assert.deepEqual(counts, { knowbase: 12_450, rfp_qa: 3_420, knowwhere_proto: 8_920 });
  for (const [name, count] of Object.entries(counts)) {
    assert.deepEqual(await result(server.url, "POST", `/collections/${name}/points/count`, { exact: true }), { count }, name);
  }
  const knowbase = await result<{ points_count: number; payload_schema: Record<string, { data_type: string }> }>(server.url, "GET", "/collections/knowbase");
  assert.equal(knowbase.points_count, 12_450);
  assert.deepEqual(
    Object.fromEntries(Object.entries(knowbase.payload_schema).map(([k, v]) => [k, v.data_type])),
    { tenant: "keyword", page: "integer", created: "datetime" },
  );
  assert.deepEqual(server.violations, [], "the loader's traffic matches the OpenAPI file");
});

test("a snapshot of the largest collection recovers into a new one with the same point count", async () => {
  const snap = await result<{ name: string; checksum: string }>(server.url, "POST", "/collections/knowbase/snapshots");
  const file = await fetch(`${server.url}/collections/knowbase/snapshots/${snap.name}`);
  const form = new FormData();
  form.append("snapshot", new Blob([await file.arrayBuffer()]), "kb.snapshot");
  const answer = await call(server.url, "POST", `/collections/kb-copy/snapshots/upload?checksum=${snap.checksum}`, undefined, { body: form });
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(await result(server.url, "POST", "/collections/kb-copy/points/count", { exact: true }), { count: 12_450 });
  assert.deepEqual(server.violations, []);
});
