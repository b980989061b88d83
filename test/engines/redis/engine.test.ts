/**
 * The Redis engine against the real Redis (REDIS_URL): RDB over replication, content-level round trip of
 * every key across databases 10–12, corrupted RDB refused before any flush, both sync framings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { IntegrityError } from "../../../src/core/errors.ts";
import { createRedisEngine } from "../../../src/engines/redis/index.ts";
import { parseRedisUrl } from "../../../src/engines/redis/connection.ts";
import { fetchRdb } from "../../../src/engines/redis/replication.ts";
import { liveRestore } from "../../../src/engines/redis/live-restore.ts";
import { parseRdb } from "../../../src/engines/redis/rdb/parser.ts";
import { checkInPassing } from "../../../src/engines/redis/check-in-passing.ts";
import { TEST_DBS, client, memoryContexts, populate, redisUrl, snapshot } from "./fixture.ts";

const signal = new AbortController().signal;

test("backup then live restore gives back every key: type, value, absolute expiry, across databases", async () => {
  await populate();
  const before = await snapshot();
  assert.ok(before.size > 40);
  const engine = createRedisEngine({ url: redisUrl(), dbs: [...TEST_DBS] });
  const store = memoryContexts();
  const section = await engine.backup(store.backup);
  assert.equal(section.engine, "redis");
  assert.match(section.version, /^\d+\.\d+/);
  assert.ok(Number(section.details.rdbVersion) >= 9);
  assert.deepEqual(section.details.dbs, [...TEST_DBS]);
  assert.equal(section.counts[`keys:db${TEST_DBS[0]}`], [...before.keys()].filter((k) => k.startsWith(`${TEST_DBS[0]}:`)).length);

  for (const db of TEST_DBS) {
    const r = client(db);
    await r.flushdb();
    await r.set("junk", "to be purged");
    await r.quit();
  }
  await assert.rejects(engine.restore(section, store.restore(false)), /refusing to restore/);
  await engine.checkRestorable(section, { signal });
  await engine.restore(section, store.restore(true));
  const after = await snapshot();
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [key, expected] of before) assert.equal(after.get(key), expected, `key ${key}`);
  assert.deepEqual(await engine.count({ signal }), section.counts);
  await engine.close();
});

test("a corrupted RDB is refused by its CRC-64 before any database is flushed", async () => {
  await populate();
  const engine = createRedisEngine({ url: redisUrl(), dbs: [...TEST_DBS] });
  const store = memoryContexts();
  const section = await engine.backup(store.backup);
  const rdb = store.artifacts.get("redis-dump.rdb") as Buffer;
  const damaged = Buffer.from(rdb);
  const at = Math.floor(damaged.length / 2);
  damaged[at] = (damaged[at] as number) ^ 0x01;
  store.artifacts.set("redis-dump.rdb", damaged);
  const r = client(TEST_DBS[1]);
  await r.set("sentinel", "still here");
  await assert.rejects(engine.restore(section, store.restore(true)), (err) => err instanceof IntegrityError || /malformed|ends early/.test(String(err)));
  assert.equal(await r.get("sentinel"), "still here");
  await r.quit();
});

test("the backup checks the RDB as it passes: the bytes go on unchanged, a damaged stream fails before its end", async () => {
  await populate();
  const fetched = await fetchRdb(parseRedisUrl(redisUrl()), signal);
  const whole: Buffer[] = [];
  for await (const chunk of fetched.stream) whole.push(chunk as Buffer);
  const rdb = Buffer.concat(whole);
  const passed = checkInPassing(Readable.from(pieces(rdb, 7000)), signal, 64 * 1024, 32 * 1024);
  const out: Buffer[] = [];
  for await (const chunk of passed.stream) out.push(chunk as Buffer);
  assert.ok(Buffer.concat(out).equals(rdb));
  const found = await passed.result;
  const r = client(TEST_DBS[0]);
  assert.equal(found.dbs.get(TEST_DBS[0])?.keys, await r.dbsize());
  await r.quit();

  const damaged = Buffer.from(rdb);
  const at = Math.floor(damaged.length / 2);
  damaged[at] = (damaged[at] as number) ^ 0x01;
  const failing = checkInPassing(Readable.from(pieces(damaged, 7000)), signal, 64 * 1024, 32 * 1024);
  let received = 0;
  await assert.rejects(
    (async () => {
      for await (const chunk of failing.stream) received += (chunk as Buffer).length;
    })(),
    (err: Error) => err instanceof IntegrityError && /The RDB Redis sent failed its check/.test(err.message),
  );
  assert.ok(received < damaged.length, "the damaged stream must fail before its last bytes pass on");
  await assert.rejects(failing.result, IntegrityError);
});

test("a restore whose artifact was re-hashed in the same run reads it once; otherwise, or for a backup not checked when taken, twice", async () => {
  await populate();
  const before = await snapshot();
  const engine = createRedisEngine({ url: redisUrl(), dbs: [...TEST_DBS] });
  const store = memoryContexts();
  const section = await engine.backup(store.backup);
  assert.equal(section.details.rdbCheck, "crc64-parsed");
  const unchecked = { ...section, details: { ...section.details, rdbCheck: undefined } };
  for (const [what, restoredSection, verified, reads] of [["verified", section, true, 1], ["not verified", section, false, 2], ["old backup", unchecked, true, 2]] as const) {
    const ctx = store.restore(true);
    let opened = 0;
    await engine.restore(restoredSection, { ...ctx, verified, readArtifact: (name) => (opened++, ctx.readArtifact(name)) });
    assert.equal(opened, reads, what);
    const after = await snapshot();
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), what);
    for (const [key, expected] of before) assert.equal(after.get(key), expected, `${what}: key ${key}`);
  }
});

test("a one-pass restore reads the artifact's first records before it empties anything: bytes that are not an RDB, or of another format than recorded, leave the databases as they were", async () => {
  await populate();
  const engine = createRedisEngine({ url: redisUrl(), dbs: [...TEST_DBS] });
  const store = memoryContexts();
  const section = await engine.backup(store.backup);
  const rdb = store.artifacts.get("redis-dump.rdb") as Buffer;
  const r = client(TEST_DBS[1]);
  await r.set("sentinel", "still here");
  store.artifacts.set("redis-dump.rdb", Buffer.concat([Buffer.from("NOT AN RDB"), rdb.subarray(10)]));
  await assert.rejects(engine.restore(section, { ...store.restore(true), verified: true }), IntegrityError);
  assert.equal(await r.get("sentinel"), "still here");
  store.artifacts.set("redis-dump.rdb", rdb);
  const otherFormat = { ...section, details: { ...section.details, rdbVersion: Number(section.details.rdbVersion) - 1 } };
  await assert.rejects(engine.restore(otherFormat, { ...store.restore(true), verified: true }), (err: Error) => err instanceof IntegrityError && /manifest recorded format/.test(err.message));
  assert.equal(await r.get("sentinel"), "still here");
  await r.quit();
});

for (const diskless of ["yes", "no"] as const) {
  test(`the RDB arrives whole with repl-diskless-sync ${diskless}`, async () => {
    const admin = client(0);
    const [, previous] = (await admin.config("GET", "repl-diskless-sync")) as [string, string];
    await admin.config("SET", "repl-diskless-sync", diskless);
    try {
      const fetched = await fetchRdb(parseRedisUrl(redisUrl()), signal);
      assert.equal(fetched.framing, diskless === "yes" ? "eof-marker" : "length");
      let keys = 0;
      let end = false;
      for await (const record of parseRdb(fetched.stream, signal)) {
        if (record.kind === "key") keys++;
        if (record.kind === "end") end = record.checksum;
      }
      assert.ok(end, "the checksum was verified");
      assert.ok(keys > 0);
    } finally {
      await admin.config("SET", "repl-diskless-sync", previous);
      await admin.quit();
    }
  });
}

test("an ACL user with only the replication commands fetches the RDB, through keep-alive newlines, by SYNC when PSYNC is denied", async () => {
  const admin = client(0);
  const user = "stackvault-test-replica";
  const password = "pw-" + Math.random().toString(36).slice(2);
  const [, delay] = (await admin.config("GET", "repl-diskless-sync-delay")) as [string, string];
  const [, diskless] = (await admin.config("GET", "repl-diskless-sync")) as [string, string];
  await admin.call("ACL", "SETUSER", user, "reset", "on", `>${password}`, "+psync", "+sync", "+replconf", "+ping");
  await admin.config("SET", "repl-diskless-sync", "yes");
  await admin.config("SET", "repl-diskless-sync-delay", "2");
  try {
    const url = new URL(redisUrl());
    url.username = user;
    url.password = password;
    const fetched = await fetchRdb(parseRedisUrl(url.toString()), signal);
    assert.ok(fetched.keepAlives > 0, "Redis sent keep-alive newlines while waiting for the diskless delay");
    let end = false;
    for await (const record of parseRdb(fetched.stream, signal)) if (record.kind === "end") end = record.checksum;
    assert.ok(end);
    await admin.call("ACL", "SETUSER", user, "-psync");
    const viaSync = await fetchRdb(parseRedisUrl(url.toString()), signal);
    assert.equal(viaSync.protocol, "sync");
    let syncEnd = false;
    for await (const record of parseRdb(viaSync.stream, signal)) if (record.kind === "end") syncEnd = record.checksum;
    assert.ok(syncEnd, "the SYNC fallback delivers a whole RDB");
    await admin.call("ACL", "SETUSER", user, "-sync");
    await assert.rejects(fetchRdb(parseRedisUrl(url.toString()), signal), /refused to send an RDB/);
    url.password = "wrong";
    await assert.rejects(fetchRdb(parseRedisUrl(url.toString()), signal), /refused AUTH/);
  } finally {
    await admin.config("SET", "repl-diskless-sync-delay", delay);
    await admin.config("SET", "repl-diskless-sync", diskless);
    await admin.call("ACL", "DELUSER", user);
    await admin.quit();
  }
});

test("a key whose absolute expiry passed between backup and restore is skipped and counted", async () => {
  const r = client(TEST_DBS[1]);
  await r.flushdb();
  await r.set("lasting", "yes");
  await r.set("fleeting", "soon gone", "PX", 800);
  const store = memoryContexts();
  const engine = createRedisEngine({ url: redisUrl(), dbs: [TEST_DBS[1]] });
  const section = await engine.backup(store.backup);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const result = await liveRestore({
    connection: parseRedisUrl(redisUrl()),
    open: async () => (await store.restore(true).readArtifact("redis-dump.rdb")),
    dbs: [TEST_DBS[1]],
    purge: true,
    signal,
    events: store.backup.events,
  });
  assert.equal(section.counts[`keys:db${TEST_DBS[1]}`], 2);
  assert.equal(result.expired, 1);
  assert.deepEqual(result.restored, { [`keys:db${TEST_DBS[1]}`]: 1 });
  assert.deepEqual(await r.keys("*"), ["lasting"]);
  await r.quit();
});

function* pieces(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
