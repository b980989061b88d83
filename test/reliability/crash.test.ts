/**
 * Crash consistency: `kill -9` of the CLI at seeded random points of backup and of restore (spread over the
 * duration of a reference run, anchored to the JSON progress events; a complete run faster than the reference
 * becomes the reference, so that kill points keep landing inside runs), against a private stack (Redis, Qdrant
 * test server, a real RQ worker under the `command` service controller) and a local-folder target.
 *
 * After every kill: `latest` names a complete backup that verifies, and the backups it may name are only those a
 * run finished. The next run waits out the lease (a 2 s lease here), reports the crashed run, takes its lock
 * over and starts the worker it had stopped. A restore killed part-way is rerun to completion and the stores
 * then hold exactly the source content.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { assertVerified, readManifest, verifyBackup } from "../../src/manifest/index.ts";
import { readLatest } from "../../src/plans/latest.ts";
import { readLock } from "../../src/plans/lock.ts";
import { backupPrefix, metadataKey } from "../../src/targets/layout.ts";
import { openTarget } from "../../src/targets/registry.ts";
import type { Target } from "../../src/targets/target.ts";
import { runCli } from "../cli/run-cli.ts";
import { FaultTally, killPointWithin, runKillable, saw, testSeed, type RunOutcome } from "./killable-run.ts";
import { differences, startPrivateStack } from "./private-stack.ts";

/** Kill points per plan; `STACKVAULT_TEST_CRASH_POINTS` raises it for a longer hunt. */
const POINTS = Number(process.env.STACKVAULT_TEST_CRASH_POINTS ?? 20);
/**
 * Runs allowed per plan. A kill point past the end of a run kills nothing, and every fifth restore runs to the
 * end, so the runs needed for `POINTS` kills vary by machine.
 */
const MAX_RUNS = POINTS * 6;
const STACK = "crash";
const LEASE = ["--lock-lease", "2"];

