import { before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, LockError, TargetError } from "../../src/core/errors.ts";
import { acquireLock, readLock } from "../../src/plans/lock.ts";
import { createS3Target } from "../../src/targets/s3.ts";
import { getBytes } from "../../src/targets/target.ts";
import { targetContract } from "./contract.ts";
import { generated, hashStream } from "./data.ts";
import { startFaultProxy } from "../reliability/fault-proxy.ts";
import { assertNoMultipartUpload, ensureBucket, s3ContractFixture, s3Coordinates, s3Options } from "./s3-env.ts";

const MiB = 1024 * 1024;

// versitygw checks If-None-Match/If-Match and then writes, in two steps: racing writers can both win there.
targetContract("s3 (versitygw)", () => s3ContractFixture("S3"), { largeSize: 12 * MiB, atomicConditionalPuts: false });

before(async () => ensureBucket(s3Coordinates("S3")));

test("s3: a failed or aborted multipart put leaves no multipart upload", async () => {
  const c = s3Coordinates("S3");
  const prefix = `mpu-${randomBytes(3).toString("hex")}`;
  const t = await createS3Target(s3Options(c, { prefix }));
  const boom = new Error("source broke");
  await assert.rejects(t.put("failed", generated(20 * MiB, { failAfter: 12 * MiB, failWith: boom })), (e) => e === boom);
  await assertNoMultipartUpload(c, `${prefix}/failed`);
  const controller = new AbortController();
  const writing = t.put("aborted", generated(20 * MiB, { pauseAfter: 12 * MiB, onPause: () => controller.abort() }), { signal: controller.signal });
  await assert.rejects(writing, (e: Error) => e.name === "CancelledError");
  await assertNoMultipartUpload(c, `${prefix}/aborted`);
  assert.deepEqual((await t.list("")).objects, []);
  await t.close();
});

