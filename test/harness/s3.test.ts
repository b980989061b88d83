/**
 * Proves, on both S3 servers of the harness (versitygw as S3_*, SeaweedFS as S3B_*), the behaviour the
 * S3 target relies on: versioning, conditional writes (If-None-Match: *, If-Match) and multipart upload
 * with completion and abort.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { serviceEnv } from "./env.ts";
import { s3Client } from "./s3-setup.ts";

for (const [label, prefix] of [
  ["versitygw", "S3"],
  ["seaweedfs", "S3B"],
] as const) {
  describe(`harness S3 server ${label} (${prefix}_*)`, () => {
    let client: S3Client;
    let bucket: string;
    const run = `harness-selftest/${Date.now()}-${randomBytes(4).toString("hex")}`;

    before(() => {
      client = s3Client(serviceEnv(`${prefix}_ENDPOINT`), {
        accessKey: serviceEnv(`${prefix}_ACCESS_KEY`),
        secretKey: serviceEnv(`${prefix}_SECRET_KEY`),
      });
      bucket = serviceEnv(`${prefix}_BUCKET`);
    });
    after(() => client?.destroy());

    it("keeps every version of an overwritten object", async () => {
      const key = `${run}/versioned.txt`;
      const first = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "version one" }));
      const second = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "version two" }));
      assert.ok(first.VersionId !== undefined && second.VersionId !== undefined, "puts return version ids");
      assert.notEqual(first.VersionId, second.VersionId);
      const listed = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
      const versions = (listed.Versions ?? []).filter((v) => v.Key === key);
      assert.deepEqual(new Set(versions.map((v) => v.VersionId)), new Set([first.VersionId, second.VersionId]));
      assert.equal(await text(client, bucket, key, first.VersionId), "version one");
      assert.equal(await text(client, bucket, key, second.VersionId), "version two");
      assert.equal(await text(client, bucket, key), "version two");
    });

    it("rejects a second put with If-None-Match: * (412)", async () => {
      const key = `${run}/create-only.txt`;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "first", IfNoneMatch: "*" }));
      await assert.rejects(
        client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "second", IfNoneMatch: "*" })),
        (error: unknown) => status(error) === 412,
      );
      assert.equal(await text(client, bucket, key), "first");
    });

    it("rejects a put with a stale If-Match etag (412) and accepts the current one", async () => {
      const key = `${run}/compare-and-swap.txt`;
      const v1 = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "one" }));
      const v2 = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "two", IfMatch: v1.ETag }));
      await assert.rejects(
        client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "stale", IfMatch: v1.ETag })),
        (error: unknown) => status(error) === 412,
      );
      assert.equal(await text(client, bucket, key), "two");
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "three", IfMatch: v2.ETag }));
      assert.equal(await text(client, bucket, key), "three");
    });

    it("assembles a multipart upload from its parts", async () => {
      const key = `${run}/multipart.bin`;
      const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1234)];
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const uploadId = created.UploadId;
      assert.ok(uploadId !== undefined);
      const etags: string[] = [];
      for (const [index, body] of parts.entries()) {
        const part = await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: index + 1, Body: body }));
        etags.push(part.ETag ?? "");
      }
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      assert.equal(bytes.length, parts[0]!.length + parts[1]!.length);
      assert.equal(sha256(bytes), sha256(Buffer.concat(parts)));
    });

    it("forgets an aborted multipart upload", async () => {
      const key = `${run}/aborted.bin`;
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const uploadId = created.UploadId;
      await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: randomBytes(1024) }));
      const before = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      assert.ok((before.Uploads ?? []).some((u) => u.UploadId === uploadId), "the upload is listed before the abort");
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      const afterAbort = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      assert.deepEqual((afterAbort.Uploads ?? []).map((u) => u.UploadId), []);
    });
  });
}

describe("harness S3 server seaweedfs: what the lock-race and SSE tests rely on", () => {
  let client: S3Client;
  let bucket: string;
  const run = `harness-selftest/${Date.now()}-${randomBytes(4).toString("hex")}`;

  before(() => {
    client = s3Client(serviceEnv("S3B_ENDPOINT"), { accessKey: serviceEnv("S3B_ACCESS_KEY"), secretKey: serviceEnv("S3B_SECRET_KEY") });
    bucket = serviceEnv("S3B_BUCKET");
  });
  after(() => client?.destroy());

  it("lets exactly one of 8 racing If-None-Match: * puts win", async () => {
    const key = `${run}/race.txt`;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `writer ${i}`, IfNoneMatch: "*" }))),
    );
    const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    assert.equal(winners.length, 1, `winners: ${winners.join(", ")}`);
    assert.ok(results.every((r) => r.status === "fulfilled" || status(r.reason) === 412));
    assert.equal(await text(client, bucket, key), `writer ${winners[0]}`);
  });

  it("stores an object with SSE-S3 and reports it", async () => {
    const key = `${run}/sse.txt`;
    const put = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "secret", ServerSideEncryption: "AES256" }));
    assert.equal(put.ServerSideEncryption, "AES256");
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(got.ServerSideEncryption, "AES256");
    assert.equal(await got.Body!.transformToString(), "secret");
  });
});

// --- internal ---

async function text(client: S3Client, bucket: string, key: string, versionId?: string): Promise<string> {
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return got.Body!.transformToString();
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
