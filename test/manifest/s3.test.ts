// Integration: the pipeline and the manifest against the real S3 server of the test harness (S3_* variables).
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { CancelledError, IntegrityError } from "../../src/core/errors.ts";
import { createS3Target } from "../../src/targets/s3.ts";
import { artifactFiles, backupPrefix, metadataKey } from "../../src/targets/layout.ts";
import { openVerifiedStream, runBackupPipeline } from "../../src/pipeline/index.ts";
import { artifactFieldsOf, readManifest, verifyBackup, writeManifest } from "../../src/manifest/index.ts";
import { assertNoMultipartUpload, deletePrefix, ensureBucket, s3Coordinates, s3Options } from "../targets/s3-env.ts";
import { collect, dumpLike, lazySource } from "../pipeline/helpers.ts";
import { exampleManifest } from "./example.ts";

const ID = "2025-10-25T14-30-00Z";

before(async () => ensureBucket(s3Coordinates("S3")));

test("s3: artifacts stream through the pipeline as multipart uploads, the manifest verifies, content reads back", async () => {
  const c = s3Coordinates("S3");
  const root = `pipeline-${randomBytes(3).toString("hex")}`;
  const target = await createS3Target(s3Options(c, { prefix: root }));
  const stack = "Pipeline-Test";
  const prefix = backupPrefix(stack, ID);
  try {
    const neo4jData = dumpLike(3 * 1024 * 1024, 11);
    const redisData = randomBytes(12 * 1024 * 1024); // incompressible: three 5 MiB parts
    const put = async (file: string, data: Buffer, compression: "zstd" | "none", name: string) => {
      const r = await runBackupPipeline({
        source: Readable.from([data]), compression,
        store: (body, { signal }) => target.put(prefix + file, body, { signal }),
      });
      return artifactFieldsOf({ name, file, compression, ...r });
    };
    const m = exampleManifest();
    m.stack_name = stack;
    delete m.databases.qdrant;
    m.databases.neo4j = { ...m.databases.neo4j!, ...(await put(artifactFiles.neo4j("cypher", "zstd"), neo4jData, "zstd", "neo4j-backup.cypher")) };
    m.databases.redis = { ...m.databases.redis!, ...(await put(artifactFiles.redis("none"), redisData, "none", "redis-dump.rdb")) };
    await writeManifest(target, metadataKey(stack, ID), m);

    const manifest = await readManifest(target, metadataKey(stack, ID));
    const report = await verifyBackup(target, prefix, manifest);
    assert.deepEqual(report.artifacts.map((a) => a.status), ["ok", "ok"]);
    assert.equal(report.bytesRead, manifest.databases.neo4j!.size_bytes + redisData.length);

    for (const [entry, data] of [[manifest.databases.neo4j!, neo4jData], [manifest.databases.redis!, redisData]] as const) {
      const back = await collect(openVerifiedStream(await target.get(prefix + entry.file), {
        name: entry.file, compression: entry.compression,
        storedBytes: entry.size_bytes, storedSha256: entry.checksum_sha256,
        rawBytes: entry.raw_size_bytes, rawSha256: entry.raw_checksum_sha256,
      }));
      assert.ok(back.equals(data), `${entry.file} reads back byte for byte`);
    }

    // Replace the Neo4j object with other bytes of the same size: verify and the verified read both catch it.
    const neo4j = manifest.databases.neo4j!;
    await target.put(prefix + neo4j.file, randomBytes(neo4j.size_bytes));
    const bad = await verifyBackup(target, prefix, manifest);
    assert.deepEqual(bad.artifacts.map((a) => a.status), ["checksum_mismatch", "ok"]);
    await assert.rejects(
      collect(openVerifiedStream(await target.get(prefix + neo4j.file), {
        name: neo4j.file, compression: "zstd", storedBytes: neo4j.size_bytes, storedSha256: neo4j.checksum_sha256,
      })),
      (err) => err instanceof IntegrityError && err.message.includes(neo4j.file),
    );
  } finally {
    await target.close();
    await deletePrefix(c, `${root}/`);
  }
});

test("s3: cancelling a backup mid-upload leaves neither an object nor a multipart upload", async () => {
  const c = s3Coordinates("S3");
  const root = `pipeline-${randomBytes(3).toString("hex")}`;
  const target = await createS3Target(s3Options(c, { prefix: root }));
  const key = `${backupPrefix("Pipeline-Test", ID)}redis/redis-dump.rdb.zst`;
  const controller = new AbortController();
  try {
    const source = lazySource(256 * 1024 * 1024, true);
    await assert.rejects(
      runBackupPipeline({
        source, compression: "zstd", signal: controller.signal,
        store: (body, { signal }) => target.put(key, body, { signal }),
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.storedBytes > 12 * 1024 * 1024) controller.abort();
        },
      }),
      CancelledError,
    );
    assert.equal(source.destroyed, true);
    assert.equal(await target.head(key), undefined);
    await assertNoMultipartUpload(c, `${root}/${key}`);
  } finally {
    await target.close();
    await deletePrefix(c, `${root}/`);
  }
});
