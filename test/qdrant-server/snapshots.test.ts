import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { QdrantClient } from "../../src/engines/qdrant/client.ts";
import { allPoints, call, result, startTestServer } from "./test-support.ts";
import type { TestServer } from "./test-support.ts";

interface Description {
  name: string;
  creation_time?: string;
  size: number;
  checksum?: string;
}

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.dispose();
});

/** Creates `name` with named vectors, a payload index and `count` points whose content depends on `salt`. */
async function makeCollection(name: string, count: number, salt: number, vectors: Record<string, unknown> = { dense: { size: 3, distance: "Cosine" }, tag: { size: 2, distance: "Dot" } }): Promise<void> {
  await result(server.url, "PUT", `/collections/${name}`, { vectors });
  await result(server.url, "PUT", `/collections/${name}/index?wait=true`, { field_name: "tenant", field_schema: "keyword" });
  const points = Array.from({ length: count }, (_, i) => ({
    id: i % 3 === 0 ? `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` : i + salt,
    vector: { dense: [i + 1, salt, 0.5], tag: [i / 7, -salt] },
    payload: { tenant: `t${i % 4}`, text: `l'offre "${i}"\n✓`, nested: { n: i, list: [i, null, true] } },
  }));
  await result(server.url, "PUT", `/collections/${name}/points?wait=true`, { points });
}

async function download(collection: string, snapshot: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = await fetch(`${server.url}/collections/${collection}/snapshots/${encodeURIComponent(snapshot)}`, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function upload(collection: string, bytes: Buffer, fileName: string, query: string): Promise<ReturnType<typeof call>> {
  const form = new FormData();
  form.append("snapshot", new Blob([bytes]), fileName);
  return call(server.url, "POST", `/collections/${collection}/snapshots/upload?${query}`, undefined, { body: form });
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

test("create, list, download (whole and a byte range) and delete a snapshot", async () => {
  await makeCollection("alpha", 40, 1);
  const created = await result<Description>(server.url, "POST", "/collections/alpha/snapshots");
  assert.match(created.name, /^alpha-\d+-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.snapshot$/);
  assert.match(created.creation_time ?? "", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  assert.match(created.checksum ?? "", /^[0-9a-f]{64}$/);
  assert.deepEqual(await result(server.url, "GET", "/collections/alpha/snapshots"), [created]);

  const whole = await download("alpha", created.name);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("content-type"), "application/octet-stream");
  assert.equal(whole.bytes.length, created.size);
  assert.equal(sha256(whole.bytes), created.checksum);

  const part = await download("alpha", created.name, { range: "bytes=100-299" });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), `bytes 100-299/${created.size}`);
  assert.deepEqual(part.bytes, whole.bytes.subarray(100, 300));
  const tail = await download("alpha", created.name, { range: "bytes=-10" });
  assert.deepEqual(tail.bytes, whole.bytes.subarray(created.size - 10));
  assert.equal((await download("alpha", created.name, { range: `bytes=${created.size}-` })).status, 416);

  const missing = await download("alpha", "nope.snapshot");
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get("content-type") ?? "", /^text\/plain/, "download errors are plain text, not JSON");
  assert.equal(missing.bytes.toString(), "Not found: Snapshot nope.snapshot not found");

  assert.equal(await result(server.url, "DELETE", `/collections/alpha/snapshots/${created.name}`), true);
  assert.deepEqual(await result(server.url, "GET", "/collections/alpha/snapshots"), []);
  assert.equal((await call(server.url, "DELETE", `/collections/alpha/snapshots/${created.name}`)).status, 404);
  assert.equal((await call(server.url, "GET", "/collections/ghost/snapshots")).status, 404);
});

