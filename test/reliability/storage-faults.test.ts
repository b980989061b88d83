/**
 * Storage faults: backups of a stack with all three stores (the harness's Neo4j, loaded with a seeded graph)
 * through a fault-injecting proxy in front of the real S3 server (versitygw), with seeded 500s, 503 SlowDown,
 * connection resets, stalls and truncated responses, on a Redis dump large enough for a multipart upload.
 * Every run either succeeds with correct data (the backup verifies and `latest` names it) or fails cleanly (a
 * documented exit code, no stack trace, `latest` unmoved); never a multipart upload left behind, and the
 * worker always runs again. The last published backup is then restored and compared with the source content,
 * the graph included.
 *
 * The bucket is one of the test's own (`…-faults`), so the injected faults and the upload checks never meet
 * other tests' objects.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AbortMultipartUploadCommand, CreateBucketCommand, ListMultipartUploadsCommand } from "@aws-sdk/client-s3";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { assertVerified, readManifest, verifyBackup } from "../../src/manifest/index.ts";
import { readLatest } from "../../src/plans/latest.ts";
import { readLock } from "../../src/plans/lock.ts";
import { backupPrefix, metadataKey } from "../../src/targets/layout.ts";
import { openTarget } from "../../src/targets/registry.ts";
import type { Target } from "../../src/targets/target.ts";
import { hasStackTrace } from "../cli/run-cli.ts";
import { deletePrefix, rawClient, s3Coordinates, s3Options } from "../targets/s3-env.ts";
import { startFaultProxy } from "./fault-proxy.ts";
import { FaultTally, runKillable, saw, testSeed } from "./killable-run.ts";
import { differences, startPrivateStack } from "./private-stack.ts";

const RUNS = Number(process.env.STACKVAULT_TEST_FAULT_RUNS ?? 8);
const STACK = "faults";

test(`${RUNS} backups through an S3 proxy injecting 5xx, SlowDown, resets, stalls and truncation: correct data or a clean failure`, async () => {
  const { seed, rng } = testSeed("storage faults");
  const c = { ...s3Coordinates("S3"), bucket: `${s3Coordinates("S3").bucket}-faults` };
  const client = rawClient(c);
  await client.send(new CreateBucketCommand({ Bucket: c.bucket })).catch((err: { name?: string }) => {
    if (err.name !== "BucketAlreadyOwnedByYou" && err.name !== "BucketAlreadyExists") throw err;
  });
  const prefix = `faults-${seed}`;
  await multipartUploads(client, c.bucket, prefix); // what an earlier run of this seed left
  const stack = await startPrivateStack(seed, { bigValueBytes: 12 * 1024 * 1024, neo4j: true });
  const proxy = await startFaultProxy(c.endpoint, seed, { rate: 0, stallMs: 1500 });
  const direct: Target = await openTarget({ kind: "s3", ...s3Options(c, { prefix, region: "us-east-1" }) });
  const common = ["--stack", STACK, "--target", `s3://${c.bucket}/${prefix}`, "--s3-endpoint", proxy.url, "--region", "us-east-1", "--s3-part-size-mib", "5", "--lock-lease", "3", ...stack.storeArgs];
  const env = { ...stack.env, AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" };
  const tally = new FaultTally("storage faults");
  const outcomes: string[] = [];
  try {
    const source = await stack.fingerprint();
    assert.ok((source.neo4j?.counts.nodes ?? 0) > 100, "the graph is part of the stack");
    const clean = await runKillable(["backup", ...common], { cwd: stack.dir, env });
    assert.equal(clean.code, 0, clean.stderr);

    for (let i = 0; i < RUNS; i++) {
      await waitOutLease(direct);
      const before = (await readLatest(direct, STACK))?.pointer.backup_id;
      const first = proxy.injected.length;
      proxy.rate = 0.08 + rng.float() * 0.2;
      const run = await runKillable(["backup", ...common], { cwd: stack.dir, env });
      proxy.rate = 0;
      const faults = proxy.injected.slice(first);
      const after = (await readLatest(direct, STACK))?.pointer.backup_id;
      const problems: string[] = [];
      let lost = false;
      if (run.code === 0) {
        if (after === undefined || after === before || !saw(run, new RegExp(`'latest' now names ${after}`))) problems.push(`succeeded but latest is ${String(after)} (was ${String(before)})`);
        else {
          const bad = await verifies(direct, after);
          if (bad !== "") {
            problems.push(bad);
            lost = true;
          }
        }
      } else {
        if (after !== before) {
          problems.push(`failed (exit ${String(run.code)}) yet latest moved from ${String(before)} to ${String(after)}`);
          lost = true;
        }
        if (run.code === EXIT_CODES.internal || run.code === null) problems.push(`exit ${String(run.code)}: ${run.stderr.trim().split("\n").slice(0, 3).join(" | ")}`);
        if (hasStackTrace(run.stderr)) problems.push("a stack trace");
      }
      const dangling = await multipartUploads(client, c.bucket, prefix);
      if (dangling.length > 0) problems.push(`multipart uploads left behind: ${dangling.join(", ")}`);
      if (!(await stack.workerRunning())) problems.push("the worker is not running");
      outcomes.push(`run ${i + 1}: ${faults.length} faults (${faults.map((f) => f.kind).join(", ")}) → ${run.code === 0 ? "succeeded" : `exit ${String(run.code)}: ${(run.stderr.split("\n")[0] ?? "").slice(0, 160)}`}`);
      for (const f of faults) tally.record(`${f.kind} on ${f.request} (run ${i + 1})`, problems, lost);
      if (faults.length === 0 && problems.length > 0) tally.record(`run ${i + 1} without a fault`, problems, lost);
    }
    console.log(outcomes.join("\n"));

    // The newest published backup restores to the source content.
    await waitOutLease(direct);
    await stack.scramble(seed + 1);
    const restore = await runKillable(["restore", "--latest", "--yes", ...common], { cwd: stack.dir, env });
    assert.equal(restore.code, 0, restore.stderr);
    assert.deepEqual(differences(source, await stack.fingerprint()), [], "the published backup holds the source content");
  } finally {
    tally.print();
    await proxy.close();
    await direct.close();
    await deletePrefix(c, `${prefix}/`).catch(() => undefined);
    await multipartUploads(client, c.bucket, prefix).catch(() => undefined);
    client.destroy();
    await stack.dispose();
  }
  assert.ok(tally.tried > 0, "faults were injected");
  assert.deepEqual(tally.problems, []);
  assert.equal(tally.dataLost, 0);
});

// --- internal ---

async function verifies(target: Target, id: string): Promise<string> {
  try {
    assertVerified(await verifyBackup(target, backupPrefix(STACK, id), await readManifest(target, metadataKey(STACK, id))));
    return "";
  } catch (err) {
    return `backup ${id} does not verify: ${(err as Error).message}`;
  }
}

async function waitOutLease(target: Target): Promise<void> {
  const lock = await readLock(target, STACK);
  if (lock) await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(lock.record.expiresAt) - Date.now() + 100)));
}

/** The multipart uploads left under `prefix`; aborted once counted, so each run is judged on its own. */
async function multipartUploads(client: ReturnType<typeof rawClient>, bucket: string, prefix: string): Promise<string[]> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/` }));
  for (const u of out.Uploads ?? []) await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  return (out.Uploads ?? []).map((u) => u.Key ?? "?");
}
