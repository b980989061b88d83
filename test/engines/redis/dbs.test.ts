/**
 * A database selection (`--redis-dbs`), on a redis-server of the test's own: recorded in the manifest, counts
 * only the selected databases, a live restore loads only them and leaves the others as they are.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createRedisEngine } from "../../../src/engines/redis/index.ts";
import { TEST_DBS, client, memoryContexts, populate, snapshot } from "./fixture.ts";
import { type OwnRedis, startOwnRedis } from "./own-server.ts";

let redis: OwnRedis;
before(async () => {
  redis = await startOwnRedis();
});
after(async () => {
  await redis.dispose();
});

test("only the selected databases are counted, recorded and restored; the others keep their content", async () => {
  await populate(redis.url);
  const [first, skipped, last] = TEST_DBS;
  const kept = [first, last];
  const before = await snapshot(kept, redis.url);
  const engine = createRedisEngine({ url: redis.url, dbs: kept });
  const store = memoryContexts();
  const section = await engine.backup(store.backup);
  assert.deepEqual(section.details.dbs, kept);
  assert.deepEqual(Object.keys(section.counts).sort(), kept.map((db) => `keys:db${db}`).sort());
  assert.equal(section.counts[`keys:db${first}`], [...before.keys()].filter((k) => k.startsWith(`${first}:`)).length);

  const other = client(skipped, redis.url);
  await other.flushdb();
  await other.set("left-alone", "yes");
  for (const db of kept) {
    const r = client(db, redis.url);
    await r.flushdb();
    await r.quit();
  }
  // Restoring with no selection of its own follows the backup's.
  const outcome = await createRedisEngine({ url: redis.url }).restore(section, store.restore(true));
  assert.deepEqual(outcome?.expectedCounts, section.counts);
  const after = await snapshot(kept, redis.url);
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [key, value] of before) assert.equal(after.get(key), value, `key ${key}`);
  assert.deepEqual(await other.keys("*"), ["left-alone"]);

  await assert.rejects(createRedisEngine({ url: redis.url, dbs: [skipped] }).restore(section, store.restore(true)), new RegExp(`Database ${skipped} was not part of this backup`));
  // A narrower restore loads one database; the other keeps what it holds, and the counts say so.
  const r = client(last, redis.url);
  await r.set("extra", "1");
  const narrow = await createRedisEngine({ url: redis.url, dbs: [first] }).restore(section, store.restore(true));
  assert.equal(narrow?.expectedCounts?.[`keys:db${last}`], (section.counts[`keys:db${last}`] ?? 0) + 1);
  await r.quit();
  await other.quit();
});
