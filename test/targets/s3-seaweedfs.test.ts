/**
 * The contract suite against the second S3 server (SeaweedFS, `S3B_*`), which makes conditional writes atomic
 * and honours server-side encryption: the race test and the SSE test run here. The harness writes `S3B_*`;
 * without them these tests fail.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { createS3Target } from "../../src/targets/s3.ts";
import { getBytes } from "../../src/targets/target.ts";
import { targetContract } from "./contract.ts";
import { ensureBucket, rawClient, s3ContractFixture, s3Coordinates, s3Options } from "./s3-env.ts";

const MiB = 1024 * 1024;

targetContract("s3 (SeaweedFS)", () => s3ContractFixture("S3B"), { largeSize: 12 * MiB, atomicConditionalPuts: true });

test("s3 (SeaweedFS): objects are stored with the requested server-side encryption", async () => {
  const c = s3Coordinates("S3B");
  await ensureBucket(c);
  const prefix = `sse-${randomBytes(3).toString("hex")}`;
  const t = await createS3Target(s3Options(c, { prefix, sse: "AES256" }));
  await t.put("small", "secret-ish");
  await t.put("large", Buffer.alloc(11 * MiB, 7));
  const raw = rawClient(c);
  for (const key of ["small", "large"]) {
    const head = await raw.send(new HeadObjectCommand({ Bucket: c.bucket, Key: `${prefix}/${key}` }));
    assert.equal(head.ServerSideEncryption, "AES256", key);
  }
  assert.equal((await getBytes(t, "small")).toString(), "secret-ish");
  raw.destroy();
  await t.delete("small");
  await t.delete("large");
  await t.close();
});
