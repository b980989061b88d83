/**
 * The file restore mode against a redis-server of the test's own, stopped and started by a `command`
 * service controller through the local executor: content round trip, owner and mode of the RDB kept, the
 * shutdown's own save replaced, AOF and non-empty servers refused before anything changes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { stat, chown, chmod } from "node:fs/promises";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { localExecutor } from "../../../src/exec/local.ts";
import { commandController } from "../../../src/services/command.ts";
import { pollUntil } from "../../../src/services/wait.ts";
import { createRedisEngine } from "../../../src/engines/redis/index.ts";
import type { RedisHostAccess } from "../../../src/engines/redis/file-restore.ts";
import { TEST_DBS, client, memoryContexts, populate, snapshot } from "./fixture.ts";
import { type OwnRedis, startOwnRedis } from "./own-server.ts";

let redis: OwnRedis;
before(async () => {
  redis = await startOwnRedis();
});
after(async () => {
  await redis.dispose();
});

function hostAccess(): RedisHostAccess {
  const executor = localExecutor();
  const controller = commandController({ executor, services: { redis: redis.commands } });
  return { executor, stopRedis: (signal) => controller.stop(["redis"], { signal, timeoutMs: 10_000 }), startTimeoutMs: 20_000 };
}

test("file mode: the RDB replaces the server's, keeps its owner and mode, and every key comes back", async () => {
  await populate(redis.url);
  const rdb = join(redis.dir, "dump.rdb");
  const engine = createRedisEngine({ url: redis.url, restoreMode: "file", host: hostAccess() });
  const store = memoryContexts();
  const section = await engine.backup(store.backup);
  const expected = await snapshot(TEST_DBS, redis.url);

  // What the restore must replace: other content, saved by the shutdown the restore triggers.
  const c = client(TEST_DBS[0], redis.url);
  try {
    await c.flushall();
    await c.set("written-after-the-backup", "must disappear");
    await saveOnceTheForkIsGone(c);
  } finally {
    c.disconnect();
  }
  const owned = process.getuid?.() === 0;
  if (owned) {
    await chown(rdb, 4321, 4322);
    await chmod(rdb, 0o640);
  }

  await assert.rejects(engine.restore(section, store.restore(false)), /holds 1 keys; refusing/);
  const outcome = await engine.restore(section, store.restore(true));
  assert.deepEqual(outcome?.expectedCounts, section.counts);
  const after = await snapshot(TEST_DBS, redis.url);
  assert.deepEqual([...after.keys()].sort(), [...expected.keys()].sort());
  for (const [key, value] of expected) assert.equal(after.get(key), value, `key ${key}`);
  const c2 = client(0, redis.url);
  try {
    assert.equal(await c2.exists("written-after-the-backup"), 0);
    assert.deepEqual(await engine.count({ signal: new AbortController().signal }), section.counts);
  } finally {
    c2.disconnect();
  }

  const info = await stat(rdb);
  assert.equal(info.mode & 0o777, owned ? 0o640 : info.mode & 0o777);
  if (owned) assert.deepEqual([info.uid, info.gid], [4321, 4322]);
});

test("file mode refuses, before stopping Redis, a server with appendonly yes, a selection narrower than the RDB, a data directory that is not there", async () => {
  await populate(redis.url);
  const store = memoryContexts();
  const engine = createRedisEngine({ url: redis.url, restoreMode: "file", host: hostAccess() });
  const section = await engine.backup(store.backup);
  const c = client(0, redis.url);
  const pid = async (): Promise<string | undefined> => (await c.info("server")).match(/process_id:(\d+)/)?.[1];
  const pidBefore = await pid();
  await c.config("SET", "appendonly", "yes");
  try {
    await assert.rejects(engine.restore(section, store.restore(true)), /appendonly yes/);
  } finally {
    await c.config("SET", "appendonly", "no");
  }
  const narrow = createRedisEngine({ url: redis.url, restoreMode: "file", host: hostAccess(), dbs: [TEST_DBS[0]] });
  await assert.rejects(narrow.restore(section, store.restore(true)), /whole dataset.*databases 11, 12/);
  const elsewhere = createRedisEngine({ url: redis.url, restoreMode: "file", host: { ...hostAccess(), dataDir: join(redis.dir, "not-there") } });
  await assert.rejects(elsewhere.restore(section, store.restore(true)), /data directory .*not-there does not exist.*/);
  assert.ok(pidBefore !== undefined);
  assert.equal(await pid(), pidBefore, "Redis was never stopped");
  await c.quit();
});

/**
 * SAVE, once the fork that sent the backup's RDB is gone. Redis notices that fork's exit in its cron (ten times
 * a second), so for up to 100 ms after the last byte it still counts as a background save, and SAVE answers
 * "Background save already in progress".
 */
async function saveOnceTheForkIsGone(c: Redis): Promise<void> {
  const gone = await pollUntil(async () => /rdb_bgsave_in_progress:0/.test(await c.info("persistence")), { timeoutMs: 10_000, intervalMs: 20 });
  if (!gone) throw new Error("the backup's replication fork was still running after 10 s");
  await c.save();
}
