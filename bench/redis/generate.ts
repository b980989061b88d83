/**
 * Deterministic Redis data for the benchmark, as RESP write commands for `redis-cli --pipe`: `keys` keys over
 * databases 0–2, mixed the way an application cache plus RQ looks (small strings most, hashes, lists, sets,
 * sorted sets, a few big collections and streams, a tenth with an expiry an hour or more ahead).
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";

/** Writes the commands to `file`; resolves with the number of keys. */
export async function generateCommands(file: string, keys: number, seed: number): Promise<number> {
  const out = createWriteStream(file);
  const random = mulberry32(seed);
  const int = (n: number): number => Math.floor(random() * n);
  const text = (n: number): string => {
    let s = "";
    while (s.length < n) s += WORDS[int(WORDS.length)];
    return s.slice(0, n);
  };
  const expireAt = Date.now() + 3_600_000 + int(86_400_000);
  let chunk: string[] = [];
  let db = -1;
  const emit = async (args: Array<string | number>): Promise<void> => {
    chunk.push(resp(args));
    if (chunk.length >= 2000) {
      if (!out.write(chunk.join(""))) await once(out, "drain");
      chunk = [];
    }
  };
  for (let i = 0; i < keys; i++) {
    const want = i % 3;
    if (want !== db) {
      db = want;
      await emit(["SELECT", db]);
    }
    const roll = random();
    let key: string;
    if (roll < 0.45) {
      key = `cache:${i}`;
      await emit(["SET", key, random() < 0.2 ? String(int(1e9)) : text(16 + int(240))]);
    } else if (roll < 0.62) {
      key = `user:${i}`;
      const fields: string[] = [];
      for (let f = 0, n = 4 + int(16); f < n; f++) fields.push(`field${f}`, text(4 + int(40)));
      await emit(["HSET", key, ...fields]);
    } else if (roll < 0.74) {
      key = `list:${i}`;
      await emit(["RPUSH", key, ...Array.from({ length: 3 + int(30) }, () => text(8 + int(60)))]);
    } else if (roll < 0.84) {
      key = `set:${i}`;
      await emit(["SADD", key, ...Array.from({ length: 3 + int(40) }, () => (random() < 0.5 ? String(int(100000)) : text(6 + int(20))))]);
    } else if (roll < 0.94) {
      key = `rank:${i}`;
      await emit(["ZADD", key, ...Array.from({ length: 3 + int(40) }, (_, m) => [String(random() * 1000), `m${m}-${text(4)}`]).flat()]);
    } else if (roll < 0.995) {
      key = `rq:job:${i}`;
      await emit(["HSET", key, "status", "queued", "origin", "default", "data", text(200 + int(600)), "created_at", "2026-01-01T00:00:00Z"]);
    } else if (roll < 0.998) {
      key = `big:${i}`;
      const kind = int(3);
      const members = Array.from({ length: 500 + int(1500) }, (_, m) => `${m}-${text(10 + int(30))}`);
      if (kind === 0) await emit(["RPUSH", key, ...members]);
      else if (kind === 1) await emit(["SADD", key, ...members]);
      else await emit(["HSET", key, ...members.flatMap((m, n) => [`f${n}`, m])]);
    } else {
      key = `events:${i}`;
      for (let e = 0, n = 20 + int(200); e < n; e++) await emit(["XADD", key, "*", "type", text(6), "payload", text(20 + int(100))]);
    }
    if (random() < 0.1) await emit(["PEXPIREAT", key, expireAt + int(1000)]);
  }
  out.end(chunk.join(""));
  await once(out, "finish");
  return keys;
}

/** One command in RESP. */
export function resp(args: ReadonlyArray<string | number>): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) {
    const v = String(a);
    s += `$${Buffer.byteLength(v)}\r\n${v}\r\n`;
  }
  return s;
}

// --- internal ---

const WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima", "mike", "-", "_", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