test("wait=false answers 202 accepted and the snapshot appears afterwards", async () => {
  await makeCollection("later", 5, 2);
  const answer = await call(server.url, "POST", "/collections/later/snapshots?wait=false");
  assert.equal(answer.status, 202);
  assert.equal(answer.json.status, "accepted");
  let list: Description[] = [];
  for (let i = 0; i < 500 && list.length === 0; i++) {
    list = await result<Description[]>(server.url, "GET", "/collections/later/snapshots");
    if (list.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(list.length, 1);
});

test("upload-recover with a checksum creates the missing collection with the same content, point by point", async () => {
  await makeCollection("source", 120, 3);
  const before = await allPoints(server.url, "source");
  const sourceInfo = await result<{ config: unknown; payload_schema: unknown }>(server.url, "GET", "/collections/source");
  const snap = await result<Description>(server.url, "POST", "/collections/source/snapshots");
  const bytes = (await download("source", snap.name)).bytes;

  const answer = await upload("copy", bytes, "copy-restore.snapshot", `wait=true&priority=snapshot&checksum=${snap.checksum}`);
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.json.result, true);
  assert.deepEqual(await allPoints(server.url, "copy"), before);
  const copyInfo = await result<{ config: unknown; payload_schema: unknown }>(server.url, "GET", "/collections/copy");
  assert.deepEqual(copyInfo.config, sourceInfo.config);
  assert.deepEqual(copyInfo.payload_schema, sourceInfo.payload_schema);

  // The uploaded file stays in the collection's snapshot folder (without a checksum) until the client deletes it.
  assert.deepEqual(
    (await result<Description[]>(server.url, "GET", "/collections/copy/snapshots")).map(({ name, size, checksum }) => ({ name, size, checksum })),
    [{ name: "copy-restore.snapshot", size: bytes.length, checksum: undefined }],
  );
  assert.equal(await result(server.url, "DELETE", "/collections/copy/snapshots/copy-restore.snapshot"), true);
  assert.deepEqual(await result(server.url, "GET", "/collections/copy/snapshots"), []);
});

test("upload-recover over an existing compatible collection replaces its content", async () => {
  await makeCollection("target", 30, 4);
  await makeCollection("other", 8, 5);
  const wanted = await allPoints(server.url, "other");
  const snap = await result<Description>(server.url, "POST", "/collections/other/snapshots");
  const bytes = (await download("other", snap.name)).bytes;
  const answer = await upload("target", bytes, "t.snapshot", `checksum=${snap.checksum}`);
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(await allPoints(server.url, "target"), wanted);
});

test("a checksum mismatch is 400 and changes nothing: neither the collection nor its snapshot folder", async () => {
  await makeCollection("guarded", 20, 6);
  await makeCollection("intruder", 3, 7);
  const before = await allPoints(server.url, "guarded");
  const snap = await result<Description>(server.url, "POST", "/collections/intruder/snapshots");
  const bytes = (await download("intruder", snap.name)).bytes;
  const wrong = sha256(Buffer.from("something else"));
  const answer = await upload("guarded", bytes, "bad.snapshot", `wait=true&priority=snapshot&checksum=${wrong}`);
  assert.equal(answer.status, 400);
  assert.match(String((answer.json.status as { error: string }).error), /^Checksum mismatch/);
  assert.deepEqual(await allPoints(server.url, "guarded"), before);
  assert.deepEqual(await result(server.url, "GET", "/collections/guarded/snapshots"), []);
  const newCollection = await upload("never", bytes, "bad.snapshot", `checksum=${wrong}`);
  assert.equal(newCollection.status, 400);
  assert.equal((await call(server.url, "GET", "/collections/never")).status, 404);
  const malformed = await upload("guarded", bytes, "bad.snapshot", "checksum=abc");
  assert.equal(malformed.status, 422);
});

test("a file that is not a snapshot archive is 400 and changes nothing", async () => {
  await makeCollection("solid", 6, 12);
  const before = await allPoints(server.url, "solid");
  const garbage = Buffer.from("this is not a tar archive at all".repeat(40));
  const answer = await upload("solid", garbage, "garbage.snapshot", `checksum=${sha256(garbage)}`);
  assert.equal(answer.status, 400);
  assert.match(String((answer.json.status as { error: string }).error), /Invalid snapshot archive/);
  assert.deepEqual(await allPoints(server.url, "solid"), before);
  const truncated = (await download("solid", (await result<Description>(server.url, "POST", "/collections/solid/snapshots")).name)).bytes.subarray(0, 3000);
  assert.equal((await upload("solid-copy", truncated, "cut.snapshot", "")).status, 400);
  assert.equal((await call(server.url, "GET", "/collections/solid-copy")).status, 404);
});

test("a snapshot with another vector configuration or shard count is 400 over an existing collection", async () => {
  await makeCollection("shape", 10, 8);
  const before = await allPoints(server.url, "shape");
  await makeCollection("wider", 0, 9, { dense: { size: 4, distance: "Cosine" }, tag: { size: 2, distance: "Dot" } });
  const snap = await result<Description>(server.url, "POST", "/collections/wider/snapshots");
  const bytes = (await download("wider", snap.name)).bytes;
  const answer = await upload("shape", bytes, "wider.snapshot", `checksum=${snap.checksum}`);
  assert.equal(answer.status, 400);
  assert.match(String((answer.json.status as { error: string }).error), /not compatible with existing collection/);
  assert.deepEqual(await allPoints(server.url, "shape"), before);

  await result(server.url, "PUT", "/collections/sharded", { vectors: { dense: { size: 3, distance: "Cosine" }, tag: { size: 2, distance: "Dot" } }, shard_number: 3 });
  const sharded = await result<Description>(server.url, "POST", "/collections/sharded/snapshots");
  const shardBytes = (await download("sharded", sharded.name)).bytes;
  const shardAnswer = await upload("shape", shardBytes, "sharded.snapshot", "");
  assert.equal(shardAnswer.status, 400);
  assert.match(String((shardAnswer.json.status as { error: string }).error), /shard number differs/);
  assert.deepEqual(await allPoints(server.url, "shape"), before);
});

test("recover from a file:// or http:// location, checksum checked", async () => {
  await makeCollection("origin", 15, 10);
  const wanted = await allPoints(server.url, "origin");
  const snap = await result<Description>(server.url, "POST", "/collections/origin/snapshots");
  const file = path.join(server.dataDir, "snapshots", "origin", snap.name);
  assert.equal(sha256(await readFile(file)), snap.checksum);

  await result(server.url, "PUT", "/collections/from-file/snapshots/recover", { location: pathToFileURL(file).href, checksum: snap.checksum });
  assert.deepEqual(await allPoints(server.url, "from-file"), wanted);

  const url = `${server.url}/collections/origin/snapshots/${snap.name}`;
  await result(server.url, "PUT", "/collections/from-http/snapshots/recover?wait=true", { location: url, priority: "snapshot", checksum: snap.checksum });
  assert.deepEqual(await allPoints(server.url, "from-http"), wanted);

  const bad = await call(server.url, "PUT", "/collections/from-bad/snapshots/recover", { location: url, checksum: "0".repeat(64) });
  assert.equal(bad.status, 400);
  assert.equal((await call(server.url, "GET", "/collections/from-bad")).status, 404);
  const outside = await call(server.url, "PUT", "/collections/from-bad/snapshots/recover", { location: pathToFileURL(path.join(server.dataDir, "peer_id")).href });
  assert.equal(outside.status, 400, "a local file must be inside the snapshots folder");
});

test("the engine's client drives the snapshot endpoints without any violation", async () => {
  await makeCollection("engine", 50, 11);
  const wanted = await allPoints(server.url, "engine");
  const client = new QdrantClient({ url: server.url });
  const signal = AbortSignal.timeout(30_000);
  const snap = await client.createSnapshot("engine", signal);
  assert.ok((await client.listSnapshots("engine", signal)).some((s) => s.name === snap.name));
  const chunks: Buffer[] = [];
  for await (const chunk of await client.downloadSnapshot("engine", snap.name, signal)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  assert.equal(sha256(bytes), snap.checksum);
  await client.deleteCollection("engine", signal);
  await client.uploadSnapshot("engine", "engine-restore.snapshot", Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), snap.checksum ?? "", signal);
  assert.equal(await client.count("engine", signal), 50);
  assert.deepEqual(await allPoints(server.url, "engine"), wanted);
  await client.deleteSnapshot("engine", "engine-restore.snapshot", signal);
  await client.deleteSnapshot("engine", snap.name, signal);
  assert.deepEqual(await client.listSnapshots("engine", signal), []);
});

test("no violation was recorded (the malformed checksum is Qdrant's own 422, not a violation of the file)", () => {
  assert.deepEqual(server.violations, []);
});
