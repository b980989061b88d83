/**
 * Concurrency, through the CLI on private stacks and local-folder targets: two backups of one stack started at
 * once (one runs, the other fails fast with the lock's exit code naming the run that holds it, and stops
 * nothing); a backup started during a restore (refused the same way; the restore completes with the source
 * content); two stacks backed up in parallel (both succeed and verify).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { readLatest } from "../../src/plans/latest.ts";
import { openTarget } from "../../src/targets/registry.ts";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";
import { FaultTally, runKillable, saw, testSeed } from "./killable-run.ts";
import { differences, startPrivateStack } from "./private-stack.ts";

test("two backups of one stack at once: one runs, the other fails fast naming the owner", async () => {
  const { seed } = testSeed("concurrency: two backups");
  const stack = await startPrivateStack(seed);
  const tally = new FaultTally("concurrency: two backups of one stack");
  try {
    const url = `file://${path.join(stack.dir, "backups")}`;
    const args = ["backup", "--stack", "twice", "--target", url, ...stack.storeArgs];
    const [a, b] = await Promise.all([runKillable(args, { cwd: stack.dir }), runKillable(args, { cwd: stack.dir })]);
    const codes = [a.code, b.code].sort();
    const loser = a.code === EXIT_CODES.lock ? a : b;
    const winner = loser === a ? b : a;
    const problems: string[] = [];
    if (codes[0] !== 0 || codes[1] !== EXIT_CODES.lock) problems.push(`exit codes ${codes.join(", ")}, expected 0 and ${EXIT_CODES.lock}`);
    if (!/locked by a backup run of .+@.+ \(pid \d+/.test(loser.stderr)) problems.push(`the refusal does not name the owner: ${loser.stderr.trim()}`);
    if (saw(loser, /Stopped/)) problems.push("the refused run stopped a service");
    if (hasStackTrace(loser.stderr)) problems.push("a stack trace");
    const latest = await readLatest(await openTarget(url), "twice");
    if (!latest || !saw(winner, new RegExp(`'latest' now names ${latest.pointer.backup_id}`))) problems.push("latest does not name the winner's backup");
    if (!(await stack.workerRunning())) problems.push("the worker is not running");
    tally.record("two backups at once", problems);
  } finally {
    tally.print();
    await stack.dispose();
  }
  assert.deepEqual(tally.problems, []);
});

test("a backup during a restore is refused naming the restore; the restore completes", async () => {
  const { seed } = testSeed("concurrency: backup during restore");
  const stack = await startPrivateStack(seed);
  const tally = new FaultTally("concurrency: backup during a restore");
  try {
    const url = `file://${path.join(stack.dir, "backups")}`;
    const common = ["--stack", "busy", "--target", url, ...stack.storeArgs];
    const source = await stack.fingerprint();
    const first = await runCli(["backup", ...common], { cwd: stack.dir });
    assert.equal(first.code, 0, first.stderr);
    await stack.scramble(seed + 1);
    // The restore is held at its "stopping the worker" step while the backup tries its luck.
    await stack.gate.close();
    let atStop: () => void = () => undefined;
    const stopping = new Promise<void>((resolve) => (atStop = resolve));
    const restore = runKillable(["restore", "--latest", "--yes", ...common], { cwd: stack.dir, onEvent: (e) => e.type === "step" && e.index === 2 && atStop() });
    await Promise.race([stopping, restore]);
    const backup = await runKillable(["backup", ...common], { cwd: stack.dir });
    await stack.gate.open();
    const restored = await restore;
    const problems: string[] = [];
    if (backup.code !== EXIT_CODES.lock) problems.push(`the backup exited ${String(backup.code)}, expected ${EXIT_CODES.lock}: ${backup.stderr.trim()}`);
    if (!/locked by a restore run/.test(backup.stderr)) problems.push(`the refusal does not name the restore: ${backup.stderr.trim()}`);
    if (restored.code !== 0) problems.push(`the restore failed: ${restored.stderr.trim()}`);
    const lost = differences(source, await stack.fingerprint());
    if (lost.length > 0) problems.push(`content differs: ${lost.slice(0, 3).join("; ")}`);
    if (!(await stack.workerRunning())) problems.push("the worker is not running");
    tally.record("backup during restore", problems, lost.length > 0);
  } finally {
    tally.print();
    await stack.dispose();
  }
  assert.deepEqual(tally.problems, []);
});

test("two stacks backed up in parallel both succeed and verify", async () => {
  const { seed } = testSeed("concurrency: two stacks");
  const stacks = await Promise.all([startPrivateStack(seed), startPrivateStack(seed + 1)]);
  const tally = new FaultTally("concurrency: two stacks in parallel");
  try {
    const url = `file://${path.join(stacks[0].dir, "shared-backups")}`;
    const runs = await Promise.all(stacks.map((s, i) => runKillable(["backup", "--stack", `parallel-${i}`, "--target", url, ...s.storeArgs], { cwd: s.dir })));
    const problems: string[] = [];
    for (const [i, run] of runs.entries()) {
      if (run.code !== 0) problems.push(`stack ${i}: exit ${String(run.code)}: ${run.stderr.trim()}`);
      const verify = await runCli(["verify", "--latest", "--stack", `parallel-${i}`, "--target", url], { cwd: stacks[i]!.dir });
      if (verify.code !== 0) problems.push(`stack ${i}: verify exit ${String(verify.code)}: ${verify.stderr.trim()}`);
      if (!(await stacks[i]!.workerRunning())) problems.push(`stack ${i}: the worker is not running`);
    }
    tally.record("two stacks at once", problems);
  } finally {
    tally.print();
    await Promise.all(stacks.map((s) => s.dispose()));
  }
  assert.deepEqual(tally.problems, []);
});