test(`kill -9 at ${POINTS} points of backup and ${POINTS} of restore: latest stays verified, the next run recovers, a rerun restore completes`, async () => {
  const { seed, rng } = testSeed("crash consistency");
  const stack = await startPrivateStack(seed);
  const url = `file://${path.join(stack.dir, "backups")}`;
  const target = await openTarget(url);
  const common = ["--stack", STACK, "--target", url, ...LEASE, ...stack.storeArgs];
  const tally = new FaultTally("crash consistency");
  let backupRuns = 0;
  let restoreRuns = 0;
  try {
    const source = await stack.fingerprint();
    const published = new Set<string>();

    // Backups.
    let reference = await runKillable(["backup", ...common], { cwd: stack.dir });
    assert.equal(reference.code, 0, reference.stderr);
    published.add(await latestId(target));
    for (; tally.tried < POINTS && backupRuns < MAX_RUNS; backupRuns++) {
      const stale = await waitOutLease(target);
      const kill = killPointWithin(reference, rng);
      const run = await runKillable(["backup", ...common], { cwd: stack.dir, kill });
      const problems = recoveryProblems(run, stale);
      if (!run.killed) {
        if (run.code !== 0) problems.push(`exit ${String(run.code)}: ${run.stderr.trim()}`);
        else published.add(await latestId(target));
        if (run.code === 0 && run.durationMs < reference.durationMs) reference = run;
        if (problems.length > 0) tally.record(`backup that was not killed`, problems);
        continue;
      }
      const id = await latestId(target);
      if (saw(run, /'latest' now names/)) published.add(id);
      if (!published.has(id)) problems.push(`latest names ${id}, which no run published`);
      const verified = await verifies(target, id);
      if (verified !== "") problems.push(verified);
      tally.record(`backup killed at event ${kill.afterEvent} + ${kill.delayMs} ms`, problems, verified !== "");
    }
    const stale = await waitOutLease(target);
    const last = await runKillable(["backup", ...common], { cwd: stack.dir });
    assert.equal(last.code, 0, last.stderr);
    assert.deepEqual(recoveryProblems(last, stale), []);
    assert.equal(await readLock(target, STACK), undefined, "the lock is released");
    assert.ok(await stack.workerRunning(), `the worker runs after the last backup (its log: ${await stack.workerLogTail()}; the run: ${eventTail(last)})`);
    const verify = await runCli(["verify", "--latest", "--stack", STACK, "--target", url], { cwd: stack.dir });
    assert.equal(verify.code, 0, verify.stderr);

    // Restores: each killed restore is followed by more (killed or not) until one completes.
    const restoreArgs = ["restore", "--latest", "--yes", ...common];
    const latestBefore = await latestId(target);
    await stack.scramble(seed + 1);
    let restoreReference = await runKillable(restoreArgs, { cwd: stack.dir });
    assert.equal(restoreReference.code, 0, restoreReference.stderr);
    assert.deepEqual(differences(source, await stack.fingerprint()), []);
    let killedSinceComplete = 0;
    for (; tally.tried < 2 * POINTS && restoreRuns < MAX_RUNS; restoreRuns++) {
      if (killedSinceComplete === 0) await stack.scramble(seed + 2 + restoreRuns);
      const stale = await waitOutLease(target);
      const kill = killPointWithin(restoreReference, rng);
      const run = await runKillable(restoreArgs, { cwd: stack.dir, ...(killedSinceComplete < 4 ? { kill } : {}) });
      const problems = recoveryProblems(run, stale);
      if ((await latestId(target)) !== latestBefore) problems.push("a restore moved latest");
      if (run.killed) {
        killedSinceComplete++;
        tally.record(`restore killed at event ${kill.afterEvent} + ${kill.delayMs} ms`, problems);
        continue;
      }
      const lost = run.code === 0 ? differences(source, await stack.fingerprint()) : [];
      if (run.code !== 0) problems.push(`the rerun restore failed with exit ${String(run.code)}: ${run.stderr.trim()}`);
      if (lost.length > 0) problems.push(`content differs from the source: ${lost.slice(0, 3).join("; ")}`);
      if (!(await stack.workerRunning())) problems.push(`the worker is not running after the restore (its log: ${await stack.workerLogTail()})`);
      // A completed rerun settles the restores killed before it: their problems are counted against them.
      if (problems.length > 0) tally.record(`rerun after ${killedSinceComplete} killed restores`, problems, lost.length > 0);
      // A kill point past the end of a whole restore of scrambled stores: that run is the new reference.
      if (killedSinceComplete === 0 && run.code === 0 && run.durationMs < restoreReference.durationMs) restoreReference = run;
      killedSinceComplete = 0;
    }
    const staleAtEnd = await waitOutLease(target);
    const final = await runKillable(restoreArgs, { cwd: stack.dir });
    assert.equal(final.code, 0, final.stderr);
    assert.deepEqual(recoveryProblems(final, staleAtEnd), []);
    assert.deepEqual(differences(source, await stack.fingerprint()), [], "the last restore gives back the source content");
    assert.ok(await stack.workerRunning(), `the worker runs after the last restore (its log: ${await stack.workerLogTail()}; the run: ${eventTail(final)})`);
    assert.equal(await stack.appStarts(), 0, "no recovery started the app, which was never running");
    assert.equal(await readLock(target, STACK), undefined);
  } finally {
    console.log(`crash consistency: ${String(backupRuns)} backup runs and ${String(restoreRuns)} restore runs (at most ${String(MAX_RUNS)} each)`);
    tally.print();
    await target.close?.();
    await stack.dispose();
  }
  assert.ok(tally.tried >= 2 * POINTS, `only ${tally.tried} kills happened`);
  assert.deepEqual(tally.problems, []);
  assert.equal(tally.dataLost, 0);
});

