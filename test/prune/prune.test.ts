/**
 * `stackvault prune` end to end, as a child process, against the real S3 server (versitygw) and a local folder:
 * retention-policy.json as the default policy, explicit flags winning, dry run, failed and manifest-less backups,
 * the shrink guard, and the stack lock.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { acquireLock, readLock } from "../../src/plans/lock.ts";
import { listBackups } from "../../src/plans/catalog.ts";
import type { PruneResult } from "../../src/plans/prune.ts";
import { backupIdFromKey, newBackupId, RETENTION_POLICY_KEY, stackPrefix } from "../../src/targets/layout.ts";
import { openTarget } from "../../src/targets/registry.ts";
import { listAll } from "../../src/targets/target.ts";
import type { Target } from "../../src/targets/target.ts";
import { runCli } from "../cli/run-cli.ts";
import { deletePrefix, ensureBucket, s3Coordinates, s3Options } from "../targets/s3-env.ts";
import { dailyHistory, pointLatest, writeHistory } from "./history.ts";

const STACK = "Prune-Test";
const MIN = 60_000;
const DAY = 86_400_000;

interface Where {
  target: Target;
  args: string[];
  env: Record<string, string>;
  cleanup: () => Promise<void>;
}

async function localWhere(): Promise<Where> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-prune-"));
  const url = pathToFileURL(dir).href.replace(/^file:\/\//, "file://");
  return { target: await openTarget(url), args: ["--target", url], env: {}, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

async function s3Where(server: "S3" | "S3B"): Promise<Where> {
  const c = s3Coordinates(server);
  await ensureBucket(c);
  const prefix = `prune-${randomBytes(3).toString("hex")}`;
  return {
    target: await openTarget({ kind: "s3", ...s3Options(c, { prefix, region: "us-east-1" }) }),
    args: ["--target", `s3://${c.bucket}/${prefix}`, "--s3-endpoint", c.endpoint, "--region", "us-east-1"],
    env: { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" },
    cleanup: () => deletePrefix(c, `${prefix}/`),
  };
}

/** The result document: the last JSON line (events come before it with --json). */
function resultOf(stdout: string): PruneResult {
  return JSON.parse(stdout.trim().split("\n").pop() ?? "") as PruneResult;
}

async function presentIds(target: Target): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const info of listAll(target, stackPrefix(STACK))) {
    const id = backupIdFromKey(STACK, info.key);
    if (id) ids.add(id);
  }
  return ids;
}

/**
 * `full: false` stops after the first locked run: versitygw (with versioning on) refuses "create only if absent"
 * on a key whose current version is a delete marker, so a stack lock cannot be taken again there once released.
 */
