import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { createMemoryTarget } from "../../src/targets/memory.ts";
import { backupPrefix, metadataKey } from "../../src/targets/layout.ts";
import type { Target } from "../../src/targets/target.ts";
import { CancelledError, IntegrityError, TargetError } from "../../src/core/errors.ts";
import { runBackupPipeline } from "../../src/pipeline/index.ts";
import {
  assertVerified, manifestArtifacts, readManifest, verifyBackup, writeManifest, type ManifestInput,
} from "../../src/manifest/index.ts";
import { exampleManifest } from "./example.ts";
import { dumpLike } from "../pipeline/helpers.ts";

const STACK = "KnowWhere-Production";
const ID = "2025-10-25T14-30-00Z";
const PREFIX = backupPrefix(STACK, ID);

/** Stores real artifacts through the pipeline and writes a manifest recording them, as a backup does. */
async function storedBackup(): Promise<{ target: Target; manifest: Awaited<ReturnType<typeof readManifest>> }> {
  const target = createMemoryTarget();
  const m = exampleManifest();
  const store = async (file: string, seed: number) => {
    const r = await runBackupPipeline({
      source: Readable.from([dumpLike(300_000 + seed * 1000, seed)]),
      compression: "zstd",
      store: (body, { signal }) => target.put(PREFIX + file, body, { signal }),
    });
    return { size_bytes: r.storedBytes, checksum_sha256: r.storedSha256, raw_size_bytes: r.rawBytes, raw_checksum_sha256: r.rawSha256 };
  };
  const dbs = m.databases;
  dbs.neo4j = { ...dbs.neo4j!, ...(await store(dbs.neo4j!.file, 1)) };
  const knowbase = { ...dbs.qdrant!.collections["knowbase"]!, ...(await store("qdrant/knowbase-snapshot.tar.zst", 2)) };
  knowbase.snapshot_checksum_sha256 = knowbase.raw_checksum_sha256;
  dbs.qdrant!.collections = { knowbase };
  dbs.redis = { ...dbs.redis!, ...(await store(dbs.redis!.file, 3)) };
  await writeManifest(target, metadataKey(STACK, ID), m as ManifestInput);
  return { target, manifest: await readManifest(target, metadataKey(STACK, ID)) };
}

test("an intact backup verifies: every artifact re-hashed, progress reported up to the total", async () => {
  const { target, manifest } = await storedBackup();
  let last = { doneBytes: 0, totalBytes: -1 };
  const report = await verifyBackup(target, PREFIX, manifest, { onProgress: (p) => (last = p) });
  assert.equal(report.ok, true);
  assert.deepEqual(report.artifacts.map((a) => [a.key, a.status]), [
    [`${PREFIX}neo4j/neo4j-backup.cypher.zst`, "ok"],
    [`${PREFIX}qdrant/knowbase-snapshot.tar.zst`, "ok"],
    [`${PREFIX}redis/redis-dump.rdb.zst`, "ok"],
  ]);
  const total = manifestArtifacts(manifest).reduce((s, a) => s + a.artifact.size_bytes, 0);
  assert.equal(report.bytesRead, total);
  assert.deepEqual([last.doneBytes, last.totalBytes], [total, total]);
  assertVerified(report);
  // The prefix may also be given without its trailing slash.
  assert.equal((await verifyBackup(target, PREFIX.slice(0, -1), manifest)).ok, true);
});

test("corrupted, truncated and missing objects are each reported in the manifest's order; assertVerified names the first", async () => {
  const { target, manifest } = await storedBackup();
  const [neo4j, qdrant, redis] = manifestArtifacts(manifest).map((a) => PREFIX + a.artifact.file) as [string, string, string];
  const original = await collectObject(target, neo4j);
  const flipped = Buffer.from(original);
  flipped[100] = (flipped[100] ?? 0) ^ 1;
  await target.put(neo4j, flipped);
  await target.put(qdrant, original.subarray(0, 10));
  await target.delete(redis);

  const report = await verifyBackup(target, PREFIX, manifest);
  assert.equal(report.ok, false);
  assert.deepEqual(report.artifacts.map((a) => a.status), ["checksum_mismatch", "size_mismatch", "missing"]);
  assert.equal(report.artifacts[1]?.actualSize, 10);
  assert.throws(() => assertVerified(report), (err) =>
    err instanceof IntegrityError && err.message.startsWith(`Backup artifact ${neo4j} has sha256 `) && /\(and 2 more bad artifacts\)\.$/.test(err.message));

  // One at a time, failFast stops at the first bad artifact; side by side, those already being read finish.
  const fast = await verifyBackup(target, PREFIX, manifest, { failFast: true, concurrency: 1 });
  assert.deepEqual(fast.artifacts.map((a) => a.status), ["checksum_mismatch"]);
  assert.equal(fast.ok, false);
  const fastParallel = await verifyBackup(target, PREFIX, manifest, { failFast: true });
  assert.equal(fastParallel.ok, false);
  assert.equal(fastParallel.artifacts[0]?.status, "checksum_mismatch");
});

test("verification stops with CancelledError when the signal aborts", async () => {
  const { target, manifest } = await storedBackup();
  const controller = new AbortController();
  await assert.rejects(
    verifyBackup(target, PREFIX, manifest, { signal: controller.signal, onProgress: () => controller.abort() }),
    CancelledError,
  );
});

test("a failure to read one artifact rejects with that error (not a mismatch) and stops the reads beside it", async () => {
  const { target, manifest } = await storedBackup();
  const [, qdrant] = manifestArtifacts(manifest).map((a) => PREFIX + a.artifact.file) as [string, string, string];
  const failure = new TargetError("the target broke");
  const aborted: string[] = [];
  const failing: Target = {
    ...target,
    head: (key, options) => target.head(key, options),
    get: async (key, options) => {
      if (key === qdrant) throw failure;
      options?.signal?.addEventListener("abort", () => aborted.push(key));
      // The other reads wait for the failure, so that they are in flight when it comes.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return target.get(key, options);
    },
  };
  await assert.rejects(verifyBackup(failing, PREFIX, manifest), (err) => err === failure);
  assert.equal(aborted.length, 2, "the two other reads were told to stop");
});

test("a body cut off part-way is read again; one cut on every read fails with the target's error", async () => {
  const { target, manifest } = await storedBackup();
  const [neo4j] = manifestArtifacts(manifest).map((a) => PREFIX + a.artifact.file) as [string, string, string];
  const cutting = (cuts: number): { target: Target; reads: () => number } => {
    let reads = 0;
    return {
      reads: () => reads,
      target: {
        ...target,
        head: (key, options) => target.head(key, options),
        get: async (key, options) => {
          const whole = await target.get(key, options);
          if (key !== neo4j || reads++ >= cuts) return whole;
          whole.destroy();
          return Readable.from((async function* () {
            yield Buffer.alloc(1000);
            throw new TargetError("the connection was reset");
          })());
        },
      },
    };
  };
  const once = cutting(1);
  const report = await verifyBackup(once.target, PREFIX, manifest);
  assert.equal(report.ok, true, "the second read of the cut artifact verifies");
  assert.equal(once.reads(), 2);
  const always = cutting(Number.POSITIVE_INFINITY);
  await assert.rejects(verifyBackup(always.target, PREFIX, manifest), (err) => err instanceof TargetError && /reset/.test(err.message));
  assert.equal(always.reads(), 3, "three reads, then the error");
});

async function collectObject(target: Target, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await target.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
