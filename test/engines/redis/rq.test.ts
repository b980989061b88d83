/**
 * RQ recovery after a restore, on the real Redis with RQ 2's key layout (database 13).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { recoverRq, rqCounts } from "../../../src/engines/redis/rq.ts";
import { client } from "./fixture.ts";

async function seed(db: number): Promise<ReturnType<typeof client>> {
  const r = client(db);
  await r.flushdb();
  await r.sadd("rq:queues", "rq:queue:q1");
  await r.rpush("rq:queue:q1", "job-queued");
  await r.hset("rq:job:job-queued", "status", "queued");
  await r.zadd("rq:wip:q1", Math.floor(Date.now() / 1000) + 600, "job-started:exec-1");
  await r.hset("rq:job:job-started", "status", "started", "worker_name", "w1", "started_at", "2026-01-01T00:00:00Z");
  await r.zadd("rq:executions:job-started", 1, "exec-1");
  await r.hset("rq:execution:job-started:exec-1", "job_id", "job-started");
  await r.sadd("rq:workers", "rq:worker:w1");
  await r.hset("rq:worker:w1", "state", "busy");
  await r.hset("rq:worker:w2", "state", "idle"); // a worker key the set forgot
  return r;
}

test("rqCounts reads queue lengths and registry sizes", async () => {
  const r = await seed(13);
  assert.deepEqual(await rqCounts(r), { q1: { queued: 1, started: 1, failed: 0, scheduled: 0, deferred: 0 } });
  await r.quit();
});

test("started jobs of dead workers are requeued at the front, stale worker keys removed", async () => {
  const r = await seed(13);
  const result = await recoverRq(r, "requeue");
  assert.deepEqual(result.requeued, ["job-started"]);
  assert.equal(result.workersRemoved, 3);
  assert.deepEqual(await r.lrange("rq:queue:q1", 0, -1), ["job-started", "job-queued"]);
  assert.equal(await r.zcard("rq:wip:q1"), 0);
  assert.equal(await r.hget("rq:job:job-started", "status"), "queued");
  assert.equal(await r.hget("rq:job:job-started", "worker_name"), null);
  assert.deepEqual(await r.keys("rq:worker*"), []);
  assert.equal(await r.exists("rq:execution:job-started:exec-1", "rq:executions:job-started"), 0);
  await r.quit();
});

test("with the fail policy, started jobs go to the failed registry", async () => {
  const r = await seed(13);
  const result = await recoverRq(r, "fail");
  assert.deepEqual(result.failed, ["job-started"]);
  assert.deepEqual(await r.lrange("rq:queue:q1", 0, -1), ["job-queued"]);
  assert.equal(await r.hget("rq:job:job-started", "status"), "failed");
  assert.ok((await r.zscore("rq:failed:q1", "job-started")) !== null);
  await r.flushdb();
  await r.quit();
});