test("a restore killed right after stopping the worker: the next run starts the worker and never the app that was not running", async () => {
  const { seed } = testSeed("crash after the stop");
  const stack = await startPrivateStack(seed, { redisScale: 0.1, points: 100 });
  const url = `file://${path.join(stack.dir, "backups")}`;
  const target = await openTarget(url);
  const common = ["--stack", STACK, "--target", url, ...LEASE, ...stack.storeArgs];
  try {
    const source = await stack.fingerprint();
    const backup = await runKillable(["backup", ...common], { cwd: stack.dir });
    assert.equal(backup.code, 0, backup.stderr);
    await stack.scramble(seed + 1);
    const killed = await runKillable(["restore", "--latest", "--yes", ...common], { cwd: stack.dir, killWhen: /^Stopped: / });
    assert.ok(killed.killed, `the restore ended by itself (exit ${String(killed.code)}): ${killed.stderr}`);
    assert.ok(saw(killed, /^Not running, left alone: app$/), "the app was reported as not running");
    assert.equal(await stack.workerRunning(), false, "the worker was stopped when the run died");
    const stale = await waitOutLease(target);
    assert.deepEqual(stale?.stoppedServices, ["worker"], "the lock names only the service the run stopped");

    const next = await runKillable(["restore", "--latest", "--yes", ...common], { cwd: stack.dir });
    assert.equal(next.code, 0, next.stderr);
    assert.ok(saw(next, /^Restarted what that run had stopped: worker$/), next.events.map((e) => e.message ?? e.title).join(" | "));
    assert.equal(await stack.appStarts(), 0, "no run started the app");
    assert.ok(await stack.workerRunning(), "the worker runs again");
    assert.deepEqual(differences(source, await stack.fingerprint()), [], "the rerun restore gives back the source content");
    assert.equal(await readLock(target, STACK), undefined);
  } finally {
    await target.close?.();
    await stack.dispose();
  }
});

// --- internal ---

async function latestId(target: Target): Promise<string> {
  const latest = await readLatest(target, STACK);
  assert.ok(latest, "latest is present");
  return latest.pointer.backup_id;
}

/** The last messages of a run, for a failure message. */
function eventTail(run: RunOutcome): string {
  return run.events.slice(-40).map((e) => e.message ?? e.title ?? e.type).join(" | ");
}

/** Empty when the backup verifies, else what is wrong. */
async function verifies(target: Target, id: string): Promise<string> {
  try {
    const manifest = await readManifest(target, metadataKey(STACK, id));
    assertVerified(await verifyBackup(target, backupPrefix(STACK, id), manifest));
    return "";
  } catch (err) {
    return `latest ${id} does not verify: ${(err as Error).message}`;
  }
}

/** The lock a crashed run left (if any), once its lease has expired. */
async function waitOutLease(target: Target): Promise<{ stoppedServices: string[] } | undefined> {
  const lock = await readLock(target, STACK);
  if (!lock) return undefined;
  const wait = Date.parse(lock.record.expiresAt) - Date.now() + 100;
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return (await readLock(target, STACK))?.record;
}

/** What a run got wrong about the stale lock it found: not reported, or its stopped worker not restarted. */
function recoveryProblems(run: RunOutcome, stale: { stoppedServices: string[] } | undefined): string[] {
  const problems: string[] = [];
  const pastPrepare = run.events.some((e) => e.type === "step" && (e.title ?? "").startsWith("Stopping"));
  if (run.code === 8) problems.push(`refused by the stale lock: ${run.stderr.trim()}`);
  if (!stale || !pastPrepare) return problems;
  if (!saw(run, /Took over the expired lock/)) problems.push("the stale lock was not reported");
  if (stale.stoppedServices.length > 0 && !saw(run, /^(Restarted what that run had stopped|Already running, left alone): (.*, )?worker\b/)) problems.push("the worker the crashed run stopped was neither started nor found running");
  return problems;
}
