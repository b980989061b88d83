/**
 * RQ's state as Redis holds it (rq 2.x key names): queues listed in the set `rq:queues` (members are the
 * queue keys `rq:queue:<name>`, lists of job ids), started jobs in the sorted set `rq:wip:<name>`, failed ones
 * in `rq:failed:<name>`, workers in the set `rq:workers` with hashes `rq:worker:<name>`.
 */
import type { Redis } from "ioredis";

/** Queue and registry sizes of one database, keyed by queue name. */
export interface RqQueueCounts {
  queued: number;
  started: number;
  failed: number;
  scheduled: number;
  deferred: number;
}

/** Reads queue lengths and registry sizes; an empty object when the database holds no RQ queues. */
export async function rqCounts(client: Redis): Promise<Record<string, RqQueueCounts>> {
  const out: Record<string, RqQueueCounts> = {};
  for (const key of (await client.smembers("rq:queues")).sort()) {
    const name = key.startsWith(QUEUE_PREFIX) ? key.slice(QUEUE_PREFIX.length) : key;
    out[name] = {
      queued: await client.llen(`${QUEUE_PREFIX}${name}`),
      started: await client.zcard(`rq:wip:${name}`),
      failed: await client.zcard(`rq:failed:${name}`),
      scheduled: await client.zcard(`rq:scheduled:${name}`),
      deferred: await client.zcard(`rq:deferred:${name}`),
    };
  }
  return out;
}

export type StartedJobPolicy = "requeue" | "fail";

export interface RqRecoveryResult {
  workersRemoved: number;
  requeued: string[];
  failed: string[];
}

/**
 * After a restore no worker of the snapshot is alive: removes the worker keys and handles the jobs their
 * started registries still hold, putting each back at the front of its queue (`requeue`, the default) or
 * into the failed registry (`fail`, what RQ's own cleanup does for an abandoned job).
 */
export async function recoverRq(client: Redis, policy: StartedJobPolicy = "requeue"): Promise<RqRecoveryResult> {
  const result: RqRecoveryResult = { workersRemoved: 0, requeued: [], failed: [] };
  const workers = await client.smembers("rq:workers");
  const workerKeys = [...workers, ...(await scanKeys(client, "rq:worker:*"))];
  const unique = [...new Set(workerKeys)];
  if (unique.length > 0) result.workersRemoved = await client.del(...unique, "rq:workers");
  for (const key of await client.smembers("rq:queues")) {
    const name = key.startsWith(QUEUE_PREFIX) ? key.slice(QUEUE_PREFIX.length) : key;
    const started = `rq:wip:${name}`;
    for (const entry of await client.zrange(started, 0, -1)) {
      // rq 2 stores "<job id>:<execution id>" members; older versions store the job id alone.
      const jobId = (await client.exists(`rq:job:${entry}`)) === 1 ? entry : (entry.split(":")[0] ?? entry);
      const job = `rq:job:${jobId}`;
      if (policy === "requeue") {
        await client.multi().zrem(started, entry).hset(job, "status", "queued").hdel(job, "started_at", "worker_name").lpush(`${QUEUE_PREFIX}${name}`, jobId).exec();
        result.requeued.push(jobId);
      } else {
        const now = Date.now() / 1000;
        await client
          .multi()
          .zrem(started, entry)
          .hset(job, "status", "failed", "exc_info", "Abandoned: the worker was gone when stackvault restored this job")
          .zadd(`rq:failed:${name}`, Math.floor(now + FAILED_TTL_S), jobId)
          .exec();
        result.failed.push(jobId);
      }
      await client.del(`rq:executions:${jobId}`, `rq:execution:${entry}`);
    }
  }
  return result;
}

// --- internal ---

const QUEUE_PREFIX = "rq:queue:";
/** RQ's default failure_ttl (one year), the score of a failed registry entry being its expiry time. */
const FAILED_TTL_S = 365 * 24 * 3600;

async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}
