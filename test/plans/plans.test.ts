import { test } from "node:test";
import assert from "node:assert/strict";
import { EngineError, IntegrityError, LockError } from "../../src/core/errors.ts";
import { Emitter, type StackvaultEvent } from "../../src/core/events.ts";
import { runBackup } from "../../src/plans/backup.ts";
import { readLatest } from "../../src/plans/latest.ts";
import { acquireLock, readLock } from "../../src/plans/lock.ts";
import { runRestore } from "../../src/plans/restore.ts";
import { createMemoryTarget } from "../../src/targets/memory.ts";
import { artifactKey, metadataKey, restoresPrefix } from "../../src/targets/layout.ts";
import { getBytes, listAll } from "../../src/targets/target.ts";
import { fakeEngine, type FakeStore } from "./fake-engine.ts";

function recorder() {
  const events: StackvaultEvent[] = [];
  return { events, emitter: new Emitter((e) => events.push(e)) };
}

function neo4jStore(): FakeStore {
  return { items: new Map([["nodes", Buffer.from("node data ".repeat(1000))], ["rels", Buffer.from([0, 1, 2, 255])]]), calls: [] };
}

const signal = new AbortController().signal;

test("backup then restore round-trips through the memory target, in the seed's steps", async () => {
  const target = createMemoryTarget();
  const store = neo4jStore();
  const original = new Map(store.items);
  const { events, emitter } = recorder();
  const result = await runBackup({ stack: "kw", target, engines: [fakeEngine("neo4j", store)], compression: "zstd", toolVersion: "0.0.0-test", events: emitter, signal, backupId: "2025-10-25T14-30-00Z" });
  assert.deepEqual(events.filter((e) => e.type === "step").map((e) => e.type === "step" && `${e.index}/${e.total}`), ["1/7", "2/7", "3/7", "4/7", "5/7", "6/7", "7/7"]);
  assert.equal((await readLatest(target, "kw"))?.pointer.backup_id, "2025-10-25T14-30-00Z");
  assert.equal(result.manifest.databases.neo4j?.file, "neo4j/nodes.bin.zst");
  assert.deepEqual(result.manifest.skipped, ["qdrant", "redis"]);

  store.items.clear();
  const restored = await runRestore({ stack: "kw", target, engines: [fakeEngine("neo4j", store)], events: new Emitter(), signal });
  assert.equal(restored.restored, true);
  assert.deepEqual(store.items, original);
  const records = [];
  for await (const info of listAll(target, restoresPrefix("kw"))) records.push(JSON.parse((await getBytes(target, info.key)).toString()));
  assert.equal(records.length, 1);
  assert.equal(records[0].backup_id, "2025-10-25T14-30-00Z");
});

test("a corrupted artifact is refused before any store is touched", async () => {
  const target = createMemoryTarget();
  const store = neo4jStore();
  await runBackup({ stack: "kw", target, engines: [fakeEngine("neo4j", store)], compression: "none", toolVersion: "t", events: new Emitter(), signal, backupId: "2025-10-25T14-30-00Z" });
  const key = artifactKey("kw", "2025-10-25T14-30-00Z", "neo4j/rels.bin");
  const bytes = await getBytes(target, key);
  bytes[0] = (bytes[0] ?? 0) ^ 0xff;
  await target.put(key, bytes);
  store.calls.length = 0;
  await assert.rejects(runRestore({ stack: "kw", target, engines: [fakeEngine("neo4j", store)], events: new Emitter(), signal }), (err: unknown) => err instanceof IntegrityError && err.message.includes("neo4j/rels.bin"));
  // Its read-only check may run beside the verification; nothing that writes does.
  assert.deepEqual(store.calls.filter((c) => c !== "check"), [], "the engine was asked nothing but its read-only check");
  assert.equal(store.items.size, 2, "the store still holds its data");
});

test("a failed backup writes no manifest, does not move latest, and restarts the worker", async () => {
  const target = createMemoryTarget();
  const good = neo4jStore();
  await runBackup({ stack: "kw", target, engines: [fakeEngine("neo4j", good)], compression: "zstd", toolVersion: "t", events: new Emitter(), signal, backupId: "2025-10-25T14-30-00Z" });
  const failing = { ...neo4jStore(), failBackup: true };
  const calls: string[] = [];
  const controller = {
    kind: "test",
    isRunning: async () => true,
    start: async () => {},
    waitHealthy: async () => {},
    stop: async (names: readonly string[]) => {
      calls.push(`stop ${names.join(",")}`);
      return async () => void calls.push("restart");
    },
  };
  await assert.rejects(
    runBackup({ stack: "kw", target, engines: [fakeEngine("neo4j", failing)], compression: "zstd", toolVersion: "t", events: new Emitter(), signal, backupId: "2025-10-26T00-00-00Z", services: { controller, names: ["worker"] } }),
    EngineError,
  );
  assert.deepEqual(calls, ["stop worker", "restart"]);
  assert.equal(await target.head(metadataKey("kw", "2025-10-26T00-00-00Z")), undefined);
  assert.equal((await readLatest(target, "kw"))?.pointer.backup_id, "2025-10-25T14-30-00Z");
  assert.equal(await readLock(target, "kw"), undefined, "the lock was released");
});

test("a backup of a locked stack fails fast without touching anything", async () => {
  const target = createMemoryTarget();
  const other = await acquireLock(target, "kw", { operation: "restore" });
  const store = neo4jStore();
  await assert.rejects(runBackup({ stack: "kw", target, engines: [fakeEngine("neo4j", store)], compression: "zstd", toolVersion: "t", events: new Emitter(), signal }), LockError);
  assert.deepEqual(store.calls, []);
  await other.release();
});

test("a restore dry run verifies and describes, and changes nothing", async () => {
  const target = createMemoryTarget();
  const store = neo4jStore();
  await runBackup({ stack: "kw", target, engines: [fakeEngine("neo4j", store)], compression: "gzip", toolVersion: "t", events: new Emitter(), signal, backupId: "2025-10-25T14-30-00Z" });
  store.calls.length = 0;
  const result = await runRestore({ stack: "other", fromStack: "kw", target, engines: [fakeEngine("neo4j", store)], events: new Emitter(), signal, dryRun: true });
  assert.equal(result.restored, false);
  assert.equal(result.plan.backupId, "2025-10-25T14-30-00Z");
  assert.deepEqual(store.calls, ["check"]);
});