test("s3: a 64 MiB object goes up as a multipart upload of generated data and reads back identical", async () => {
  const c = s3Coordinates("S3");
  const prefix = `big-${randomBytes(3).toString("hex")}`;
  const t = await createS3Target(s3Options(c, { prefix, partSize: 8 * MiB, queueSize: 4 }));
  const size = 64 * MiB + 12_345;
  const expected = await hashStream(generated(size, { seed: 64 }));
  let progress = 0;
  const put = await t.put("big.bin", generated(size, { seed: 64 }), { onProgress: (b) => (progress = b), ifAbsent: true });
  assert.equal(put.size, size);
  assert.equal(progress, size);
  assert.match(put.etag, /-9"?$/, "a multipart etag ends with the part count (9 parts of 8 MiB)");
  assert.deepEqual(await hashStream(await t.get("big.bin")), expected);
  const tail = await getBytes(t, "big.bin", { range: { start: size - 100 } });
  assert.equal(tail.length, 100);
  // Multipart conditional writes: the condition travels on CompleteMultipartUpload.
  await assert.rejects(t.put("big.bin", generated(9 * MiB), { ifAbsent: true }), (e: Error) => e.name === "PreconditionFailedError");
  const replaced = await t.put("big.bin", generated(9 * MiB, { seed: 9 }), { ifMatch: put.etag });
  await assert.rejects(t.put("big.bin", generated(9 * MiB), { ifMatch: put.etag }), (e: Error) => e.name === "PreconditionFailedError");
  assert.equal((await t.head("big.bin"))?.etag, replaced.etag);
  assert.deepEqual(await hashStream(await t.get("big.bin")), await hashStream(generated(9 * MiB, { seed: 9 })));
  await assertNoMultipartUpload(c, `${prefix}/big.bin`);
  await t.delete("big.bin");
  await t.close();
});

test("s3: a body of exactly one part goes up as one PutObject, one byte more as two parts; both read back identical", async () => {
  const c = s3Coordinates("S3");
  const prefix = `edge-${randomBytes(3).toString("hex")}`;
  const t = await createS3Target(s3Options(c, { prefix, partSize: 5 * MiB, queueSize: 1 }));
  for (const [name, size, etag] of [["one", 5 * MiB, /^"?[0-9a-f]{32}"?$/], ["two", 5 * MiB + 1, /-2"?$/], ["empty", 0, /^"?[0-9a-f]{32}"?$/]] as const) {
    const put = await t.put(name, generated(size, { seed: size, chunk: 1000 }));
    assert.equal(put.size, size, name);
    assert.match(put.etag, etag, name);
    assert.deepEqual(await hashStream(await t.get(name)), await hashStream(generated(size, { seed: size })), name);
    await t.delete(name);
  }
  await t.close();
});

test("s3: a part refused on every attempt fails the put with the server's error, stops reading the body, and leaves no upload", async () => {
  const c = s3Coordinates("S3");
  const proxy = await startFaultProxy(c.endpoint, 7, { rate: 0 });
  proxy.rule = (method, url) => (method === "PUT" && /[?&]partNumber=3(&|$)/.test(url) ? "500" : undefined);
  const prefix = `refused-${randomBytes(3).toString("hex")}`;
  const t = await createS3Target(s3Options({ ...c, endpoint: proxy.url }, { prefix, partSize: 5 * MiB, queueSize: 2, maxAttempts: 2 }));
  const size = 200 * MiB;
  let read = 0;
  const body = generated(size);
  body.on("data", (chunk: Buffer) => (read += chunk.length));
  body.pause();
  try {
    await assert.rejects(t.put("big.bin", body), (e: unknown) => e instanceof TargetError && /InternalError \(HTTP 500\)/.test(e.message) && e.message.includes(prefix), "the server's error, naming the object's place");
    assert.ok(body.destroyed, "the body is destroyed");
    const readAtFailure = read;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(read, readAtFailure, "nothing more is read after the failure");
    assert.ok(read < size / 2, `the body was not read to its end (${read} of ${size} bytes read)`);
    assert.ok(proxy.injected.length >= 2, "the part was tried again before the put gave up");
    await assertNoMultipartUpload(c, `${prefix}/big.bin`);
    assert.deepEqual((await t.list("")).objects, []);
  } finally {
    await t.close();
    await proxy.close();
  }
});

test("s3: a part whose bytes change on the way is refused by the server; the put fails and leaves no object and no upload", async () => {
  const c = s3Coordinates("S3");
  const proxy = await startFaultProxy(c.endpoint, 11, { rate: 0 });
  const prefix = `corrupt-${randomBytes(3).toString("hex")}`;
  const t = await createS3Target(s3Options({ ...c, endpoint: proxy.url }, { prefix, partSize: 5 * MiB, queueSize: 2, maxAttempts: 2 }));
  try {
    await t.put("clean.bin", generated(17 * MiB, { seed: 5 }));
    assert.deepEqual(await hashStream(await t.get("clean.bin")), await hashStream(generated(17 * MiB, { seed: 5 })), "through the proxy, untouched parts store the same bytes");
    proxy.rule = (method, url) => (method === "PUT" && /[?&]partNumber=2(&|$)/.test(url) ? "corrupt" : undefined);
    await assert.rejects(t.put("big.bin", generated(17 * MiB, { seed: 6 })), (e: unknown) => e instanceof TargetError && e.message.includes(prefix), "a TargetError naming the object's place");
    assert.ok(proxy.injected.some((f) => f.kind === "corrupt"), "a part was changed on the way");
    await assertNoMultipartUpload(c, `${prefix}/big.bin`);
    assert.deepEqual((await t.list("")).objects.map((o) => o.key), ["clean.bin"]);
  } finally {
    await t.close();
    await proxy.close();
  }
});

test("s3: an endpoint that refuses connections gives a TargetError naming it, after retries", async () => {
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const t = await createS3Target({ bucket: "stackvault-nowhere", endpoint, credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 3 });
  const started = Date.now();
  await assert.rejects(t.head("k"), (err: unknown) => {
    assert.ok(err instanceof TargetError, String(err));
    assert.match(err.message, new RegExp(`Cannot reach the S3 endpoint ${endpoint}.*ECONNREFUSED.*after 3 attempts`));
    assert.match(err.hint ?? "", /endpoint/);
    return true;
  });
  assert.ok(Date.now() - started < 15_000);
  await assert.rejects(t.put("k", "v"), /Cannot reach the S3 endpoint/);
  await t.close();
});

test("s3: bad bucket names, wrong credentials and a missing bucket get clear errors", async () => {
  const c = s3Coordinates("S3");
  for (const bad of ["ab", "Upper", "under_score", "-dash", "a..b", "192.168.1.1", "xn--bucket", `${"a".repeat(64)}`]) {
    await assert.rejects(createS3Target({ bucket: bad }), (e: unknown) => e instanceof ConfigError && /not a valid S3 bucket name/.test(e.message), bad);
  }
  const wrong = await createS3Target(s3Options(c, { credentials: { accessKeyId: c.accessKeyId, secretAccessKey: "wrong-secret" } }));
  await assert.rejects(wrong.list(""), (e: unknown) => e instanceof ConfigError && /rejected the credentials/.test(e.message));
  await wrong.close();
  const missing = await createS3Target(s3Options(c, { bucket: `stackvault-missing-${randomBytes(3).toString("hex")}` }));
  await assert.rejects(missing.put("k", "v"), (e: unknown) => e instanceof TargetError && /does not exist/.test(e.message));
  await missing.close();
});

test("s3: no credentials anywhere in the default chain gives a ConfigError saying where to set them", async () => {
  const c = s3Coordinates("S3");
  const home = await mkdtemp(path.join(tmpdir(), "stackvault-nocreds-"));
  const script = [
    `const { createS3Target } = await import(${JSON.stringify(new URL("../../src/targets/s3.ts", import.meta.url).href)});`,
    `const t = await createS3Target({ bucket: ${JSON.stringify(c.bucket)}, endpoint: ${JSON.stringify(c.endpoint)}, maxAttempts: 1 });`,
    "try { await t.head('k'); console.log('no error'); } catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, hint: e.hint })); }",
  ].join("\n");
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: home, AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: path.join(home, "none"), AWS_SHARED_CREDENTIALS_FILE: path.join(home, "none") };
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env, timeout: 60_000 });
  const err = JSON.parse(out) as { name: string; message: string; hint: string };
  assert.equal(err.name, "ConfigError");
  assert.match(err.message, /No AWS credentials were found/);
  assert.match(err.hint, /profile.*instance role/);
  await rm(home, { recursive: true });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address !== null ? address.port : 0;
}

test("s3: the stack lock is taken, released and taken again on a versioned bucket, whatever a delete leaves behind", async () => {
  const c = s3Coordinates("S3");
  const t = await createS3Target(s3Options(c, { prefix: `lock-${randomBytes(3).toString("hex")}` }));
  for (const operation of ["backup", "restore", "backup"]) {
    const held = await acquireLock(t, "kw", { operation });
    assert.equal((await readLock(t, "kw"))?.record.runId, held.record.runId);
    await held.release();
    assert.equal(await readLock(t, "kw"), undefined);
  }
  // A key deleted on a versioned bucket keeps a delete marker: the lock must then either work or say why, at once.
  await t.put("stacks/gone/lock", "{}");
  await t.delete("stacks/gone/lock");
  try {
    await (await acquireLock(t, "gone", { operation: "backup" })).release();
  } catch (err) {
    assert.ok(err instanceof LockError && /delete marker/.test(err.hint ?? ""), String(err));
  }
  await t.close();
});
