/**
 * The seed's Test 1 (backup, list, valid metadata) and Test 3 (restore into another stack from `--from-stack …
 * --latest`, content equal) through the local executor (no `--host`), with the local-folder and the S3
 * targets, on all three stores: the harness's Neo4j and Qdrant (test/remote/graph-and-vectors.ts: wiped and
 * loaded by this file) and a Redis server private to this file. The other stack's stores hold other data
 * before the restore, which must replace all of it. The same flows over SSH and SSM are in test/remote/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCli } from "../cli/run-cli.ts";
import type { CliResult } from "../cli/run-cli.ts";
import { deletePrefix, ensureBucket, s3Coordinates } from "../targets/s3-env.ts";
import { seed, snapshot, startRedis } from "../remote/fixture.ts";
import type { PrivateRedis } from "../remote/fixture.ts";
import { assertGraphAndVectors, checkLocalManifest, graphAndVectorEnv, graphAndVectorFingerprint, graphAndVectorFlags, loadGraphAndVectors } from "../remote/graph-and-vectors.ts";

const password = `pw-${randomBytes(12).toString("hex")}`;
let dir: string;
let source: PrivateRedis;
let destination: PrivateRedis;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-from-stack-"));
  [source, destination] = await Promise.all([startRedis(password), startRedis(password)]);
});

after(async () => {
  await Promise.all([source?.stop(), destination?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: { HOME: dir, REDIS_PASSWORD: password, ...graphAndVectorEnv(), ...extraEnv } });
}

/**
 * Backs up `src` from the source stores, checks `list`, loads other data into the stores and restores `src`'s
 * latest into `dst`; returns the backup id. `target` flags and `env` select the target.
 */
async function backupListRestore(src: string, dst: string, targetFlags: string[], env: Record<string, string>, seedNumber: number): Promise<string> {
  await seed(source, src);
  await loadGraphAndVectors(seedNumber);
  const backedUp = await graphAndVectorFingerprint();
  const redisFlags = (redis: PrivateRedis) => ["--redis-url", redis.url, "--services-controller", "none"];

  const backup = await cli(["backup", "--stack", src, ...targetFlags, ...graphAndVectorFlags("backup"), ...redisFlags(source)], env);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  for (let n = 1; n <= 7; n++) assert.match(backup.stdout, new RegExp(`\\[${n}/7\\]`));
  assert.doesNotMatch(backup.stdout, /stackvault agent/, "the run stayed in this process");
  const backupId = /Backup (\S+) completed/.exec(backup.stdout)?.[1] ?? "";

  const list = await cli(["list", "--json", "--stack", src, ...targetFlags], env);
  assert.equal(list.code, 0, list.stderr);
  const backups = (JSON.parse(list.stdout) as { backups: { backupId: string; isLatest: boolean; status: string }[] }).backups;
  assert.deepEqual(backups.map((b) => [b.backupId, b.isLatest, b.status]), [[backupId, true, "completed"]]);

  await loadGraphAndVectors(seedNumber + 1, 0.005);
  const wipe = destination.client(0);
  await wipe.flushall();
  await wipe.set("marker", "replaced by the restore");
  wipe.disconnect();
  const restore = await cli(["restore", "--latest", "--yes", "--stack", dst, "--from-stack", src, ...targetFlags, ...graphAndVectorFlags("restore"), ...redisFlags(destination)], env);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  for (let n = 1; n <= 9; n++) assert.match(restore.stdout, new RegExp(`\\[${n}/9\\]`));
  assert.match(restore.stdout, new RegExp(`Restored ${src}/${backupId} into '${dst}'`));
  assert.deepEqual(await snapshot(destination), await snapshot(source), "every Redis key with its type, value and expiry");
  await assertGraphAndVectors(backedUp, "the graph and the collections are the ones backed up");
  return backupId;
}

test("local executor, local-folder target: backup, list, valid metadata; restore into another stack with --from-stack … --latest, same content", async () => {
  const target = path.join(dir, "backups");
  const backupId = await backupListRestore("local-src", "local-dst", ["--target", `file://${target}`], {}, 51);
  const manifest = await checkLocalManifest(target, "local-src", backupId);
  assert.equal(manifest.instance_id, null, "direct mode records no instance");
});

test("local executor, S3 target: backup, list; restore into another stack with --from-stack … --latest, same content", async () => {
  const c = s3Coordinates("S3");
  await ensureBucket(c);
  const prefix = `from-stack-${randomBytes(3).toString("hex")}`;
  const aws = { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" };
  try {
    await backupListRestore("s3-src", "s3-dst", ["--target", `s3://${c.bucket}/${prefix}`, "--s3-endpoint", c.endpoint, "--region", "us-east-1"], aws, 61);
    const verify = await cli(["verify", "--stack", "s3-src", "--latest", "--target", `s3://${c.bucket}/${prefix}`, "--s3-endpoint", c.endpoint, "--region", "us-east-1"], aws);
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
  } finally {
    await deletePrefix(c, `${prefix}/`);
  }
});
