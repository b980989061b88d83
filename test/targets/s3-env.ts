/**
 * Coordinates of the test S3 servers, from the environment the test runner loads (`.cache/services/env`):
 * `S3_*` (versitygw) and `S3B_*` (SeaweedFS). Plus helpers to make the
 * bucket and to check that no multipart upload was left behind.
 */
import { randomBytes } from "node:crypto";
import { createS3Target } from "../../src/targets/s3.ts";
import assert from "node:assert/strict";
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import type { S3TargetOptions } from "../../src/targets/s3.ts";

export interface S3Coordinates {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

/** `S3_*` or `S3B_*` coordinates; throws (the test fails) naming what is missing. */
export function s3Coordinates(prefix: "S3" | "S3B"): S3Coordinates {
  const names = ["ENDPOINT", "ACCESS_KEY", "SECRET_KEY", "BUCKET"].map((n) => `${prefix}_${n}`);
  const missing = names.filter((n) => !process.env[n]);
  assert.deepEqual(missing, [], `missing ${missing.join(", ")}: start the test services (npm run services -- start) or run through npm test`);
  const [endpoint, accessKeyId, secretAccessKey, bucket] = names.map((n) => process.env[n] as string) as [string, string, string, string];
  return { endpoint, accessKeyId, secretAccessKey, bucket };
}

/**
 * The contract-suite fixture for one S3 server (`S3_*` versitygw, `S3B_*` SeaweedFS): a target under a fresh
 * prefix, the no-dangling-upload check, and the clean-up. Fails when the server's coordinates are missing.
 */
export async function s3ContractFixture(server: "S3" | "S3B") {
  const c = s3Coordinates(server);
  await ensureBucket(c);
  const prefix = `contract-${randomBytes(3).toString("hex")}`;
  return {
    target: await createS3Target(s3Options(c, { prefix })),
    assertNoLeftovers: (key: string) => assertNoMultipartUpload(c, `${prefix}/${key}`),
    cleanup: () => deletePrefix(c, `${prefix}/`),
  };
}

/** Target options for the coordinates (small parts so that tests exercise multipart cheaply). */
export function s3Options(c: S3Coordinates, extra: Partial<S3TargetOptions> = {}): S3TargetOptions {
  return {
    bucket: c.bucket,
    endpoint: c.endpoint,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
    partSize: 5 * 1024 * 1024,
    queueSize: 2,
    maxAttempts: 3,
    ...extra,
  };
}

/** A raw SDK client on the coordinates, for checks the Target contract does not expose. */
export function rawClient(c: S3Coordinates): S3Client {
  return new S3Client({
    endpoint: c.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
  });
}

/** Creates the bucket unless it exists. */
export async function ensureBucket(c: S3Coordinates): Promise<void> {
  const client = rawClient(c);
  try {
    await client.send(new CreateBucketCommand({ Bucket: c.bucket }));
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
  } finally {
    client.destroy();
  }
}

/** Asserts that no multipart upload is in progress for exactly `key` (and aborts any, so runs stay clean). */
export async function assertNoMultipartUpload(c: S3Coordinates, key: string): Promise<void> {
  const client = rawClient(c);
  try {
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: c.bucket, Prefix: key }));
    const dangling = (out.Uploads ?? []).filter((u) => u.Key === key);
    for (const u of dangling) await client.send(new AbortMultipartUploadCommand({ Bucket: c.bucket, Key: key, UploadId: u.UploadId }));
    assert.deepEqual(dangling.map((u) => u.Key), [], `no multipart upload may remain for ${key}`);
  } finally {
    client.destroy();
  }
}

/** Deletes every object under `prefix` (test clean-up). */
export async function deletePrefix(c: S3Coordinates, prefix: string): Promise<void> {
  const client = rawClient(c);
  try {
    for (;;) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: prefix }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key }));
      if (keys.length === 0) return;
      await client.send(new DeleteObjectsCommand({ Bucket: c.bucket, Delete: { Objects: keys } }));
    }
  } finally {
    client.destroy();
  }
}
