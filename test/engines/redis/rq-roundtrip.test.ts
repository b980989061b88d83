/**
 * RQ across a backup and a live restore, with the real RQ worker on the real Redis (database 7): jobs enqueued
 * before the backup, and a job that was running when its worker died, all run after the restore.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { createRedisEngine } from "../../../src/engines/redis/index.ts";
import { localExecutor } from "../../../src/exec/local.ts";
import { serviceEnv } from "../../harness/env.ts";
import { waitFor } from "../../harness/process.ts";
import { client, memoryContexts, redisUrl } from "./fixture.ts";

const DB = 7;
const QUEUE = "roundtrip";

test("queued jobs and the job of a worker that died run after backup, wipe and live restore, on a real RQ worker", async () => {
  const python = serviceEnv("RQ_PYTHON");
  const jobs = serviceEnv("RQ_JOBS_MODULE");
  const url = `${redisUrl().replace(/\/\d*$/, "")}/${DB}`;
  const executor = localExecutor();
  const rq = async (...args: string[]): Promise<{ id: string; status: string; result: unknown }> =>
    JSON.parse((await executor.run(python, [serviceEnv("RQ_CLIENT"), "--url", url, "--queue", QUEUE, ...args])).stdout) as { id: string; status: string; result: unknown };
  const worker = (burst: boolean): ChildProcess =>
    spawn(python, ["-m", "rq.cli", "worker", "--url", url, "--path", jobs, ...(burst ? ["--burst"] : []), QUEUE], { cwd: jobs, detached: true, stdio: "ignore" });
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-rq-roundtrip-"));
  const redis = client(DB);
  let running: ChildProcess | undefined;
  try {
    await redis.flushdb();
    // A job that is running when its worker dies: the worker (and the work horse it forked) killed outright.
    const release = path.join(dir, "release");
    const held = await rq("enqueue", "jobs.hold_until_file", JSON.stringify([release, "held"]));
    running = worker(false);
    await waitFor(`job ${held.id} started`, async () => existsSync(`${release}.started`), { timeoutMs: 120_000, intervalMs: 100 });
    // The work horse runs in a process group of its own (RQ's os.setpgrp): killed first, as the worker's child.
    await executor.run("pkill", ["-KILL", "-P", String(running.pid)]);
    process.kill(-(running.pid ?? 0), "SIGKILL");
    await once(running, "exit");
    running = undefined;
    assert.equal((await rq("status", held.id)).status, "started");
    // Jobs enqueued while no worker runs.
    const queued = [await rq("enqueue", "jobs.add", "[1, 2]"), await rq("enqueue", "jobs.add", "[20, 22]")];

    const engine = createRedisEngine({ url: redisUrl(), dbs: [DB] });
    const store = memoryContexts();
    const section = await engine.backup(store.backup);
    assert.deepEqual((section.details.rq as Record<string, unknown>)[`db${DB}`], { [QUEUE]: { queued: 2, started: 1, failed: 0, scheduled: 0, deferred: 0 } });
    await redis.flushdb();
    await engine.checkRestorable(section, { signal: new AbortController().signal });
    await engine.restore(section, store.restore(true));
    await engine.close();

    assert.equal((await rq("status", held.id)).status, "queued", "the dead worker's job is queued again");
    for (const job of queued) assert.equal((await rq("status", job.id)).status, "queued");
    assert.deepEqual(await redis.keys("rq:worker:*"), [], "no stale worker keys");

    await writeFile(release, "");
    running = worker(true);
    const [code] = (await once(running, "exit")) as [number | null];
    running = undefined;
    assert.equal(code, 0, "the burst worker ran the queue to its end");
    const results = await Promise.all([held, ...queued].map((job) => rq("status", job.id)));
    assert.deepEqual(results.map((r) => [r.status, r.result]), [["finished", "held"], ["finished", 3], ["finished", 42]]);
  } finally {
    if (running?.pid !== undefined && running.exitCode === null) process.kill(-running.pid, "SIGKILL");
    await redis.flushdb();
    await redis.quit();
    await rm(dir, { recursive: true, force: true });
  }
});
