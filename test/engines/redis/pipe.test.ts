/**
 * The pipelined RESTORE load when Redis refuses a command, on a redis-server of the test's own: the error
 * names the key (escaped) and its database, and never the password sent with AUTH.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "../../../src/core/events.ts";
import { parseRedisUrl } from "../../../src/engines/redis/connection.ts";
import { liveRestore } from "../../../src/engines/redis/live-restore.ts";
import { createRedisEngine } from "../../../src/engines/redis/index.ts";
import { client, memoryContexts } from "./fixture.ts";
import { type OwnRedis, startOwnRedis } from "./own-server.ts";

let redis: OwnRedis;
before(async () => {
  redis = await startOwnRedis();
});
after(async () => {
  await redis.dispose();
});

test("a RESTORE Redis refuses fails the load with the key and its database, without the password", async () => {
  const admin = client(3, redis.url);
  const batch = admin.pipeline();
  for (let i = 0; i < 2000; i++) batch.set(`allowed:${i}`, `v${i}`);
  await batch.exec();
  await admin.set(Buffer.from("secret:\x01"), "no");
  const store = memoryContexts();
  const section = await createRedisEngine({ url: redis.url }).backup(store.backup);
  assert.equal(section.counts["keys:db3"], 2001);
  const password = "pw-" + Math.random().toString(36).slice(2);
  await admin.call("ACL", "SETUSER", "loader", "reset", "on", `>${password}`, "+@all", "~allowed:*");
  const url = new URL(redis.url);
  url.username = "loader";
  url.password = password;
  await assert.rejects(
    liveRestore({ connection: parseRedisUrl(url.toString()), open: () => store.restore(true).readArtifact("redis-dump.rdb"), purge: true, signal: new AbortController().signal, events: new Emitter() }),
    (err: Error) => {
      assert.match(err.message, /Redis refused to RESTORE the key 'secret:\\x01' in database 3: NOPERM/);
      assert.ok(!err.message.includes(password));
      return true;
    },
  );
  await admin.quit();
});