async function scenario(where: Where, full = true): Promise<void> {
  const { target } = where;
  const prune = (...extra: string[]) => runCli(["prune", "--json", "--stack", STACK, ...where.args, ...extra], { cwd: os.tmpdir(), env: where.env });
  const now = Date.now();
  const daily = dailyHistory(20, 4096);
  const ids = await writeHistory(target, STACK, daily);
  const [failed, oldIncomplete, freshIncomplete] = await writeHistory(target, STACK, [
    { time: new Date(daily[15]!.time.getTime() + 60 * MIN), status: "failed", bytes: 100 },
    { time: new Date(daily[17]!.time.getTime() + 120 * MIN), status: "incomplete", bytes: 100 },
    { time: new Date(now - MIN), status: "incomplete", bytes: 100 },
  ]);
  await pointLatest(target, STACK, ids[19]!);
  await target.put(RETENTION_POLICY_KEY, JSON.stringify({ keep_last: 2, keep_daily: 5, keep_weekly: 0, keep_monthly: 0 }));
  assert.equal((await presentIds(target)).size, 23);

  // Dry run: the list, nothing deleted, no lock left behind.
  const dry = await prune("--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  const planned = resultOf(dry.stdout);
  assert.equal(planned.dryRun, true);
  const expectedGone = [...ids.slice(0, 15), failed!, oldIncomplete!].sort();
  assert.deepEqual(planned.delete.map((d) => d.backupId).sort(), expectedGone);
  assert.deepEqual(planned.keep.map((d) => d.backupId).sort(), [...ids.slice(15), freshIncomplete!].sort());
  assert.equal((await presentIds(target)).size, 23, "a dry run deletes nothing");
  assert.equal(await readLock(target, STACK), undefined);

  // The real run: retention-policy.json's 2/5/0/0 applies; failed and expired manifest-less backups go.
  const real = await prune();
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /"title":"Locking stack/, "the lock is taken (step event)");
  assert.deepEqual([...(await presentIds(target))].sort(), [...ids.slice(15), freshIncomplete!].sort());
  assert.equal(await readLock(target, STACK), undefined, "the lock is released");
  const catalog = await listBackups(target, STACK);
  assert.equal(catalog.find((e) => e.isLatest)?.backupId, ids[19]);
  if (!full) return;

  // An explicit flag wins over the file.
  const flagged = await prune("--keep-daily", "3");
  assert.equal(flagged.code, 0, flagged.stderr);
  assert.deepEqual([...(await presentIds(target))].sort(), [...ids.slice(17), freshIncomplete!].sort());

  // The newest backup shrank: refused, nothing deleted; --allow-shrunk goes ahead.
  const [tiny] = await writeHistory(target, STACK, [{ time: new Date(now - 10 * MIN), status: "completed", bytes: 10 }]);
  const fat = await writeHistory(target, STACK, [{ time: new Date(now - DAY / 2 - 10 * MIN), status: "completed", bytes: 200_000 }]);
  await pointLatest(target, STACK, tiny!);
  const before = await presentIds(target);
  const refused = await prune("--keep-daily", "1", "--keep-last", "1");
  assert.equal(refused.code, EXIT_CODES.validation, refused.stderr);
  assert.match(refused.stderr, /below the 50% threshold; nothing was deleted/);
  assert.match(refused.stderr, /--allow-shrunk/);
  assert.deepEqual(await presentIds(target), before);
  assert.equal(await readLock(target, STACK), undefined, "the lock is released after a refusal");
  const forced = await prune("--keep-daily", "1", "--keep-last", "1", "--allow-shrunk");
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual([...(await presentIds(target))].sort(), [tiny!, freshIncomplete!].sort(), `${fat[0]} and older go; latest and the fresh incomplete stay`);

  // Another run holds the stack: prune fails fast and deletes nothing.
  const held = await acquireLock(target, STACK, { operation: "backup", leaseMs: 60_000 });
  try {
    const locked = await prune("--keep-last", "1", "--keep-daily", "0");
    assert.equal(locked.code, EXIT_CODES.lock, locked.stderr);
    assert.match(locked.stderr, /locked by a backup run/);
    const dryLocked = await prune("--dry-run", "--keep-last", "1", "--keep-daily", "0");
    assert.equal(dryLocked.code, 0, dryLocked.stderr);
    assert.ok(!resultOf(dryLocked.stdout).delete.some((d) => d.status === "incomplete"), "a dry run leaves a possibly running backup alone");
  } finally {
    await held.release();
  }
  assert.equal(newBackupId(new Date(now - MIN)), freshIncomplete);
}

const LIMIT = { timeout: 180_000 };

test("prune on a local folder: policy file, flags, dry run, failed and manifest-less backups, shrink guard, lock", LIMIT, async () => {
  const where = await localWhere();
  try {
    await scenario(where);
  } finally {
    await where.target.close();
    await where.cleanup();
  }
});

test("prune on the S3 server (versitygw): policy file, dry run, one locked run", LIMIT, async () => {
  const where = await s3Where("S3");
  try {
    await scenario(where, false);
  } finally {
    await where.target.close();
    await where.cleanup();
  }
});

test("prune on the second S3 server (SeaweedFS): the whole scenario", LIMIT, async () => {
  const where = await s3Where("S3B");
  try {
    await scenario(where);
  } finally {
    await where.target.close();
    await where.cleanup();
  }
});

test("prune refuses an invalid retention-policy.json with the key at fault", async () => {
  const where = await localWhere();
  try {
    await where.target.put(RETENTION_POLICY_KEY, JSON.stringify({ keep_dayly: 3 }));
    const r = await runCli(["prune", "--stack", STACK, ...where.args], { cwd: os.tmpdir(), env: where.env });
    assert.equal(r.code, EXIT_CODES.config, r.stderr);
    assert.match(r.stderr, /retention-policy\.json is not a valid retention policy/);
    assert.match(r.stderr, /keep_dayly/);
  } finally {
    await where.target.close();
    await where.cleanup();
  }
});
