/**
 * The Qdrant engine against the project's Qdrant-compatible test server (the harness's QDRANT_URL, whose every
 * request and response is checked against Qdrant's OpenAPI file): back up every collection through the plans,
 * delete them, restore, and compare every point (id, every named vector, payload) and config; a corrupted
 * snapshot is refused before any collection is touched; renames, narrowing, version rule and API key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Emitter } from "../../../src/core/events.ts";
import { EngineError, IntegrityError, NotFoundError, UsageError } from "../../../src/core/errors.ts";
import { createQdrantEngine, QDRANT_ENDPOINTS } from "../../../src/engines/qdrant/index.ts";
import type { QdrantEngineOptions } from "../../../src/engines/qdrant/index.ts";
import type { QdrantManifestCollection } from "../../../src/manifest/schema.ts";
import { runBackup } from "../../../src/plans/backup.ts";
import { runRestore } from "../../../src/plans/restore.ts";
import { sectionOf } from "../../../src/plans/manifest-map.ts";
import { createMemoryTarget } from "../../../src/targets/memory.ts";
import { getBytes } from "../../../src/targets/target.ts";
import { artifactKey } from "../../../src/targets/layout.ts";
import { diffFingerprints, qdrantFingerprint } from "../../fixtures/compare/index.ts";
import { loadQdrant, qdrant } from "../../fixtures/qdrant-data.ts";
import { serviceEnv } from "../../harness/env.ts";
import { startQdrantTestServer } from "../../qdrant-server/server.ts";

const conn = { url: serviceEnv("QDRANT_URL") };
const signal = new AbortController().signal;
const SEED = ["knowbase", "knowwhere_proto", "rfp_qa"];

/** An engine whose every HTTP call is recorded as `METHOD /template`. */
function recordingEngine(options: Partial<QdrantEngineOptions> = {}): { engine: ReturnType<typeof createQdrantEngine>; calls: string[] } {
  const calls: string[] = [];
  const onRequest = (method: string, url: URL): void => {
    calls.push(`${method} ${url.pathname}`);
  };
  return { engine: createQdrantEngine({ url: conn.url, onRequest, ...options }), calls };
}

async function backupAll(engine: ReturnType<typeof createQdrantEngine>, target = createMemoryTarget()) {
  const result = await runBackup({ stack: "qd", target, engines: [engine], compression: "zstd", toolVersion: "0.0.0-test", events: new Emitter(), signal });
  return { target, result };
}

async function snapshotsLeft(): Promise<string[]> {
  const names = ((await qdrant(conn, "GET", "/collections")) as { collections: { name: string }[] }).collections.map((c) => c.name);
  const left: string[] = [];
  for (const name of names) for (const s of (await qdrant(conn, "GET", `/collections/${name}/snapshots`)) as { name: string }[]) left.push(`${name}/${s.name}`);
  return left;
}

/** Every point of a collection (id, vectors, payload), in id order. */
async function allPoints(name: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let offset: unknown = null;
  do {
    const page = (await qdrant(conn, "POST", `/collections/${name}/points/scroll`, { limit: 256, with_payload: true, with_vector: true, ...(offset === null ? {} : { offset }) })) as { points: unknown[]; next_page_offset?: unknown };
    out.push(...page.points);
    offset = page.next_page_offset ?? null;
  } while (offset !== null);
  return out;
}

async function dropAll(): Promise<void> {
  const names = ((await qdrant(conn, "GET", "/collections")) as { collections: { name: string }[] }).collections.map((c) => c.name);
  for (const name of names) await qdrant(conn, "DELETE", `/collections/${name}`);
}

