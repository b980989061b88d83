/**
 * The command controller on a real RQ worker: a warm stop lets the job in progress finish, jobs enqueued while
 * the worker is stopped stay queued, and the restart runs them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { localExecutor } from "../../src/exec/local.ts";
import { commandController } from "../../src/services/command.ts";
import { serviceEnv } from "../harness/env.ts";
import { waitFor as waitUntil } from "../harness/process.ts";

test("a warm stop of a real RQ worker finishes the running job; queued jobs run after the restart", async () => {
  const python = serviceEnv("RQ_PYTHON");
  const jobs = serviceEnv("RQ_JOBS_MODULE");
  const client = serviceEnv("RQ_CLIENT");
  const url = serviceEnv("REDIS_URL").replace(/\/\d+$/, "/14");
  const queue = `warm-${process.pid}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-rq-"));
  const pid = path.join(dir, "pid");
  const executor = localExecutor();
  const controller = commandController({
    executor,
    services: {
      worker: {
        start: ["sh", "-c", `nohup '${python}' -m rq.cli worker --url '${url}' --name ${queue} --path '${jobs}' ${queue} > '${dir}/worker.log' 2>&1 & echo $! > '${pid}'`],
        status: ["sh", "-c", `[ -f '${pid}' ] && kill -0 "$(cat '${pid}')" 2>/dev/null`],
        stop: ["sh", "-c", `p="$(cat '${pid}')"; kill -TERM "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.1; done`],
      },
    },
  });
  const rq = async (...args: string[]) => JSON.parse((await executor.run(python, [client, "--url", url, "--queue", queue, ...args])).stdout) as { id: string; status: string; result: unknown };
  const waitFor = async (id: string, status: string) => {
    for (let i = 0; i < 300; i++) {
      const job = await rq("status", id);
      if (job.status === status) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${id} never reached ${status}`);
  };
  await controller.start(["worker"]);
  try {
    await controller.waitHealthy(["worker"], { timeoutMs: 30_000 });
    // The job runs until the test releases it: the warm stop is asked for while it surely runs.
    const release = path.join(dir, "release");
    const slow = await rq("enqueue", "jobs.hold_until_file", JSON.stringify([release, "done"]));
    await waitUntil(`job ${slow.id} started`, async () => existsSync(`${release}.started`), { timeoutMs: 120_000, intervalMs: 100 });
    const stopping = controller.stop(["worker"], { timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await rq("status", slow.id)).status, "started", "the worker waits for the job in progress");
    await writeFile(release, "");
    const restart = await stopping;
    assert.equal(await controller.isRunning("worker"), false);
    const finished = await rq("status", slow.id);
    assert.deepEqual([finished.status, finished.result], ["finished", "done"], "the job in progress finished before the worker left");

    const queued = await rq("enqueue", "jobs.add", "[1, 2]");
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await rq("status", queued.id)).status, "queued");
    await restart();
    assert.equal((await waitFor(queued.id, "finished")).result, 3);
  } finally {
    if (await controller.isRunning("worker")) await controller.stop(["worker"]);
  }
});
