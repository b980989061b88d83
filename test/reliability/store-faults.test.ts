/**
 * Store faults: a store goes away in the middle of a backup, after the run connected to it (step 1 inspects
 * every store) and before its own step: the private Redis is shut down, the in-process Qdrant test server is
 * closed, and Neo4j — the harness's, shared with other test files, so it is never stopped — is cut off by a
 * TCP relay the backup connects through. Each run must fail cleanly: exit 6 (a store failed), the message
 * naming the store, no stack trace, `latest` still naming the backup made before, the lock released, and the
 * worker (on a Redis that stays up) started again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { readLatest } from "../../src/plans/latest.ts";
import { readLock } from "../../src/plans/lock.ts";
import { openTarget } from "../../src/targets/registry.ts";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";
import { serviceEnv } from "../harness/env.ts";
import { FaultTally, runKillable, saw, testSeed, type SeenEvent } from "./killable-run.ts";
import { startPrivateStack, type PrivateStack } from "./private-stack.ts";
import { startTcpCut } from "./tcp-cut.ts";

interface Fault {
  store: string;
  /** The step whose start triggers the fault (the step before the store's own). */
  atStep: number;
  says: RegExp;
  /** Extra store flags for the faulty run, and what stops the store. */
  prepare: (stack: PrivateStack) => Promise<{ args: string[]; env?: Record<string, string>; stop: () => Promise<void>; done: () => Promise<void> }>;
}

const FAULTS: Fault[] = [
  {
    store: "Redis",
    atStep: 4,
    says: /redis/i,
    prepare: async (stack) => ({
      args: [],
      stop: async () => void (await runCommand(stack.redisServer.commands.stop)),
      done: async () => undefined,
    }),
  },
  {
    store: "Qdrant",
    atStep: 3,
    says: /qdrant/i,
    prepare: async (stack) => ({ args: [], stop: () => stack.qdrantServer.close(), done: async () => undefined }),
  },
  {
    store: "Neo4j",
    atStep: 2,
    says: /neo4j/i,
    prepare: async () => {
      const uri = new URL(serviceEnv("NEO4J_URI"));
      const relay = await startTcpCut(uri.hostname, Number(uri.port));
      return {
        args: ["--neo4j-uri", `bolt://127.0.0.1:${relay.port}`, "--neo4j-user", serviceEnv("NEO4J_USER")],
        env: { NEO4J_PASSWORD: serviceEnv("NEO4J_PASSWORD") },
        stop: async () => relay.cut(),
        done: () => relay.close(),
      };
    },
  },
];

for (const fault of FAULTS) {
  test(`${fault.store} stopped mid-backup: a clean failure, latest unmoved, lock released, worker started again`, async () => {
    const { seed } = testSeed(`store faults: ${fault.store}`);
    const stack = await startPrivateStack(seed, { workerRedisUrl: serviceEnv("REDIS_URL").replace(/\/\d+$/, "") + "/13" });
    const tally = new FaultTally(`store faults: ${fault.store}`);
    const url = `file://${path.join(stack.dir, "backups")}`;
    const common = ["--stack", "stores", "--target", url];
    try {
      const first = await runCli(["backup", ...common, ...stack.storeArgs], { cwd: stack.dir });
      assert.equal(first.code, 0, first.stderr);
      const target = await openTarget(url);
      const before = (await readLatest(target, "stores"))?.pointer.backup_id;
      const how = await fault.prepare(stack);
      let stopping: Promise<void> | undefined;
      const trigger = (e: SeenEvent): void => {
        if (e.type === "step" && stopping === undefined && e.index === fault.atStep) stopping = how.stop();
      };
      const storeArgs = how.args.length > 0 ? stack.storeArgs.filter((a) => a !== "--skip-neo4j").concat(how.args) : stack.storeArgs;
      const run = await runKillable(["backup", ...common, ...storeArgs], { cwd: stack.dir, ...(how.env ? { env: how.env } : {}), onEvent: trigger });
      await stopping;
      await how.done();
      const problems: string[] = [];
      if (stopping === undefined) problems.push(`the run never reached step ${fault.atStep}`);
      if (run.code !== EXIT_CODES.engine) problems.push(`exit ${String(run.code)}, expected ${EXIT_CODES.engine}: ${run.stderr.trim().split("\n").slice(0, 2).join(" | ")}`);
      if (!fault.says.test(run.stderr)) problems.push(`the message does not name ${fault.store}: ${run.stderr.trim()}`);
      if (hasStackTrace(run.stderr)) problems.push("a stack trace");
      const after = (await readLatest(target, "stores"))?.pointer.backup_id;
      if (after !== before) problems.push(`latest moved from ${String(before)} to ${String(after)}`);
      if (await readLock(target, "stores")) problems.push("the lock was left behind");
      if (!saw(run, /Restarted: worker/)) problems.push("no restart of the worker was reported");
      if (!(await stack.workerRunning())) problems.push("the worker is not running");
      tally.record(`${fault.store} stopped`, problems, after !== before);
      await target.close();
    } finally {
      tally.print();
      await stack.dispose();
    }
    assert.deepEqual(tally.problems, []);
  });
}

// --- internal ---

async function runCommand(argv: string[]): Promise<void> {
  const { execFile } = await import("node:child_process");
  await new Promise<void>((resolve) => execFile(argv[0] as string, argv.slice(1), () => resolve()));
}
