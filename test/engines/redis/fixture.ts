/**
 * Test helpers for the Redis engine: the server from REDIS_URL, a dataset covering every type and encoding
 * across databases 10–12, a content snapshot (type, value, absolute expiry) to compare, and in-memory
 * backup/restore contexts.
 */
import { Readable } from "node:stream";
import { createHash } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { Emitter } from "../../../src/core/events.ts";
import type { ArtifactRecord, ArtifactSpec, BackupContext, RestoreContext } from "../../../src/engines/engine.ts";

export const TEST_DBS = [10, 11, 12] as const;

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (url === undefined || url === "") throw new Error("REDIS_URL is not set: start the test services (npm test does)");
  return url;
}

/** A client of database `db` of the harness Redis, or of the server at `base`. */
export function client(db: number, base: string = redisUrl(), options: RedisOptions = {}): Redis {
  const url = new URL(base);
  url.pathname = `/${db}`;
  return new Redis(url.toString(), options);
}

/** Fills the test databases with every type, small (listpack/intset) and big encodings, binary data, expiries. */
export async function populate(base: string = redisUrl(), options: RedisOptions = {}): Promise<void> {
  const soon = Date.now() + 3_600_000;
  for (const db of TEST_DBS) {
    const r = client(db, base, options);
    await r.flushdb();
    const p = r.pipeline();
    p.set(`str:${db}`, `value-${db}`);
    p.set(Buffer.from([0, 1, 2, 0xff, db]), Buffer.from([0xde, 0xad, 0, 0xbe, 0xef]));
    p.set(`int:${db}`, "12345");
    p.set(String(-4200 - db), "an integer key (int-encoded in the RDB)");
    p.set(`long:${db}`, "x".repeat(5000)); // LZF-compressed in the RDB
    p.set(Buffer.concat([Buffer.from("compressed-key-"), Buffer.alloc(100, 97)]), "v");
    p.set(`ttl:${db}`, "expires", "PXAT", soon);
    p.rpush(`list:small:${db}`, "a", "b", "c");
    p.rpush(`list:big:${db}`, ...Array.from({ length: 3000 }, (_, i) => `item-${i}-${"y".repeat(i % 50)}`));
    p.sadd(`set:int:${db}`, 1, 2, 3, 99999);
    p.sadd(`set:small:${db}`, "a", "b", "c");
    p.sadd(`set:big:${db}`, ...Array.from({ length: 1000 }, (_, i) => `m${i}`));
    p.zadd(`zset:small:${db}`, 1, "a", 2.5, "b", -3, "c");
    p.zadd(`zset:big:${db}`, ...Array.from({ length: 600 }, (_, i) => [i * 1.5, `z${i}`]).flat());
    p.hset(`hash:small:${db}`, "f1", "v1", "f2", "v2");
    p.hset(`hash:big:${db}`, Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, `v${i}`.repeat(3)])));
    p.hset(Buffer.from([0xfe, 0xfd]), Buffer.from([0]), Buffer.from([1, 2, 3]));
    p.pexpireat(`hash:small:${db}`, soon + 1234);
    await p.exec();
    await r.quit();
  }
  const s = client(TEST_DBS[0], base, options);
  for (let i = 0; i < 5000; i += 500) {
    const p = s.pipeline();
    for (let j = i; j < i + 500; j++) p.xadd("stream:big", "*", "n", String(j), "payload", "p".repeat(j % 40));
    await p.exec();
  }
  await s.xgroup("CREATE", "stream:big", "g1", "0");
  await s.xgroup("CREATE", "stream:big", "g2", "$");
  await s.xreadgroup("GROUP", "g1", "consumer-a", "COUNT", 10, "STREAMS", "stream:big", ">");
  await s.xreadgroup("GROUP", "g1", "consumer-b", "COUNT", 5, "STREAMS", "stream:big", ">");
  await s.xadd("stream:small", "*", "a", "1");
  await s.quit();
}

/** Every key of the test databases with its type, value and absolute expiry (ms), as comparable text. */
export async function snapshot(dbs: readonly number[] = TEST_DBS, base: string = redisUrl()): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const db of dbs) {
    const r = client(db, base);
    for (const key of await r.keysBuffer("*")) {
      const type = await r.type(key);
      const expire = Number(await r.call("PEXPIRETIME", key));
      out.set(`${db}:${key.toString("hex")}`, JSON.stringify({ type, expire: expire > 0 ? Math.round(expire / 1000) : expire, value: await value(r, key, type) }));
    }
    await r.quit();
  }
  return out;
}

export interface MemoryStore {
  artifacts: Map<string, Buffer>;
  backup: BackupContext;
  restore: (purge: boolean) => RestoreContext;
}

/** Contexts that keep artifacts in memory. */
export function memoryContexts(): MemoryStore {
  const artifacts = new Map<string, Buffer>();
  const events = new Emitter();
  const signal = new AbortController().signal;
  return {
    artifacts,
    backup: {
      signal,
      events,
      async writeArtifact(spec: ArtifactSpec, source: Readable): Promise<ArtifactRecord> {
        const chunks: Buffer[] = [];
        for await (const chunk of source) chunks.push(chunk as Buffer);
        const bytes = Buffer.concat(chunks);
        artifacts.set(spec.name, bytes);
        const sha = createHash("sha256").update(bytes).digest("hex");
        return { name: spec.name, file: `redis/${spec.name}`, compression: "none", rawBytes: bytes.length, storedBytes: bytes.length, rawSha256: sha, storedSha256: sha };
      },
    },
    restore: (purge) => ({
      signal,
      events,
      purge,
      readArtifact: async (name) => Readable.from(chunked(artifacts.get(name) ?? Buffer.alloc(0))),
    }),
  };
}

// --- internal ---

function* chunked(bytes: Buffer): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += 16384) yield bytes.subarray(i, i + 16384);
}

async function value(r: Redis, key: Buffer, type: string): Promise<unknown> {
  const hex = (list: Buffer[]): string[] => list.map((b) => b.toString("hex"));
  switch (type) {
    case "string":
      return (await r.getBuffer(key))?.toString("hex");
    case "list":
      return hex(await r.lrangeBuffer(key, 0, -1));
    case "set":
      return hex(await r.smembersBuffer(key)).sort();
    case "zset":
      return await r.zrange(key, 0, -1, "WITHSCORES");
    case "hash":
      return Object.entries(await r.hgetallBuffer(key)).map(([f, v]) => `${Buffer.from(f).toString("hex")}=${v.toString("hex")}`).sort();
    case "stream":
      return {
        entries: await r.xrange(key, "-", "+"),
        info: await r.call("XINFO", "STREAM", key, "FULL"),
      };
    default:
      throw new Error(`unexpected type ${type}`);
  }
}