test("backup of every collection, delete, restore: every point, vector, payload and config comes back", async () => {
  await dropAll();
  const counts = await loadQdrant(conn, 0.04, 5);
  await qdrant(conn, "PUT", "/collections/added_later", { vectors: { size: 8, distance: "Dot" } });
  await qdrant(conn, "PUT", "/collections/added_later/points?wait=true", { points: [{ id: 7, vector: [1, 2, 3, 4, 5, 6, 7, 8], payload: { note: "ünïcode 🚀", n: 2 ** 53 - 1 } }] });
  const before = await qdrantFingerprint(conn);

  const { engine, calls } = recordingEngine();
  const { target, result } = await backupAll(engine);
  const section = result.manifest.databases.qdrant;
  assert.ok(section, "the manifest has a Qdrant section");
  assert.deepEqual(Object.keys(section.collections).sort(), ["added_later", ...SEED].sort(), "a collection added later is backed up too");
  for (const name of SEED) {
    const c: QdrantManifestCollection = section.collections[name]!;
    assert.equal(c.points_count, counts[name]);
    assert.equal(c.snapshot_checksum_sha256, c.raw_checksum_sha256, "Qdrant's checksum kept beside ours");
    assert.equal(c.compression, "none", "snapshots are stored uncompressed unless the operator chose otherwise");
  }
  assert.equal(section.collections.knowbase!.vectors_count, counts.knowbase! * 2, "two named vectors per knowbase point");
  assert.deepEqual(await snapshotsLeft(), [], "server-side snapshots are deleted after the download");

  await dropAll();
  const restored = await runRestore({ stack: "qd", target, engines: [engine], events: new Emitter(), signal });
  assert.equal(restored.restored, true);
  const after = await qdrantFingerprint(conn);
  assert.deepEqual(diffFingerprints({ qdrant: before }, { qdrant: after }), []);
  assert.ok(before.counts["points:knowbase"]! > 100, "the data is not trivially small");
  assert.deepEqual(await snapshotsLeft(), [], "the uploaded copies are deleted after recovery");

  const templates = QDRANT_ENDPOINTS.map(([method, template]) => ({ method, regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`) }));
  for (const call of new Set(calls)) {
    const [method, pathname] = call.split(" ");
    assert.ok(templates.some((t) => t.method === method && t.regex.test(pathname ?? "")), `${call} is not one of the engine's declared endpoints`);
  }
  assert.ok(calls.some((c) => c.endsWith("/snapshots/upload")), "restore went through upload-recover");
});

test("a corrupted snapshot is refused before any collection is deleted", async () => {
  await dropAll();
  await loadQdrant(conn, 0.01, 9);
  const before = await qdrantFingerprint(conn);
  const { engine } = recordingEngine();
  const { target, result } = await backupAll(engine);
  const key = artifactKey("qd", result.manifest.backup_id, result.manifest.databases.qdrant!.collections.rfp_qa!.file);
  const bytes = await getBytes(target, key);
  bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0x55;
  await target.put(key, bytes);

  await assert.rejects(runRestore({ stack: "qd", target, engines: [engine], events: new Emitter(), signal }), (err: unknown) => err instanceof IntegrityError && err.message.includes("rfp_qa"));
  assert.deepEqual(diffFingerprints({ qdrant: before }, { qdrant: await qdrantFingerprint(conn) }), [], "nothing was deleted or changed");
});

test("--qdrant-collections narrows the backup; a missing name is an error naming it; --rename restores under a new name", async () => {
  await dropAll();
  await loadQdrant(conn, 0.01, 3);
  await assert.rejects(backupAll(createQdrantEngine({ url: conn.url, collections: ["rfp_qa", "nope"] })), (err: unknown) => err instanceof NotFoundError && err.message.includes("'nope'"));

  const { target, result } = await backupAll(createQdrantEngine({ url: conn.url, collections: ["rfp_qa"] }));
  assert.deepEqual(Object.keys(result.manifest.databases.qdrant!.collections), ["rfp_qa"]);

  await assert.rejects(
    runRestore({ stack: "qd", target, engines: [createQdrantEngine({ url: conn.url, rename: { knowbase: "x" } })], events: new Emitter(), signal }),
    (err: unknown) => err instanceof UsageError && err.message.includes("'knowbase'"),
  );
  await runRestore({ stack: "qd", target, engines: [createQdrantEngine({ url: conn.url, rename: { rfp_qa: "rfp_qa_copy" } })], events: new Emitter(), signal });
  const original = await allPoints("rfp_qa");
  assert.ok(original.length > 10);
  assert.deepEqual(await allPoints("rfp_qa_copy"), original, "the copy holds the same points");
  await qdrant(conn, "DELETE", "/collections/rfp_qa_copy");
});

test("snapshots restore only on the same or next minor Qdrant, and the API key is sent", async () => {
  await dropAll();
  await loadQdrant(conn, 0.005, 1);
  const { target, result } = await backupAll(createQdrantEngine({ url: conn.url, collections: ["rfp_qa"] }));
  const section = sectionOf(result.manifest, "qdrant")!;
  const engine = createQdrantEngine({ url: conn.url });
  await engine.checkRestorable(section, { signal });
  await assert.rejects(engine.checkRestorable({ ...section, version: "1.17.2" }, { signal }), (err: unknown) => err instanceof EngineError && /same or the next minor version/.test(err.message));

  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-qdrant-key-"));
  const secured = await startQdrantTestServer({ host: "127.0.0.1", port: 0, dataDir: dir, apiKey: "k-7f3a", version: "1.20.1" });
  try {
    await assert.rejects(createQdrantEngine({ url: secured.url, apiKey: "wrong" }).count({ signal }), (err: unknown) => err instanceof EngineError && /API key/.test(err.message) && !err.message.includes("wrong"));
    const keyed = createQdrantEngine({ url: secured.url, apiKey: "k-7f3a" });
    await runRestore({ stack: "qd", target, engines: [keyed], events: new Emitter(), signal });
    assert.deepEqual(await keyed.count({ signal }), { "points:rfp_qa": result.manifest.databases.qdrant!.collections.rfp_qa!.points_count });
    assert.deepEqual(secured.violations, [], "every request and response matched the OpenAPI file");
  } finally {
    await secured.close();
  }
});
