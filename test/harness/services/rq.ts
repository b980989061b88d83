/**
 * An RQ worker (PyPI `rq`, pinned) on the test Redis, listening on queue `harness` of database 15 (away from
 * the databases the Redis tests fill), with scheduler, importing jobs from `test/harness/rq/` (`jobs.add`,
 * `jobs.sleep_then`, `jobs.fail`). Its name is fixed, so a stale registration from a killed worker is
 * removed before it starts. Writes RQ_REDIS_URL, RQ_QUEUE, RQ_WORKER_NAME, RQ_WORKER_PID, RQ_PYTHON,
 * RQ_JOBS_MODULE (the folder to put on PYTHONPATH) and RQ_CLIENT (`client.py` there).
 */
import path from "node:path";
import { Redis } from "ioredis";
import { harnessPython } from "../python.ts";
import type { TestService } from "../service.ts";

const queue = "harness";
const workerName = "stackvault-harness-worker";
const database = 15;

const rq: TestService = {
  name: "rq",
  after: ["redis"],
  stopTimeoutMs: 15_000,
  async install(ctx) {
    await harnessPython(ctx.cacheDir, ctx.log);
  },
  async start(ctx) {
    const python = await harnessPython(ctx.cacheDir, ctx.log);
    const base = ctx.env.REDIS_URL;
    if (base === undefined) throw new Error("REDIS_URL is not set: the redis service must start first");
    const url = `${base.replace(/\/\d*$/, "")}/${database}`;
    const jobsDir = path.join(ctx.root, "test", "harness", "rq");
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      await redis.del(`rq:worker:${workerName}`);
      await redis.srem("rq:workers", `rq:worker:${workerName}`);
      await redis.srem(`rq:workers:${queue}`, `rq:worker:${workerName}`);
      const args = ["-m", "rq.cli", "worker", "--url", url, "--name", workerName, "--path", jobsDir, "--with-scheduler", queue];
      const pid = await ctx.spawn(python, args, { env: { ...process.env, PYTHONUNBUFFERED: "1" }, cwd: jobsDir });
      await ctx.waitFor("rq worker registration", async () => (await redis.exists(`rq:worker:${workerName}`)) === 1, 60_000);
      return {
        env: {
          RQ_REDIS_URL: url,
          RQ_QUEUE: queue,
          RQ_WORKER_NAME: workerName,
          RQ_WORKER_PID: String(pid),
          RQ_PYTHON: python,
          RQ_JOBS_MODULE: jobsDir,
          RQ_CLIENT: path.join(jobsDir, "client.py"),
        },
        pids: [pid],
        logs: [ctx.logFile],
      };
    } finally {
      redis.disconnect();
    }
  },
};
export default rq;
